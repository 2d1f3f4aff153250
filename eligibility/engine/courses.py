"""Evaluation of first and last doses (``first dose of rituximab at least 2 months ago``,
``last dose of rituximab at least 4 weeks ago``) and of course lengths (``has medication interferon_beta for at
least 1 year``).

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
from datetime import date, timedelta
from typing import cast

from dateutil.relativedelta import relativedelta

from eligibility.engine.compiler import Plan
from eligibility.engine.context import EvaluationContext
from eligibility.engine.findings import CourseEvidence, Finding, Reason, RecordsEvidence
from eligibility.engine.histories import matching, negated
from eligibility.engine.timeline import in_window
from eligibility.engine.truth import FALSE, TRUE, UNKNOWN, Truth
from eligibility.lang import ast
from eligibility.patient.index import Occurrence, PatientIndex

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


# --- course length ----------------------------------------------------------------------------------------


def course_reach(start: date, length: ast.Duration) -> date | None:
    """The last day a course begun on ``start`` must reach to have lasted ``length``, first and last day included
    (3 days from 1 August: 3 August; 6 months from 1 January: 30 June); ``None`` past the calendar's end."""
    amount = int(length.value)
    try:
        if length.unit in ("month", "year"):
            after = start + relativedelta(months=amount * (12 if length.unit == "year" else 1))
        else:
            after = start + timedelta(days=amount * (7 if length.unit == "week" else 1))
    except (OverflowError, ValueError):
        return None
    return after - timedelta(days=1)


def lasted_for(record: Occurrence, as_of: date, length: ast.Duration) -> bool | None:
    """Whether a record's course lasted ``length``: to its end (clipped to the reference date), to the reference
    date while it is ongoing; when it ended on a day not known, only where every possible end agrees."""
    if record.start is None:
        return None
    reach = course_reach(record.start, length)
    if reach is None:
        return False
    if record.end is not None:
        shortest = longest = min(record.end, as_of)
    else:
        longest = as_of
        shortest = as_of if record.status == "active" else record.start
    if shortest >= reach:
        return True
    return False if longest < reach else None


def length_finding(
    plan: Plan, hits: Sequence[Occurrence], undated: bool, negated: bool, complete: bool, as_of: date
) -> Finding:
    """The finding of a course-length node from the drug's records in its window: true when one lasted long
    enough; false when the drug is recorded absent, or medications are complete and every record is dated and too
    short; unknown (``undated``) when a record's length or place is not known, else (``missing``)."""
    node = cast(ast.CourseLength, plan.node)
    lengths = [(record, lasted_for(record, as_of, node.lasting)) for record in hits]
    met = tuple(record for record, enough in lengths if enough is True)
    if met:
        return Finding(TRUE, plan, Reason.DECIDED, RecordsEvidence(met))
    if not hits and negated:
        return Finding(FALSE, plan, Reason.NEGATED)
    unsure = tuple(record for record, enough in lengths if enough is None)
    if unsure:
        return Finding(UNKNOWN, plan, Reason.UNDATED, RecordsEvidence(unsure))
    evidence = RecordsEvidence(tuple(hits)) if hits else None
    if complete and not undated:
        return Finding(FALSE, plan, Reason.COMPLETE, evidence)
    return Finding(UNKNOWN, plan, Reason.UNDATED if undated else Reason.MISSING, evidence)


def evaluate_course_length(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    """The evaluate-stage handler of course-length nodes: the drug's records in the window, then
    :func:`length_finding`."""
    node = cast(ast.CourseLength, plan.node)
    hits, undated = matching(patient.occurrences("medication", node.concept), node, context.as_of)
    absent = negated(patient, context, "medication", node.concept, False)
    return length_finding(plan, hits, undated, absent, "medication" in patient.complete, context.as_of)
