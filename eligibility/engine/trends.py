"""Evaluation of trends (``mrs not improved within 4 weeks``, ``edss worsened by >= 1 within 12 months``).

The window ``within N`` reaches back from the reference date; its first day is the earliest day in it. Two results
of the measure on or before the reference date are compared: the *baseline*, the newest on or before the window's
first day (the value at the window's start, however old), and the *latest*, the newest after that day. The change
is counted the better way (the measure's ``better`` in the vocabulary: for ``lower``, a fall is an improvement):
``improved`` is a change the better way, above zero or satisfying ``by >= amount``; ``worsened`` the same the other
way; equal values are neither. Unknown when a result is missing: ``missing`` (neither), ``stale`` (no result after
the window's first day), ``no_baseline`` (none on or before it); ``unresolved`` when the measure has no direction
or the amount's unit cannot be converted.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import cast

from eligibility.engine.compiler import Plan
from eligibility.engine.context import EvaluationContext
from eligibility.engine.findings import Finding, Reason, TrendEvidence
from eligibility.engine.timeline import boundary, in_window
from eligibility.engine.truth import UNKNOWN, Truth
from eligibility.lang import ast
from eligibility.patient.index import PatientIndex, Reading

_OPS = {">=": operator.ge, ">": operator.gt}


def after_start(day: date, as_of: date, window: ast.Window) -> bool:
    """True for a day after the window's first day (the day before it is still in the window)."""
    if day == date.min:
        return False
    before = day - timedelta(days=1)
    return in_window(before, before, as_of, window)


def window_start(as_of: date, window: ast.Window) -> date | None:
    """The window's first day (``None`` when it opens before every date)."""
    edge = boundary(as_of, window.duration)
    if edge is None:
        return None
    return edge.date() if edge == datetime(edge.year, edge.month, edge.day) else edge.date() + timedelta(days=1)


def compared(readings: Sequence[Reading], as_of: date, window: ast.Window) -> tuple[Reading | None, Reading | None]:
    """(baseline, latest) among readings sorted newest first (see the module)."""
    baseline = latest = None
    for reading in readings:
        if reading.date > as_of:
            continue
        if after_start(reading.date, as_of, window):
            latest = latest or reading
        else:
            baseline = reading
            break
    return baseline, latest


def trend_finding(plan: Plan, readings: Sequence[Reading], as_of: date) -> Finding:
    """The finding of a trend node from the measure's readings, newest first (see the module)."""
    node = cast(ast.Trend, plan.node)
    measure = plan.measure
    if measure is None or measure.better is None or (node.amount is not None and plan.threshold is None):
        return Finding(UNKNOWN, plan, Reason.UNRESOLVED)
    baseline, latest = compared(readings, as_of, node.window)
    evidence = TrendEvidence(baseline, latest, window_start(as_of, node.window))
    if baseline is None or latest is None:
        reason = Reason.MISSING if baseline is latest else Reason.STALE if latest is None else Reason.NO_BASELINE
        return Finding(UNKNOWN, plan, reason, evidence)
    assert not isinstance(baseline.value, str) and not isinstance(latest.value, str)
    gain = latest.value - baseline.value if measure.better == "higher" else baseline.value - latest.value
    change = gain if node.change == "improved" else -gain
    met = change > 0 if plan.threshold is None else _OPS[node.op or ">="](change, plan.threshold)
    return Finding(Truth.of(met != node.negated), plan, Reason.DECIDED, evidence)


def evaluate_trend(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    """The evaluate-stage handler of trend nodes: the measure's readings, then :func:`trend_finding`."""
    readings = patient.readings.get(plan.measure.id, ()) if plan.measure else ()
    return trend_finding(plan, readings, context.as_of)
