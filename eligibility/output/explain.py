"""Wording only: findings → plain-language explanations and the list of data that would decide them."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import singledispatch

from eligibility.engine.evaluator import Finding
from eligibility.engine.truth import TRUE, UNKNOWN
from eligibility.lang import ast
from eligibility.lang.render import duration as duration_text
from eligibility.lang.render import render
from eligibility.vocab.units import as_decimal, format_number, measure_factor
from eligibility.vocab.vocabulary import MeasureDef

_CATEGORY_PLURAL = {
    "condition": "conditions",
    "medication": "medications",
    "procedure": "procedures",
    "immunization": "immunizations",
    "event": "events",
}
_WINDOW = {"<=": "within {}", "<": "less than {} ago", ">=": "at least {} ago", ">": "more than {} ago"}


def label(measure: MeasureDef | None, fallback: str = "") -> str:
    """A short readable name: the display name, or the abbreviation when the name is long."""
    if measure is None:
        return fallback
    if len(measure.name) <= 16:
        return measure.name
    short = [a for a in measure.aliases if a.isascii() and len(a) <= 8 and sum(c.isupper() for c in a) >= 2]
    return short[0] if short else measure.name


def shown(value: Decimal | Fraction, against: Decimal | None = None) -> str:
    """A value with three significant digits, or more when needed to tell it from ``against``."""
    value = as_decimal(value)
    for digits in range(3, 12):
        rounded = _significant(value, digits)
        if against is None or rounded != against or value == against:
            return format_number(rounded)
    return format_number(value)


def _significant(value: Decimal, digits: int) -> Decimal:
    if value == 0:
        return value
    exponent = value.adjusted() - digits + 1
    return value.quantize(Decimal(1).scaleb(exponent)) if exponent < 0 else value.quantize(Decimal(1))


def relation(value: object, threshold: object) -> str:
    """``<``, ``=`` or ``>``: how a value stands to a threshold."""
    return "<" if value < threshold else ">" if value > threshold else "="


def window_text(window: ast.Window | None) -> str:
    """``within 3 weeks`` or ``at least 6 weeks ago``."""
    return "" if window is None else _WINDOW[window.op].format(duration_text(window.duration))


# --- explanations --------------------------------------------------------------------------------------


def explain(finding: Finding) -> str:
    """One line saying why the finding has its truth value."""
    return _explain(finding.plan.node, finding)


@singledispatch
def _explain(node: ast.Node, finding: Finding) -> str:
    return render(node)


def _unknown_reading(finding: Finding, name: str, recency: str = "") -> str:
    if finding.reason == "missing":
        return f"no {name} on record"
    if finding.reason == "unresolved":
        return f"{name}: the rule's unit cannot be converted"
    stale = finding.evidence
    if finding.reason == "stale" and stale is not None:
        return f"latest {name} is from {stale.date}, outside the {recency or 'lab recency'} window"
    return f"{name}: {finding.reason}"


def _reading_text(finding: Finding, unit: str) -> str:
    reading = finding.evidence[0] if isinstance(finding.evidence, tuple) else finding.evidence
    measure = finding.plan.measure
    text = f"{format_number(reading.written_value)} {reading.written_unit}".rstrip()
    if unit != reading.written_unit and measure is not None and unit:
        factor = measure_factor(measure.unit, unit, measure.molar_mass, measure.valence)
        if factor is not None:
            threshold = getattr(finding.plan.node, "quantity", None)
            text += f" = {shown(reading.value * factor, threshold.value if threshold else None)} {unit}"
    return text


@_explain.register
def _(node: ast.Comparison, finding: Finding) -> str:
    name = label(finding.plan.measure, node.measure)
    if finding.truth is UNKNOWN:
        return _unknown_reading(finding, name, window_text(node.window))
    reading = finding.evidence
    unit = node.quantity.unit or (finding.plan.measure.unit if finding.plan.measure else "")
    side = relation(reading.value, finding.plan.threshold)
    threshold = f"{format_number(node.quantity.value)} {node.quantity.unit}".rstrip()
    return f"{name} {_reading_text(finding, unit)} {side} {threshold} ({reading.date})"


@_explain.register
def _(node: ast.RelativeComparison, finding: Finding) -> str:
    name = label(finding.plan.measure, node.measure)
    if finding.reason == "no_reference_range":
        return (
            f"{name} {_reading_text(finding, '')} ({finding.evidence.date}) has no {node.limit}: no reference "
            "range on the lab result and none in the trial's or site's reference table"
        )
    if finding.truth is UNKNOWN:
        return _unknown_reading(finding, name, window_text(node.window))
    reading, limit, source = finding.evidence
    factor = measure_factor(
        finding.plan.measure.unit, reading.written_unit, finding.plan.measure.molar_mass, finding.plan.measure.valence
    ) or Fraction(1)
    bound = Fraction(node.factor) * limit * factor
    side = relation(reading.value, Fraction(node.factor) * limit)
    return (
        f"{name} {format_number(reading.written_value)} {reading.written_unit} {side} "
        f"{format_number(node.factor)} x {node.limit} = {shown(bound)} {reading.written_unit} "
        f"({reading.date}; {node.limit} {shown(limit * factor)} from {source})"
    )


@_explain.register
def _(node: ast.Qualitative, finding: Finding) -> str:
    name = label(finding.plan.measure, node.measure)
    if finding.truth is UNKNOWN:
        return _unknown_reading(finding, name, window_text(node.window))
    return f"{name} {finding.evidence.value} ({finding.evidence.date})"


def _age_words(bounds: tuple[Decimal, Decimal], unit: str) -> str:
    low, high = bounds
    if low == high:
        return f"{format_number(low)} {unit}s"
    return f"between {format_number(low)} and {format_number(high)} {unit}s"


@_explain.register
def _(node: ast.Age, finding: Finding) -> str:
    if finding.reason == "missing":
        return "no birth date or age on record"
    text = f"age {_age_words(finding.evidence, node.duration.unit)}"
    if finding.truth is UNKNOWN:
        text += f"; cannot tell whether {node.op} {duration_text(node.duration)} without the birth date"
    return text


def _name(finding: Finding, concept_id: str) -> str:
    names = finding.plan.names or {}
    return names.get(concept_id, concept_id)


@_explain.register
def _(node: ast.AgeAtOnset, finding: Finding) -> str:
    if finding.reason == "missing":
        return f"no {_name(finding, node.concept)} with an onset date on record"
    if finding.reason == "absent":
        return f"{_name(finding, node.concept)} is recorded as absent"
    if finding.reason == "missing_birth":
        return f"onset {finding.evidence}, but no birth date or age on record"
    bounds, onset = finding.evidence
    return f"age at onset ({onset}) {_age_words(bounds, node.duration.unit)}"


@_explain.register
def _(node: ast.Sex, finding: Finding) -> str:
    return "sex not on record" if finding.truth is UNKNOWN else f"sex {finding.evidence}"


def _records_text(records: tuple) -> str:
    shown_records = [f"{r.code} ({r.start})" if r.start else r.code for r in records[:3]]
    more = f" and {len(records) - 3} more" if len(records) > 3 else ""
    return ", ".join(shown_records) + more


@_explain.register
def _(node: ast.Presence, finding: Finding) -> str:
    what = f"{'active ' if node.active else ''}{_name(finding, node.concept)}"
    if node.excluding:
        what += f" (other than {', '.join(_name(finding, e) for e in node.excluding)})"
    where = f" {window_text(node.window)}" if node.window else ""
    plural = _CATEGORY_PLURAL[node.category]
    if finding.truth is TRUE:
        return f"{what}{where}: {_records_text(finding.evidence)}"
    if finding.reason == "negated":
        return f"{what}: recorded as absent" + (" or resolved" if node.active else "")
    if finding.reason == "complete":
        return f"no {what}{where} ({plural} are marked complete)"
    if finding.reason == "undated":
        return f"{what} on record without a date; cannot tell whether it is{where}"
    return f"no {what}{where} on record ({plural} not marked complete)"


@_explain.register
def _(node: ast.Count, finding: Finding) -> str:
    where = f" {window_text(node.window)}" if node.window else ""
    records = finding.evidence or ()
    seen = f"{len(records)} × {_name(finding, node.concept)}{where}" + (
        f": {_records_text(records)}" if records else ""
    )
    if finding.truth is UNKNOWN:
        return f"{seen} on record; {_CATEGORY_PLURAL[node.category]} not marked complete, so the count may be higher"
    return f"{seen} ({node.op} {node.count} needed)"


@_explain.register
def _(node: ast.NeedsReview, finding: Finding) -> str:
    return f"needs review: {node.text}"


def _deciding(finding: Finding) -> list[Finding]:
    decided = [c for c in finding.children if c.truth is finding.truth]
    return decided or list(finding.children)


@_explain.register(ast.AllOf)
@_explain.register(ast.AnyOf)
@_explain.register(ast.Not)
def _(node: ast.Node, finding: Finding) -> str:
    parts = list(dict.fromkeys(explain(child) for child in _deciding(finding)))
    prefix = "not: " if isinstance(node, ast.Not) else ""
    return prefix + "; ".join(parts)


# --- what is missing -----------------------------------------------------------------------------------


def missing(finding: Finding) -> list[str]:
    """The data that would decide an unknown finding (empty when decided or when only review is left)."""
    if finding.truth is not UNKNOWN:
        return []
    if finding.children:
        return list(dict.fromkeys(m for c in finding.children for m in missing(c)))
    return _missing_leaf(finding)


def _missing_leaf(finding: Finding) -> list[str]:
    node = finding.plan.node
    if finding.reason == "review":
        return []
    if isinstance(node, (ast.Comparison, ast.RelativeComparison, ast.Qualitative)):
        name = finding.plan.measure.id if finding.plan.measure else node.measure
        if finding.reason == "no_reference_range":
            return [f"{name} reference range ({node.limit})"]
        return [f"{name} (recent result)"]
    if isinstance(node, ast.Age):
        return ["birth_date"]
    if isinstance(node, ast.AgeAtOnset):
        return (
            ["birth_date"]
            if finding.reason in ("missing_birth", "age_uncertain")
            else [f"condition {node.concept} (onset date)"]
        )
    if isinstance(node, ast.Sex):
        return ["sex"]
    if isinstance(node, (ast.Presence, ast.Count)):
        if finding.reason == "undated":
            return [f"{node.category} {node.concept} (date)"]
        return [f"{node.category} {node.concept}"]
    return [render(node)]


def review_only(finding: Finding) -> bool:
    """True when a finding is unknown only because part of it needs a person's review."""
    return finding.truth is UNKNOWN and not _needs_data(finding)


def _needs_data(finding: Finding) -> bool:
    """True when some unknown leaf under ``finding`` would be decided by data (what :func:`missing` lists)."""
    if finding.truth is not UNKNOWN:
        return False
    if finding.children:
        return any(_needs_data(child) for child in finding.children)
    return finding.reason != "review"
