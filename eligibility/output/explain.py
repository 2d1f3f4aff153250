"""Wording only: findings → plain-language explanations and the list of data that would decide them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

from eligibility.engine.diagnosis import Need, leaf_needs
from eligibility.engine.findings import (
    AgeEvidence,
    DoseEvidence,
    DurationEvidence,
    Finding,
    LabEvidence,
    LimitEvidence,
    OnsetEvidence,
    Reason,
    RecordsEvidence,
    SexEvidence,
)
from eligibility.engine.truth import FALSE, TRUE, UNKNOWN
from eligibility.engine.validity import own_window
from eligibility.lang import ast
from eligibility.lang.dispatch import NodeDispatch
from eligibility.lang.render import duration as duration_text
from eligibility.output.explain_v2 import course_text, stable_text, timing_text, trend_text
from eligibility.output.shared_words import shared_wording
from eligibility.output.words import (
    CATEGORY_PLURAL,
    concept_name,
    label,
    records_text,
    relation,
    shown,
    window_text,
)
from eligibility.vocab.units import format_number, measure_factor

# --- explanations --------------------------------------------------------------------------------------


EXPLAIN: NodeDispatch[Callable[..., str]] = NodeDispatch("explain")


def explain(finding: Finding) -> str:
    """One line saying why the finding has its truth value."""
    return _explained(finding)


def _explain(finding: Finding) -> str:
    return EXPLAIN[type(finding.plan.node)](finding.plan.node, finding)


_explained = shared_wording(_explain)  # a shared finding is worded once


def _unknown_reading(finding: Finding, name: str, recency: str = "") -> str:
    if finding.reason is Reason.MISSING:
        return f"no {name} on record"
    if finding.reason is Reason.UNRESOLVED:
        return f"{name}: the rule's unit cannot be converted"
    stale = finding.evidence
    if finding.reason is Reason.STALE and isinstance(stale, LabEvidence):
        return f"latest {name} is from {stale.reading.date}, outside the {recency or 'lab recency'} window"
    return f"{name}: {finding.reason}"


def _written(value: Decimal | str) -> str:
    return value if isinstance(value, str) else format_number(value)


def _reading_text(finding: Finding, unit: str) -> str:
    assert isinstance(finding.evidence, LabEvidence | LimitEvidence)
    reading = finding.evidence.reading
    measure = finding.plan.measure
    text = f"{_written(reading.written_value)} {reading.written_unit}".rstrip()
    if unit != reading.written_unit and measure is not None and unit and isinstance(reading.value, Fraction):
        factor = measure_factor(measure.unit, unit, measure.molar_mass, measure.valence)
        if factor is not None:
            threshold = getattr(finding.plan.node, "quantity", None)
            text += f" = {shown(reading.value * factor, threshold.value if threshold else None)} {unit}"
    return text


@EXPLAIN.register(ast.Comparison)
def _comparison(node: ast.Comparison, finding: Finding) -> str:
    name = label(finding.plan.measure, node.measure)
    if finding.truth is UNKNOWN:
        return _unknown_reading(finding, name, window_text(own_window(node, finding.plan.measure)))
    assert isinstance(finding.evidence, LabEvidence)
    reading = finding.evidence.reading
    unit = node.quantity.unit or (finding.plan.measure.unit if finding.plan.measure else "")
    assert isinstance(reading.value, Fraction) and finding.plan.threshold is not None
    side = relation(reading.value, finding.plan.threshold)
    threshold = f"{format_number(node.quantity.value)} {node.quantity.unit}".rstrip()
    return f"{name} {_reading_text(finding, unit)} {side} {threshold} ({reading.date})"


@EXPLAIN.register(ast.RelativeComparison)
def _relative(node: ast.RelativeComparison, finding: Finding) -> str:
    name = label(finding.plan.measure, node.measure)
    if finding.reason is Reason.NO_REFERENCE_RANGE and isinstance(finding.evidence, LabEvidence):
        return (
            f"{name} {_reading_text(finding, '')} ({finding.evidence.reading.date}) has no {node.limit}: no reference "
            "range on the lab result and none in the trial's or site's reference table"
        )
    if finding.truth is UNKNOWN:
        return _unknown_reading(finding, name, window_text(own_window(node, finding.plan.measure)))
    assert isinstance(finding.evidence, LimitEvidence) and finding.plan.measure is not None
    reading, limit, source = finding.evidence.reading, finding.evidence.limit, finding.evidence.source
    factor = measure_factor(
        finding.plan.measure.unit, reading.written_unit, finding.plan.measure.molar_mass, finding.plan.measure.valence
    ) or Fraction(1)
    bound = Fraction(node.factor) * limit * factor
    assert isinstance(reading.value, Fraction)
    side = relation(reading.value, Fraction(node.factor) * limit)
    return (
        f"{name} {_written(reading.written_value)} {reading.written_unit} {side} "
        f"{format_number(node.factor)} x {node.limit} = {shown(bound)} {reading.written_unit} "
        f"({reading.date}; {node.limit} {shown(limit * factor)} from {source})"
    )


@EXPLAIN.register(ast.Qualitative)
def _qualitative(node: ast.Qualitative, finding: Finding) -> str:
    name = label(finding.plan.measure, node.measure)
    if finding.truth is UNKNOWN:
        return _unknown_reading(finding, name, window_text(own_window(node, finding.plan.measure)))
    assert isinstance(finding.evidence, LabEvidence)
    return f"{name} {finding.evidence.reading.value} ({finding.evidence.reading.date})"


def _age_words(bounds: AgeEvidence, unit: str) -> str:
    low, high = bounds.low, bounds.high
    if low == high:
        return f"{format_number(low)} {unit}s"
    return f"between {format_number(low)} and {format_number(high)} {unit}s"


@EXPLAIN.register(ast.Age)
def _age(node: ast.Age, finding: Finding) -> str:
    if finding.reason is Reason.MISSING:
        return "no birth date or age on record"
    assert isinstance(finding.evidence, AgeEvidence)
    text = f"age {_age_words(finding.evidence, node.duration.unit)}"
    if finding.truth is UNKNOWN:
        text += f"; cannot tell whether {node.op} {duration_text(node.duration)} without the birth date"
    return text


_name = concept_name


def _conditions(finding: Finding, node: ast.AgeAtOnset | ast.DiseaseDuration) -> str:
    return " or ".join(_name(finding, c) for c in node.concepts)


_EARLIER = {
    Reason.UNDATED: "a record without an onset date may have begun earlier",
    Reason.UNSPECIFIC: "a record of a broader condition may be this one and began earlier",
}


def _no_onset_text(node: ast.AgeAtOnset | ast.DiseaseDuration, finding: Finding) -> str | None:
    what = _conditions(finding, node)
    words = {
        Reason.MISSING: f"no {what} with an onset date on record",
        Reason.ABSENT: f"{what} is recorded as absent",
        Reason.COMPLETE: f"no {what} on record (conditions are marked complete)",
        Reason.UNSPECIFIC: f"no {what} on record, but a broader condition that may be it",
    }
    if finding.evidence is None and finding.reason is Reason.UNDATED:
        return f"{what} on record without an onset date"
    return words.get(finding.reason) if finding.evidence is None else None


@EXPLAIN.register(ast.AgeAtOnset)
def _age_at_onset(node: ast.AgeAtOnset, finding: Finding) -> str:
    text = _no_onset_text(node, finding)
    if text is not None:
        return text
    if isinstance(finding.evidence, OnsetEvidence):
        return f"onset {finding.evidence.onset}, but no birth date or age on record"
    assert isinstance(finding.evidence, AgeEvidence)
    text = f"age at onset ({finding.evidence.onset}) {_age_words(finding.evidence, node.duration.unit)}"
    return text + (f"; {_EARLIER[finding.reason]}" if finding.reason in _EARLIER else "")


@EXPLAIN.register(ast.DiseaseDuration)
def _disease_duration(node: ast.DiseaseDuration, finding: Finding) -> str:
    text = _no_onset_text(node, finding)
    if text is not None:
        return text
    assert isinstance(finding.evidence, DurationEvidence)
    elapsed = duration_text(ast.Duration(value=finding.evidence.elapsed, unit=node.duration.unit))
    text = f"{_conditions(finding, node)} since {finding.evidence.onset}: {elapsed}"
    return text + (f"; {_EARLIER[finding.reason]}" if finding.reason in _EARLIER else "")


@EXPLAIN.register(ast.Sex)
def _sex(node: ast.Sex, finding: Finding) -> str:
    if not isinstance(finding.evidence, SexEvidence):
        return "sex not on record"
    return f"sex {finding.evidence.sex}"


_records_text = records_text


def _records(finding: Finding) -> tuple:
    return finding.evidence.records if isinstance(finding.evidence, RecordsEvidence) else ()


@EXPLAIN.register(ast.Presence)
def _presence(node: ast.Presence, finding: Finding) -> str:
    what = f"{'active ' if node.active else ''}{_name(finding, node.concept)}"
    if node.excluding:
        what += f" (other than {', '.join(_name(finding, e) for e in node.excluding)})"
    where = f" {window_text(node.window)}" if node.window else ""
    plural = CATEGORY_PLURAL[node.category]
    if finding.truth is TRUE:
        return f"{what}{where}: {_records_text(_records(finding))}"
    if finding.reason is Reason.NEGATED:
        return f"{what}: recorded as absent" + (" or resolved" if node.active else "")
    if finding.reason is Reason.COMPLETE:
        return f"no {what}{where} ({plural} are marked complete)"
    if finding.reason is Reason.UNDATED:
        return f"{what} on record without a date; cannot tell whether it is{where}"
    if finding.reason is Reason.UNSPECIFIC:
        return f"{_records_text(_records(finding))} on record: may or may not be {what}{where}"
    return f"no {what}{where} on record ({plural} not marked complete)"


@EXPLAIN.register(ast.Count)
def _count(node: ast.Count, finding: Finding) -> str:
    where = f" {window_text(node.window)}" if node.window else ""
    records = _records(finding)
    seen = f"{len(records)} × {_name(finding, node.concept)}{where}" + (
        f": {_records_text(records)}" if records else ""
    )
    if finding.reason is Reason.UNSPECIFIC:
        return f"{seen} on record; other records may or may not be {_name(finding, node.concept)}"
    if finding.truth is UNKNOWN:
        return f"{seen} on record; {CATEGORY_PLURAL[node.category]} not marked complete, so the count may be higher"
    return f"{seen} ({node.op} {node.count} needed)"


@EXPLAIN.register(ast.NeedsReview)
def _review(node: ast.NeedsReview, finding: Finding) -> str:
    return f"needs review: {node.text}"


# --- language v2: doses and treatment courses ------------------------------------------------------------


def _dose_text(node: ast.DoseComparison, occurrence, value: Fraction | None) -> str:
    written = occurrence.dose.written if occurrence.dose else "no dose"
    when = f" ({occurrence.start})" if occurrence.start else ""
    text = f"{occurrence.code} {written}{when}"
    if value is not None:
        unit = node.quantity.unit
        basis = measure_factor("mg/day", unit) if "kg" not in unit else measure_factor("mg/kg/day", unit)
        as_written = value * basis if basis is not None else value
        drug = f" as {node.equivalent}" if node.equivalent else ""
        text += f" = {shown(as_written, node.quantity.value)} {unit}{drug}"
    return text


def _doses_text(node: ast.DoseComparison, evidence: DoseEvidence) -> str:
    parts = [_dose_text(node, o, v) for o, v in evidence.doses[:3]]
    more = f" and {len(evidence.doses) - 3} more" if len(evidence.doses) > 3 else ""
    weight = evidence.weight
    used = f" (body weight {_written(weight.written_value)} {weight.written_unit}, {weight.date})" if weight else ""
    return ", ".join(parts) + more + used


@EXPLAIN.register(ast.DoseComparison)
def _dose(node: ast.DoseComparison, finding: Finding) -> str:
    threshold = f"{format_number(node.quantity.value)} {node.quantity.unit}".rstrip()
    drug = f" as {_name(finding, node.equivalent)}" if node.equivalent else ""
    what = f"{_name(finding, node.concept)} at a dose {node.op} {threshold}{drug}"
    what += f" for at least {duration_text(node.lasting)}" if node.lasting is not None else ""
    where = f" {window_text(node.window)}" if node.window else ""
    evidence = finding.evidence if isinstance(finding.evidence, DoseEvidence) else None
    seen = f": {_doses_text(node, evidence)}" if evidence else ""
    if finding.truth is TRUE:
        return f"{what}{where}{seen}"
    if finding.reason is Reason.UNRESOLVED:
        return f"{what}: the rule's unit is not a dose"
    if finding.reason is Reason.NEGATED:
        return f"{_name(finding, node.concept)}: recorded as absent"
    if finding.reason is Reason.NO_DOSE:
        lacking = "; no usable body weight in the lab window" if evidence and evidence.weight_missing else ""
        unusable = "dose or course length not known" if node.lasting is not None else "dose not usable"
        return f"cannot tell whether {what}{where}: {unusable}{seen}{lacking}"
    if finding.reason is Reason.COMPLETE:
        return f"no {what}{where}{seen} (medications are marked complete)"
    if finding.reason is Reason.UNDATED:
        return f"{_name(finding, node.concept)} on record without a date; cannot tell whether it is{where}"
    return f"no {what}{where} on record{seen} (medications not marked complete)"


EXPLAIN.register(ast.DoseTiming)(timing_text)
EXPLAIN.register(ast.CourseLength)(course_text)
EXPLAIN.register(ast.Trend)(trend_text)
EXPLAIN.register(ast.StableDose)(stable_text)


def _deciding(finding: Finding) -> list[Finding]:
    decided = [c for c in finding.children if c.truth is finding.truth]
    return decided or list(finding.children)


@EXPLAIN.register(ast.AllOf, ast.AnyOf, ast.Not)
def _logic(node: ast.Node, finding: Finding) -> str:
    parts = list(dict.fromkeys(explain(child) for child in _deciding(finding)))
    prefix = "not: " if isinstance(node, ast.Not) else ""
    return prefix + "; ".join(parts)


@EXPLAIN.register(ast.Implies)
def _implies(node: ast.Implies, finding: Finding) -> str:
    condition, then = finding.children
    if condition.truth is FALSE:
        return f"does not apply: {explain(condition)}"
    if then.truth is TRUE:
        return f"{'applies' if condition.truth is TRUE else 'holds whether or not it applies'}: {explain(then)}"
    if condition.truth is TRUE:
        return f"applies ({explain(condition)}): {explain(then)}"
    return f"may apply ({explain(condition)}): {explain(then)}"


# --- what is missing -----------------------------------------------------------------------------------

_NEED_WORDS: dict[str, Callable[[Need], str]] = {
    "result": lambda need: f"{need.subject} ({'result of any date' if need.any_date else 'recent result'})",
    "reference_range": lambda need: f"{need.subject} reference range ({need.limit})",
    "birth_date": lambda need: "birth_date",
    "onset": lambda need: f"condition {need.subject} (onset date)",
    "sex": lambda need: "sex",
    "record": lambda need: f"{need.category} {need.subject}",
    "record_date": lambda need: f"{need.category} {need.subject} (date)",
    "record_kind": lambda need: f"{need.category} {need.subject} (which kind the record is)",
    "dose": lambda need: f"{need.category} {need.subject} (dose)",
    "baseline": lambda need: (
        f"{need.subject} (result {duration_text(need.window.duration)} ago or earlier)"
        if need.window
        else f"{need.subject} (earlier result)"
    ),
}


def need_text(need: Need) -> str:
    """A short name for one piece of missing data: ``alc (recent result)``, ``condition hiv_infection``."""
    return _NEED_WORDS[need.kind](need)


_LEAF_TEXTS: dict[int, tuple[tuple[Need, ...], tuple[str, ...]]] = {}  # id(needs) → (needs, their words)


def missing(finding: Finding) -> list[str]:
    """The data that would decide an unknown finding, worded (empty when decided or only review is left)."""
    return list(missing_words(finding))


def _missing_words(finding: Finding) -> tuple[str, ...]:
    """The words of the needs of the unknown leaves under ``finding``, in order, each once (a child's words are
    those of its own leaves, so a shared child's kept words are used as they are)."""
    if finding.truth is not UNKNOWN:
        return ()
    if not finding.children:
        return _leaf_words(leaf_needs(finding))
    found: dict[str, None] = {}
    for child in finding.children:
        if child.truth is UNKNOWN:
            found.update(dict.fromkeys(missing_words(child)))
    return tuple(found)


missing_words = shared_wording(_missing_words)
"""The words of :func:`missing`, as a tuple (the same object each time for a shared finding)."""


def _leaf_words(leaf: tuple[Need, ...]) -> tuple[str, ...]:
    """The words of a leaf's needs (the needs tuple is shared per plan and reason: worded once)."""
    cached = _LEAF_TEXTS.get(id(leaf))
    if cached is None or cached[0] is not leaf:  # the entry keeps the tuple alive, so its id is not reused
        if len(_LEAF_TEXTS) >= 100_000:
            _LEAF_TEXTS.clear()
        cached = _LEAF_TEXTS[id(leaf)] = (leaf, tuple(need_text(need) for need in leaf))
    return cached[1]
