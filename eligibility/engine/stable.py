"""Evaluation of stable doses (``stable dose of prednisone for at least 4 weeks``).

The window is the last N days, weeks, months or years up to the reference date; its first day as for ``within``.
Among the drug's records (or a kind of it's) on or before the reference date:

- a record *overlaps* the window when its last day taken (its end, clipped to the reference date; the reference
  date while it is ongoing) is in the window; one ended on a day not known overlaps when its start is in the
  window, and *may* overlap when it started earlier, as may one without a start;
- a record *covers* the window when it started on or before the window's first day and is ongoing or ended on or
  after the reference date.

Each drug of a class is judged on its own records (two drugs taken together at different doses are no change).
Doses are compared exactly in their basis (``mg/day`` or ``mg/kg/day``; doses in different bases are not
compared), as recorded (not as equivalents of another drug). The finding is false when two overlapping records of
one drug have different doses in one basis (a change within the window); true when, for every drug with a record
that overlaps or may overlap, a covering record has a dose and every such record of the drug has that same dose;
false when no record may overlap and the drug is recorded absent or medications are complete; false with
medications complete when, for some drug, no record may cover the window's first day or the reference date (it
was not taken then); otherwise unknown: ``no_dose`` (a record that may overlap has no usable dose), ``undated``
(one may or may not overlap), ``open_history`` (no one record covers the window: another could hold a change, or
fill a gap), or ``missing`` (nothing on record).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import cast

from eligibility.engine.compiler import Plan
from eligibility.engine.context import EvaluationContext
from eligibility.engine.findings import DoseEvidence, Finding, Reason
from eligibility.engine.histories import negated
from eligibility.engine.timeline import in_window
from eligibility.engine.trends import after_start
from eligibility.engine.truth import FALSE, TRUE, UNKNOWN
from eligibility.lang import ast
from eligibility.patient.index import Occurrence, PatientIndex


def _in(day: date, as_of: date, window: ast.Window) -> bool:
    return in_window(day, day, as_of, window)


def overlaps(record: Occurrence, as_of: date, window: ast.Window) -> bool | None:
    """Whether the record overlaps the window (``None``: it may)."""
    if record.start is None:
        return None
    if record.end is not None:
        return _in(min(record.end, as_of), as_of, window)
    if record.status == "active":
        return True
    return True if _in(record.start, as_of, window) else None  # ended on a day not known


def covers(record: Occurrence, as_of: date, window: ast.Window) -> bool:
    """Whether the record certainly covers every day of the window."""
    if record.start is None or after_start(record.start, as_of, window):
        return False
    return (record.end is None and record.status == "active") or (record.end is not None and record.end >= as_of)


def may_cover(record: Occurrence, first: bool, as_of: date, window: ast.Window) -> bool:
    """Whether a record that may overlap the window may cover its first day (``first``) or the reference date."""
    if first:
        return record.start is None or not after_start(record.start, as_of, window)
    return record.end is None or record.end >= as_of


def _dose(record: Occurrence) -> tuple[str, Fraction] | None:
    return None if record.dose is None else (record.dose.basis, record.dose.value)


def _changed(records: Sequence[Occurrence]) -> bool:
    """Two records with different doses in one basis."""
    seen: dict[str, set[Fraction]] = {}
    for record in records:
        if record.dose is not None:
            seen.setdefault(record.dose.basis, set()).add(record.dose.value)
    return any(len(values) > 1 for values in seen.values())


def _evidence(records: Sequence[Occurrence]) -> DoseEvidence:
    return DoseEvidence(tuple((r, r.dose.value if r.dose else None) for r in records))


@dataclass(frozen=True)
class _Drug:
    """What one drug's records say about the window (see the module)."""

    certain: list[Occurrence]
    possible: list[Occurrence]
    changed: bool
    steady: bool
    gap: bool
    no_dose: bool

    @classmethod
    def of(cls, records: Sequence[Occurrence], as_of: date, window: ast.Window) -> _Drug:
        placed = [(r, overlaps(r, as_of, window)) for r in records]
        certain = [r for r, inside in placed if inside is True]
        possible = [r for r, inside in placed if inside is not False]
        doses = {_dose(r) for r in possible}
        steady = len(doses) == 1 and None not in doses and any(covers(r, as_of, window) for r in certain)
        gap = not all(any(may_cover(r, first, as_of, window) for r in possible) for first in (True, False))
        return cls(certain, possible, _changed(certain), steady, gap, None in doses)


def stable_finding(plan: Plan, records: Sequence[Occurrence], absent: bool, complete: bool, as_of: date) -> Finding:
    """The finding of a stable-dose node from the class's records, drug by drug (see the module)."""
    node = cast(ast.StableDose, plan.node)
    window = ast.Window(op="<=", duration=node.lasting)
    by_drug: dict[str, list[Occurrence]] = {}
    for record in records:
        by_drug.setdefault(record.concept, []).append(record)
    drugs = [d for d in (_Drug.of(rs, as_of, window) for rs in by_drug.values()) if d.possible]
    if any(d.changed for d in drugs):
        return Finding(FALSE, plan, Reason.DECIDED, _evidence([r for d in drugs if d.changed for r in d.certain]))
    possible = [r for d in drugs for r in d.possible]
    if drugs and all(d.steady for d in drugs):
        return Finding(TRUE, plan, Reason.DECIDED, _evidence(possible))
    if not drugs:
        if absent or complete:
            return Finding(FALSE, plan, Reason.NEGATED if absent else Reason.COMPLETE)
        return Finding(UNKNOWN, plan, Reason.MISSING)
    evidence = _evidence(possible)
    if complete and any(d.gap for d in drugs):
        return Finding(FALSE, plan, Reason.COMPLETE, evidence)
    if any(d.no_dose for d in drugs):
        return Finding(UNKNOWN, plan, Reason.NO_DOSE, evidence)
    if any(len(d.certain) < len(d.possible) for d in drugs):
        return Finding(UNKNOWN, plan, Reason.UNDATED, evidence)
    return Finding(UNKNOWN, plan, Reason.OPEN_HISTORY, evidence)


def evaluate_stable_dose(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    """The evaluate-stage handler of stable-dose nodes: the drug's records, then :func:`stable_finding`."""
    node = cast(ast.StableDose, plan.node)
    records = patient.occurrences("medication", node.concept)
    absent = negated(patient, context, "medication", node.concept, False)
    return stable_finding(plan, records, absent, "medication" in patient.complete, context.as_of)
