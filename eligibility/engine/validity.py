"""How old a test result may be and still decide a rule: the rule's own ``ever`` or window, else the measure's
validity from the vocabulary (``valid_for: ever`` for lifetime tests such as AQP4-IgG, or a duration), else the
lab recency window of the trial or the run. The evaluator and the SQL compiler both ask here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import cache

from eligibility.lang import ast
from eligibility.patient.index import Reading
from eligibility.vocab.vocabulary import MeasureDef

ResultRule = ast.Comparison | ast.RelativeComparison | ast.Qualitative
POSITIVE = "positive"


@cache
def measure_validity(valid_for: str) -> ast.Window | None:
    """A measure's ``valid_for`` as a window (``None`` for ``ever``: a result of any date counts)."""
    if valid_for == "ever":
        return None
    number, unit = valid_for.split()
    return ast.Window(op="<=", duration=ast.Duration(value=Decimal(number), unit=unit.removesuffix("s")))


def own_window(node: ResultRule, measure: MeasureDef | None) -> ast.Window | None:
    """The window the rule or its measure sets (``None`` when neither sets one, or when a result of any date
    counts: see :func:`any_date`)."""
    if node.ever or node.window is not None:
        return node.window
    if measure is not None and measure.valid_for is not None:
        return measure_validity(measure.valid_for)
    return None


def any_date(node: ResultRule, measure: MeasureDef | None) -> bool:
    """True when a result of any date counts: the rule says ``ever``, or the measure is a lifetime test."""
    if node.ever:
        return True
    return node.window is None and measure is not None and measure.valid_for == "ever"


def result_window(node: ResultRule, measure: MeasureDef | None, lab_recency: ast.Duration) -> ast.Window | None:
    """The window a result must fall in to decide ``node`` (``None``: any date on or before the reference day)."""
    if any_date(node, measure):
        return None
    return own_window(node, measure) or ast.Window(op="<=", duration=lab_recency)


def prefers_positive(node: ResultRule, measure: MeasureDef | None) -> bool:
    """True for a qualitative rule on a lifetime test (``valid_for: ever``) without a window of its own: there a
    positive result on file decides, not only the newest result. A diagnostic antibody stays part of the
    diagnosis after it turns negative under treatment (AQP4-IgG after rituximab), so "AQP4-IgG positive" holds and
    "negative" does not; without a positive result the newest result decides. A rule's own ``ever`` on another
    measure only lifts the date limit: the newest result of any date decides (HBsAg cleared stays cleared)."""
    lifetime = measure is not None and measure.valid_for == "ever"
    return isinstance(node, ast.Qualitative) and node.window is None and lifetime


def newest_positive(readings: Sequence[Reading], as_of: date) -> Reading | None:
    """The newest positive result on or before ``as_of`` (``readings`` are newest first), if there is one."""
    return next((r for r in readings if r.value == POSITIVE and r.date <= as_of), None)
