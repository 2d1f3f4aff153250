"""Authoring-time checks: every name in a rule is resolved against the vocabulary and every unit checked
against its measure. Names become canonical ids. All problems are collected, none stops the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eligibility.errors import EligibilityError, UnitError, VocabularyError
from eligibility.lang import ast
from eligibility.lang.dispatch import NodeDispatch
from eligibility.vocab.doses import dose_basis, reference_drugs
from eligibility.vocab.units import measure_factor
from eligibility.vocab.vocabulary import MeasureDef, Vocabulary


def resolve_rule(rule: ast.Node, vocabulary: Vocabulary) -> tuple[ast.Node, list[EligibilityError]]:
    """``rule`` with canonical names, and the problems found (empty when the rule is sound)."""
    problems: list[EligibilityError] = []
    return _visit(rule, vocabulary, problems), problems


def _visit(rule: ast.Node, vocabulary: Vocabulary, problems: list) -> ast.Node:
    """Resolve one node; problems it raised get its span (innermost node first)."""
    before = len(problems)
    resolved = RESOLVE[type(rule)](rule, vocabulary, problems)
    for problem in problems[before:]:
        if getattr(problem, "span", None) is None:
            problem.span = rule.span
    return resolved


RESOLVE: NodeDispatch[Callable[[Any, Vocabulary, list], ast.Node]] = NodeDispatch("resolve")


@RESOLVE.register(ast.Age, ast.Sex, ast.NeedsReview)
def _as_written(rule: ast.Node, vocabulary: Vocabulary, problems: list) -> ast.Node:
    """Nodes that name nothing in the vocabulary are already resolved."""
    return rule


def _measure(name: str, vocabulary: Vocabulary, problems: list) -> MeasureDef | None:
    measure = vocabulary.measure(name)
    if measure is None:
        close = vocabulary.suggest_measures(name)
        hint = (
            f"did you mean {' or '.join(close)}?"
            if close
            else "add it to a vocabulary file (see measures.yaml) or mark the criterion for review"
        )
        problems.append(_about(name, VocabularyError(f"unknown measure {name!r}", hint=hint)))
    return measure


def _about(name: str, problem: EligibilityError) -> EligibilityError:
    """``problem`` marked as being about the word ``name``, so a caret can point at the word itself."""
    problem.term = name
    return problem


def _concept(name: str, category: str, vocabulary: Vocabulary, problems: list) -> str:
    concept = vocabulary.concept(name, category)
    if concept is not None:
        return concept.id
    other = vocabulary.concept(name)
    if other is not None:
        problems.append(
            _about(
                name,
                VocabularyError(
                    f"{name!r} is a {other.category}, not a {category}",
                    hint=f"write `{other.category}` instead of `{category}`",
                ),
            )
        )
        return name
    close = vocabulary.suggest_concepts(name, category)
    hint = (
        f"did you mean {' or '.join(close)}?"
        if close
        else "add it to a vocabulary file (see concepts.yaml) or mark the criterion for review"
    )
    problems.append(_about(name, VocabularyError(f"unknown {category} {name!r}", hint=hint)))
    return name


@RESOLVE.register(ast.Comparison)
def _comparison(rule: ast.Comparison, vocabulary: Vocabulary, problems: list) -> ast.Node:
    measure = _measure(rule.measure, vocabulary, problems)
    if measure is None:
        return rule
    if measure.qualitative:
        problems.append(
            VocabularyError(
                f"{measure.name} is reported as {', '.join(measure.values or ())}, not as a number",
                hint=f"write `{measure.id} is {(measure.values or ('positive',))[0]}`",
            )
        )
        return rule
    unit = rule.quantity.unit
    if unit in ast.TIME_UNITS and measure.unit not in ast.TIME_UNITS:
        factor = None
    else:
        try:
            factor = measure_factor(unit, measure.unit, measure.molar_mass, measure.valence)
        except UnitError as error:
            error.span = rule.quantity.span
            problems.append(error)
            return rule
    if factor is None:
        written = f"unit {unit!r}" if unit else "a bare number"
        problem = UnitError(
            f"{written} cannot apply to {measure.id} ({measure.name}), which is measured in {measure.unit or 'points'}",
            hint=f"write the threshold in {measure.unit or 'points'} or a unit convertible to it",
        )
        problem.span = rule.quantity.span
        problems.append(problem)
    return rule.model_copy(update={"measure": measure.id})


@RESOLVE.register(ast.RelativeComparison)
def _relative_comparison(rule: ast.RelativeComparison, vocabulary: Vocabulary, problems: list) -> ast.Node:
    measure = _measure(rule.measure, vocabulary, problems)
    return rule if measure is None else rule.model_copy(update={"measure": measure.id})


@RESOLVE.register(ast.Qualitative)
def _qualitative(rule: ast.Qualitative, vocabulary: Vocabulary, problems: list) -> ast.Node:
    measure = _measure(rule.measure, vocabulary, problems)
    if measure is None:
        return rule
    if not measure.qualitative or rule.value not in (measure.values or ()):
        allowed = ", ".join(measure.values) if measure.values else "numbers only"
        problems.append(
            VocabularyError(
                f"{measure.id} cannot be {rule.value!r} (it takes {allowed})",
                hint=f"compare {measure.id} with a number" if not measure.qualitative else "use an allowed value",
            )
        )
    return rule.model_copy(update={"measure": measure.id})


@RESOLVE.register(ast.AgeAtOnset, ast.DiseaseDuration)
def _onset(rule: ast.AgeAtOnset | ast.DiseaseDuration, vocabulary: Vocabulary, problems: list) -> ast.Node:
    first, *others = (_concept(c, "condition", vocabulary, problems) for c in rule.concepts)
    if isinstance(rule, ast.DiseaseDuration) and rule.duration.unit == "hour":
        problems.append(
            UnitError(
                "a disease duration is counted in days, weeks, months or years, not hours",
                hint="write the duration in days (e.g. `2 days`)",
            )
        )
    return rule.model_copy(update={"concept": first, "alternatives": tuple(others)})


@RESOLVE.register(ast.Presence)
def _presence(rule: ast.Presence, vocabulary: Vocabulary, problems: list) -> ast.Node:
    concept = _concept(rule.concept, rule.category, vocabulary, problems)
    excluding = tuple(_concept(n, rule.category, vocabulary, problems) for n in rule.excluding)
    return rule.model_copy(update={"concept": concept, "excluding": excluding})


@RESOLVE.register(ast.Count)
def _count(rule: ast.Count, vocabulary: Vocabulary, problems: list) -> ast.Node:
    return rule.model_copy(update={"concept": _concept(rule.concept, rule.category, vocabulary, problems)})


@RESOLVE.register(ast.AllOf)
def _all_of(rule: ast.AllOf, vocabulary: Vocabulary, problems: list) -> ast.Node:
    return rule.model_copy(update={"items": tuple(_visit(i, vocabulary, problems) for i in rule.items)})


@RESOLVE.register(ast.AnyOf)
def _any_of(rule: ast.AnyOf, vocabulary: Vocabulary, problems: list) -> ast.Node:
    return rule.model_copy(update={"items": tuple(_visit(i, vocabulary, problems) for i in rule.items)})


@RESOLVE.register(ast.Not)
def _not(rule: ast.Not, vocabulary: Vocabulary, problems: list) -> ast.Node:
    return rule.model_copy(update={"item": _visit(rule.item, vocabulary, problems)})


@RESOLVE.register(ast.Implies)
def _implies(rule: ast.Implies, vocabulary: Vocabulary, problems: list) -> ast.Node:
    condition = _visit(rule.condition, vocabulary, problems)
    return rule.model_copy(update={"condition": condition, "then": _visit(rule.then, vocabulary, problems)})


# --- language v2: doses and treatment courses ------------------------------------------------------------


@RESOLVE.register(ast.DoseComparison)
def _dose(rule: ast.DoseComparison, vocabulary: Vocabulary, problems: list) -> ast.Node:
    if rule.category != "medication":
        problems.append(
            VocabularyError(f"a {rule.category} has no dose", hint="write `has medication <drug> dose ...`")
        )
        return rule
    concept = _concept(rule.concept, "medication", vocabulary, problems)
    _dose_unit(rule.quantity, problems)
    equivalent = rule.equivalent
    if equivalent is not None:
        equivalent = _concept(equivalent, "medication", vocabulary, problems)
        if equivalent not in reference_drugs():
            problems.append(
                VocabularyError(
                    f"no dose equivalence table lists {equivalent!r}",
                    hint=f"write `as` one of {', '.join(sorted(reference_drugs()))} (see equivalents.yaml)",
                )
            )
    if rule.lasting is not None and course_days(rule.lasting) is None:
        problems.append(
            VocabularyError(
                "a course length is counted in whole days or weeks", hint="write e.g. `for at least 3 days`"
            )
        )
    return rule.model_copy(update={"concept": concept, "equivalent": equivalent})


def course_days(length: ast.Duration) -> int | None:
    """A course length in whole days (``None`` unless it is whole days or weeks)."""
    days = length.value * {"day": 1, "week": 7}.get(length.unit, 0)
    return int(days) if days > 0 and days == days.to_integral_value() else None


def _dose_unit(quantity: ast.Quantity, problems: list) -> None:
    try:
        basis = dose_basis(quantity.unit) if quantity.unit else None
    except UnitError as error:
        basis, error.span = None, quantity.span
        problems.append(error)
        return
    if basis is None:
        written = f"unit {quantity.unit!r}" if quantity.unit else "a bare number"
        problem = UnitError(
            f"{written} is not a dose: a dose is a mass per time, or per kg of body weight per time",
            hint="write e.g. `20 mg/day`, `1 g/week` or `3 mg/kg/day`",
        )
        problem.span = quantity.span
        problems.append(problem)


@RESOLVE.register(ast.DoseTiming)
def _dose_timing(rule: ast.DoseTiming, vocabulary: Vocabulary, problems: list) -> ast.Node:
    return rule.model_copy(update={"concept": _concept(rule.concept, "medication", vocabulary, problems)})


@RESOLVE.register(ast.CourseLength)
def _course(rule: ast.CourseLength, vocabulary: Vocabulary, problems: list) -> ast.Node:
    if rule.category != "medication":
        problems.append(
            VocabularyError(
                f"a course length applies to medications, not to a {rule.category}",
                hint="write `has medication <drug> for at least ...`",
            )
        )
        return rule
    _whole_length(rule.lasting, problems)
    return rule.model_copy(update={"concept": _concept(rule.concept, "medication", vocabulary, problems)})


def _whole_length(length: ast.Duration, problems: list) -> None:
    """A course length or stable-dose window: whole days, weeks, months or years."""
    if length.unit == "hour" or length.value <= 0 or length.value != length.value.to_integral_value():
        problems.append(
            UnitError(
                "a course length is counted in whole days, weeks, months or years",
                hint="write e.g. `for at least 6 months`",
            )
        )


@RESOLVE.register(ast.StableDose)
def _stable_dose(rule: ast.StableDose, vocabulary: Vocabulary, problems: list) -> ast.Node:
    _whole_length(rule.lasting, problems)
    other = vocabulary.concept(rule.concept)
    if other is not None and vocabulary.concept(rule.concept, "medication") is None:
        problems.append(
            VocabularyError(
                f"{rule.concept!r} is a {other.category}: only medications have doses",
                hint="name a drug or a class of drugs (see concepts.yaml)",
            )
        )
        return rule
    return rule.model_copy(update={"concept": _concept(rule.concept, "medication", vocabulary, problems)})


@RESOLVE.register(ast.Trend)
def _trend(rule: ast.Trend, vocabulary: Vocabulary, problems: list) -> ast.Node:
    measure = _measure(rule.measure, vocabulary, problems)
    if rule.window.op != "<=":
        problems.append(
            VocabularyError("a trend is read over a window up to the reference date", hint="write `within <N> <unit>`")
        )
    if rule.op is not None and rule.op not in (">=", ">"):
        problems.append(
            VocabularyError(
                f"a change by {rule.op} an amount is not a trend", hint="write `by >= <amount>` or `by > <amount>`"
            )
        )
    if measure is None:
        return rule
    if measure.qualitative or measure.better is None:
        problems.append(
            VocabularyError(
                f"{measure.id} ({measure.name}) has no direction of improvement in the vocabulary",
                hint="give the measure `better: lower` or `better: higher` in a vocabulary file (see measures.yaml)",
            )
        )
    elif rule.amount is not None:
        _amount_unit(rule.amount, measure, problems)
    return rule.model_copy(update={"measure": measure.id})


def _amount_unit(amount: ast.Quantity, measure: MeasureDef, problems: list) -> None:
    """A trend's amount must be written in the measure's unit or one convertible to it."""
    try:
        factor = measure_factor(amount.unit, measure.unit, measure.molar_mass, measure.valence)
    except UnitError as error:
        error.span = amount.span
        problems.append(error)
        return
    if factor is None:
        written = f"unit {amount.unit!r}" if amount.unit else "a bare number"
        problem = UnitError(
            f"{written} cannot apply to {measure.id} ({measure.name}), which is measured in {measure.unit or 'points'}",
            hint=f"write the amount in {measure.unit or 'points'} or a unit convertible to it",
        )
        problem.span = amount.span
        problems.append(problem)
