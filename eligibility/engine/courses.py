"""Evaluation of first and last doses (``first dose of rituximab at least 2 months ago``,
``last dose of rituximab at least 4 weeks ago``).

The records of the drug (or a kind of it) on or before the reference date place the day in question between two
bounds (equal when it is known):

- first dose: the earliest start; a record without a start could be earlier, so the lower bound is open;
- last dose: the latest day taken; per record its end (clipped to the reference date), the reference date while
  it is ongoing, or between its start and the reference date when it ended on a day not known (``status: ended``).

The window is tested at both bounds (a window is one stretch of days, so the bounds agreeing settles every day
between). When they disagree the finding is unknown (``undated``). When medications are not marked complete, a
dose not on record could be earlier than the first or later than the last one on file: the finding is then decided
only where such a dose could not change it, else unknown (``open_history``). With no record at all it is false
when the drug is recorded absent or medications are complete (no dose was taken), else unknown (``missing``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import cast

from eligibility.engine.compiler import Plan
from eligibility.engine.findings import CourseEvidence, Finding, Reason
from eligibility.engine.timeline import in_window
from eligibility.engine.truth import FALSE, UNKNOWN, Truth
from eligibility.lang import ast
from eligibility.patient.index import Occurrence

Bounds = tuple[date | None, date]


def first_dose_bounds(records: Sequence[Occurrence], as_of: date) -> Bounds:
    """Earliest and latest possible day of the first dose (``None``: any earlier day)."""
    starts = [r.start for r in records if r.start is not None]
    high = min(starts) if starts else as_of
    return (None if len(starts) < len(records) else high), high


def last_dose_bounds(records: Sequence[Occurrence], as_of: date) -> Bounds:
    """Earliest and latest possible day of the last dose (``None``: any earlier day)."""
    lows: list[date] = []
    highs: list[date] = []
    for record in records:
        if record.end is not None:
            lows.append(min(record.end, as_of))
            highs.append(min(record.end, as_of))
        elif record.status == "active":  # ongoing: still taken on the reference date
            lows.append(as_of)
            highs.append(as_of)
        else:  # ended on a day not known: on or after its start
            lows.extend([record.start] if record.start is not None else [])
            highs.append(as_of)
    return (max(lows) if lows else None), max(highs)


def holds(day: date | None, as_of: date, window: ast.Window) -> bool:
    """The window on one day (``None``: a day before every record, which is "ago" and not "within")."""
    if day is None:
        return window.op in (">=", ">")
    return in_window(day, day, as_of, window)


def timing_finding(plan: Plan, records: Sequence[Occurrence], negated: bool, complete: bool, as_of: date) -> Finding:
    """The finding of a first/last dose node from the drug's records (see the module)."""
    node = cast(ast.DoseTiming, plan.node)
    if not records:
        if negated or complete:
            return Finding(FALSE, plan, Reason.NEGATED if negated else Reason.COMPLETE)
        return Finding(UNKNOWN, plan, Reason.MISSING)
    first = node.which == "first"
    low, high = (first_dose_bounds if first else last_dose_bounds)(records, as_of)
    evidence = CourseEvidence(low, high, tuple(records))
    at_low, at_high = holds(low, as_of, node.window), holds(high, as_of, node.window)
    if at_low != at_high:
        return Finding(UNKNOWN, plan, Reason.UNDATED, evidence)
    if not complete:
        wider = (holds(None, as_of, node.window), at_high) if first else (at_low, holds(as_of, as_of, node.window))
        if wider[0] != wider[1]:
            return Finding(UNKNOWN, plan, Reason.OPEN_HISTORY, evidence)
    return Finding(Truth.of(at_high), plan, Reason.DECIDED, evidence)
