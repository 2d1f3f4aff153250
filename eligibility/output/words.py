"""Words for values, measures and windows, shared by the explanations and the reports."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from eligibility.engine.findings import Finding
from eligibility.lang import ast
from eligibility.lang.render import duration as duration_text
from eligibility.vocab.units import as_decimal, format_number
from eligibility.vocab.vocabulary import MeasureDef

CATEGORY_PLURAL = {
    "condition": "conditions",
    "medication": "medications",
    "procedure": "procedures",
    "immunization": "immunizations",
    "event": "events",
}


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


def relation(value: Fraction | Decimal, threshold: Fraction | Decimal) -> str:
    """``<``, ``=`` or ``>``: how a value stands to a threshold."""
    return "<" if value < threshold else ">" if value > threshold else "="


def window_text(window: ast.Window | None) -> str:
    """``within 3 weeks`` or ``at least 6 weeks ago``."""
    return "" if window is None else ast.WINDOW_WORDING[window.op].format(duration_text(window.duration))


def concept_name(finding: Finding, concept_id: str) -> str:
    """The display name of a concept the finding's rule names (its id when the vocabulary has none)."""
    names = finding.plan.names or {}
    return names.get(concept_id, concept_id)


def records_text(records: tuple) -> str:
    """``IFN (2024-01-01), MTX and 2 more``: up to three records by code and start."""
    shown_records = [f"{r.code} ({r.start})" if r.start else r.code for r in records[:3]]
    more = f" and {len(records) - 3} more" if len(records) > 3 else ""
    return ", ".join(shown_records) + more
