"""Resolved rules → evaluation plans: measures looked up and thresholds converted to each measure's canonical
unit once, so evaluation does no parsing, no name lookup and no unit-registry work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from eligibility.errors import UnitError
from eligibility.lang import ast
from eligibility.lang.dispatch import NodeDispatch
from eligibility.vocab.doses import dose_basis
from eligibility.vocab.units import measure_factor
from eligibility.vocab.vocabulary import MeasureDef, Vocabulary


@dataclass(frozen=True, slots=True)
class Plan:
    """A rule node ready for evaluation: its measure and canonical threshold, and its children's plans."""

    node: ast.Node
    children: tuple[Plan, ...] = ()
    measure: MeasureDef | None = None
    threshold: Fraction | None = None
    names: dict[str, str] | None = None


def compile_rule(rule: ast.Node, vocabulary: Vocabulary, shared: dict | None = None) -> Plan:
    """The plan of a resolved rule (see :func:`eligibility.resolve.resolve_rule`).

    With ``shared`` (a dict kept across calls), equal rules and sub-rules get the same plan object, so a
    screener can evaluate a rule used by many trials once per patient.
    """
    if shared is None:
        return _compile(rule, vocabulary, None)
    plan = shared.get(rule)
    if plan is None:
        plan = shared[rule] = _compile(rule, vocabulary, shared)
    return plan


Compile = Callable[[Any, Vocabulary, "dict | None"], Plan]
COMPILE: NodeDispatch[Compile] = NodeDispatch("compile")


def _compile(rule: ast.Node, vocabulary: Vocabulary, shared: dict | None) -> Plan:
    return COMPILE[type(rule)](rule, vocabulary, shared)


@COMPILE.register(ast.AllOf, ast.AnyOf)
def _compile_items(rule: ast.AllOf | ast.AnyOf, vocabulary: Vocabulary, shared: dict | None) -> Plan:
    return Plan(rule, tuple(compile_rule(item, vocabulary, shared) for item in rule.items))


@COMPILE.register(ast.Not)
def _compile_not(rule: ast.Not, vocabulary: Vocabulary, shared: dict | None) -> Plan:
    return Plan(rule, (compile_rule(rule.item, vocabulary, shared),))


@COMPILE.register(ast.Implies)
def _compile_implies(rule: ast.Implies, vocabulary: Vocabulary, shared: dict | None) -> Plan:
    return Plan(rule, (compile_rule(rule.condition, vocabulary, shared), compile_rule(rule.then, vocabulary, shared)))


@COMPILE.register(ast.Comparison)
def _compile_comparison(rule: ast.Comparison, vocabulary: Vocabulary, shared: dict | None) -> Plan:
    measure = vocabulary.measure(rule.measure)
    threshold = None
    if measure is not None:
        factor = measure_factor(rule.quantity.unit, measure.unit, measure.molar_mass, measure.valence)
        threshold = None if factor is None else Fraction(rule.quantity.value) * factor
    return Plan(rule, measure=measure, threshold=threshold)


@COMPILE.register(ast.RelativeComparison, ast.Qualitative)
def _compile_measured(
    rule: ast.RelativeComparison | ast.Qualitative, vocabulary: Vocabulary, shared: dict | None
) -> Plan:
    return Plan(rule, measure=vocabulary.measure(rule.measure))


@COMPILE.register(ast.Presence, ast.Count, ast.AgeAtOnset, ast.DiseaseDuration)
def _compile_named(
    rule: ast.Presence | ast.Count | ast.AgeAtOnset | ast.DiseaseDuration, vocabulary: Vocabulary, shared: dict | None
) -> Plan:
    ids = (rule.concept, *getattr(rule, "excluding", ()), *getattr(rule, "alternatives", ()))
    return Plan(rule, names={i: _concept_name(i, vocabulary) for i in ids})


@COMPILE.register(ast.Age, ast.Sex, ast.NeedsReview)
def _compile_plain(rule: ast.Node, vocabulary: Vocabulary, shared: dict | None) -> Plan:
    return Plan(rule)


def _concept_name(concept_id: str, vocabulary: Vocabulary) -> str:
    concept = vocabulary.concepts.get(concept_id)
    return concept.name if concept else concept_id


# --- language v2: doses and treatment courses ------------------------------------------------------------

WEIGHT = "weight"  # the measure a weight-based dose is converted with (its newest result in the lab window)


@COMPILE.register(ast.DoseComparison)
def _compile_dose(rule: ast.DoseComparison, vocabulary: Vocabulary, shared: dict | None) -> Plan:
    """The threshold in its dose basis (``mg/day`` or ``mg/kg/day``, see :func:`vocab.doses.dose_basis`), the
    body-weight measure, and the names of the drug and of the drug doses are expressed as."""
    try:
        found = dose_basis(rule.quantity.unit) if rule.quantity.unit else None
    except UnitError:
        found = None
    threshold = None if found is None else Fraction(rule.quantity.value) * found[1]
    ids = (rule.concept,) + ((rule.equivalent,) if rule.equivalent else ())
    names = {i: _concept_name(i, vocabulary) for i in ids}
    weight = vocabulary.measure(WEIGHT)
    return Plan(rule, measure=weight if weight and weight.unit == "kg" else None, threshold=threshold, names=names)


@COMPILE.register(ast.DoseTiming, ast.CourseLength, ast.StableDose)
def _compile_dose_timing(
    rule: ast.DoseTiming | ast.CourseLength | ast.StableDose, vocabulary: Vocabulary, shared: dict | None
) -> Plan:
    return Plan(rule, names={rule.concept: _concept_name(rule.concept, vocabulary)})


@COMPILE.register(ast.Trend)
def _compile_trend(rule: ast.Trend, vocabulary: Vocabulary, shared: dict | None) -> Plan:
    """The measure, and the amount of change in its canonical unit (``None`` without an amount, or when its unit
    cannot be converted)."""
    measure = vocabulary.measure(rule.measure)
    threshold = None
    if measure is not None and rule.amount is not None:
        try:
            factor = measure_factor(rule.amount.unit, measure.unit, measure.molar_mass, measure.valence)
        except UnitError:
            factor = None
        threshold = None if factor is None else Fraction(rule.amount.value) * factor
    return Plan(rule, measure=measure, threshold=threshold)
