"""Evaluation of plans against a normalised patient, in Kleene three-valued logic.

Dispatch is on the node type (one :class:`~eligibility.lang.dispatch.NodeDispatch` table). Missing, stale or
undecidable data gives ``UNKNOWN`` with a :class:`~eligibility.engine.findings.Reason`, never an exception.
Findings keep typed evidence; wording is left to :mod:`eligibility.output.explain`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

from eligibility.engine.compiler import Plan
from eligibility.engine.context import EvaluationContext
from eligibility.engine.courses import evaluate_course_length, timing_finding
from eligibility.engine.doses import dose_finding
from eligibility.engine.findings import (
    AgeEvidence,
    DurationEvidence,
    Finding,
    LabEvidence,
    LimitEvidence,
    OnsetEvidence,
    Reason,
    RecordsEvidence,
    SexEvidence,
)
from eligibility.engine.histories import certain, matching, negated, possible
from eligibility.engine.onset import Onset, onset_of, stable_truth
from eligibility.engine.sharing import keep, logic, shared, touches, untouched
from eligibility.engine.stable import evaluate_stable_dose
from eligibility.engine.timeline import age_in, birth_range_for_age, in_window
from eligibility.engine.trends import evaluate_trend
from eligibility.engine.truth import FALSE, TRUE, UNKNOWN, Truth, all_of, any_of
from eligibility.engine.validity import ResultRule, any_date, newest_positive, own_window, prefers_positive
from eligibility.lang import ast
from eligibility.lang.dispatch import NodeDispatch
from eligibility.patient.index import PatientIndex, Reading

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

Handler = Callable[[Plan, PatientIndex, EvaluationContext], Finding]
EVALUATE: NodeDispatch[Handler] = NodeDispatch("evaluate")


def evaluate(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    """The finding of ``plan`` for ``patient``; never raises for missing data."""
    memo = context.memo
    if memo is None:
        return _HANDLERS[type(plan.node)](plan, patient, context)
    found = memo.get(id(plan))
    if found is None:
        found = memo[id(plan)] = _HANDLERS[type(plan.node)](plan, patient, context)
    return found


# --- measurements ----------------------------------------------------------------------------------------


def _latest(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Reading | Reason:
    """The newest usable reading, or why there is none (``missing``, or ``stale`` when all are too old)."""
    readings = patient.readings.get(plan.measure.id, ()) if plan.measure else ()
    if not readings:
        return Reason.MISSING
    node = cast(ResultRule, plan.node)
    window = None
    if not any_date(node, plan.measure):  # a lifetime test or an ``ever`` rule: any date counts
        window = own_window(node, plan.measure) or _recency_window(context.lab_recency)
    return _newest_in(readings, window, context.as_of)


def _newest_in(readings, window: ast.Window | None, as_of: date) -> Reading | Reason:
    for reading in readings:
        if reading.date <= as_of and in_window(reading.date, reading.date, as_of, window):
            return reading
    return Reason.STALE


_WINDOWS: dict[int, tuple[ast.Duration, ast.Window]] = {}  # id(recency) → (recency, its window)


def _recency_window(recency: ast.Duration) -> ast.Window:
    """The window ``within <recency>``, made once per recency object (the entry keeps it alive)."""
    entry = _WINDOWS.get(id(recency))
    if entry is None or entry[0] is not recency:
        if len(_WINDOWS) >= 1000:
            _WINDOWS.clear()
        entry = _WINDOWS[id(recency)] = (recency, ast.Window(op="<=", duration=recency))
    return entry[1]


def _weight(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Reading | Reason:
    """The newest reading of the plan's measure (a dose node's body weight) in the lab recency window."""
    readings = patient.readings.get(plan.measure.id, ()) if plan.measure else ()
    if not readings:
        return Reason.MISSING
    return _newest_in(readings, _recency_window(context.lab_recency), context.as_of)


@EVALUATE.register(ast.Comparison)
def _comparison(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.Comparison, plan.node)
    if plan.threshold is None:
        return shared(UNKNOWN, plan, Reason.UNRESOLVED)
    reading = _latest(plan, patient, context)
    if isinstance(reading, Reason):
        return _unread(plan, patient, reading)
    met = OPS[node.op](reading.value, plan.threshold)
    return Finding(Truth.of(met), plan, Reason.DECIDED, LabEvidence(reading))


def _reference(
    node: ast.RelativeComparison, measure_id: str, reading: Reading, context: EvaluationContext
) -> tuple[Fraction | None, str]:
    upper = node.limit == "ULN"
    own = reading.high if upper else reading.low
    if own is not None:
        return own, "the lab's reference range"
    table = context.reference_ranges.get(measure_id)
    limit = None if table is None else (table.high if upper else table.low)
    return limit, (table.source if table and limit is not None else "")


@EVALUATE.register(ast.RelativeComparison)
def _relative(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.RelativeComparison, plan.node)
    if plan.measure is None:
        return shared(UNKNOWN, plan, Reason.UNRESOLVED)
    reading = _latest(plan, patient, context)
    if isinstance(reading, Reason):
        return _unread(plan, patient, reading)
    limit, source = _reference(node, plan.measure.id, reading, context)
    if limit is None:
        return Finding(UNKNOWN, plan, Reason.NO_REFERENCE_RANGE, LabEvidence(reading))
    met = OPS[node.op](reading.value, Fraction(node.factor) * limit)
    return Finding(Truth.of(met), plan, Reason.DECIDED, LimitEvidence(reading, limit, source))


@EVALUATE.register(ast.Qualitative)
def _qualitative(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.Qualitative, plan.node)
    reading = _latest(plan, patient, context)
    if isinstance(reading, Reason):
        return _unread(plan, patient, reading)
    if prefers_positive(node, plan.measure):  # a positive result on file decides a lifetime test
        reading = newest_positive(patient.readings[plan.measure.id], context.as_of) or reading  # type: ignore[union-attr]
    return Finding(Truth.of(reading.value == node.value), plan, Reason.DECIDED, LabEvidence(reading))


def _unread(plan: Plan, patient: PatientIndex, reason: Reason) -> Finding:
    """A lab node without a usable reading: the newest unusable one as evidence, else a shared finding."""
    evidence = _stale_evidence(plan, patient)
    return shared(UNKNOWN, plan, reason) if evidence is None else Finding(UNKNOWN, plan, reason, evidence)


def _stale_evidence(plan: Plan, patient: PatientIndex) -> LabEvidence | None:
    readings = patient.readings.get(plan.measure.id, ()) if plan.measure else ()
    return LabEvidence(readings[0]) if readings else None


# --- the person ------------------------------------------------------------------------------------------


def _age_bounds(unit: str, patient: PatientIndex, on: date) -> tuple[Decimal, Decimal] | None:
    """Youngest and oldest possible age on ``on`` (equal when the birth date is known); memoised per patient."""
    key = ("age", unit, on)
    if key not in patient.memo:
        patient.memo[key] = _compute_age_bounds(unit, patient, on)
    return patient.memo[key]


def _compute_age_bounds(unit: str, patient: PatientIndex, on: date) -> tuple[Decimal, Decimal] | None:
    person = patient.patient
    births = person.birth_range()
    if births is not None:  # a partial birth date leaves the age open only where the missing part matters
        return age_in(unit, births[1], on), age_in(unit, births[0], on)
    if person.age is None:
        return None
    births = birth_range_for_age(person.age, person.as_of or patient.as_of)
    if births is None:  # the age reaches back before year 1
        return None
    earliest, latest = births
    return age_in(unit, latest, on), age_in(unit, earliest, on)


def _decided_or(truth: Truth, reason: Reason) -> Reason:
    return Reason.DECIDED if truth is not UNKNOWN else reason


def _compare_bounds(op: str, bounds: tuple[Decimal, Decimal], threshold: Decimal) -> Truth:
    low, high = bounds
    outcomes = {OPS[op](low, threshold), OPS[op](high, threshold)}
    if low != high and op in ("==", "!="):
        outcomes.add(op == "!=")
    return Truth.of(outcomes.pop()) if len(outcomes) == 1 else UNKNOWN


@EVALUATE.register(ast.Age)
def _age(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.Age, plan.node)
    bounds = _age_bounds(node.duration.unit, patient, context.as_of)
    if bounds is None:
        return Finding(UNKNOWN, plan, Reason.MISSING)
    truth = _compare_bounds(node.op, bounds, node.duration.value)
    return Finding(truth, plan, _decided_or(truth, Reason.AGE_UNCERTAIN), AgeEvidence(*bounds))


def _earliest_onset(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Onset | Finding:
    """The onset of an onset rule's conditions, or the finding when it cannot be compared: no record, or no
    dated one."""
    node = cast(ast.OnsetRule, plan.node)
    onset = onset_of(patient, context.vocabulary, node.concepts)
    if isinstance(onset, Reason):
        return Finding(FALSE if onset in (Reason.ABSENT, Reason.COMPLETE) else UNKNOWN, plan, onset)
    if onset.earliest is None:
        return Finding(UNKNOWN, plan, Reason.UNDATED)
    return onset


@EVALUATE.register(ast.AgeAtOnset)
def _age_at_onset(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.AgeAtOnset, plan.node)
    onset = _earliest_onset(plan, patient, context)
    if isinstance(onset, Finding):
        return onset
    assert onset.earliest is not None
    bounds = _age_bounds(node.duration.unit, patient, onset.earliest)
    if bounds is None:
        return Finding(UNKNOWN, plan, Reason.MISSING_BIRTH, OnsetEvidence(onset.earliest))
    truth = _compare_bounds(node.op, bounds, node.duration.value)
    evidence = AgeEvidence(*bounds, onset=onset.earliest)
    if onset.earlier is None or stable_truth(truth, node.op, later_is_larger=True):
        return Finding(truth, plan, _decided_or(truth, Reason.AGE_UNCERTAIN), evidence)
    return Finding(UNKNOWN, plan, onset.earlier, evidence)


@EVALUATE.register(ast.DiseaseDuration)
def _disease_duration(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.DiseaseDuration, plan.node)
    onset = _earliest_onset(plan, patient, context)
    if isinstance(onset, Finding):
        return onset
    assert onset.earliest is not None
    elapsed = age_in(node.duration.unit, onset.earliest, context.as_of)
    truth = Truth.of(OPS[node.op](elapsed, node.duration.value))
    evidence = DurationEvidence(onset.earliest, elapsed)
    if onset.earlier is None or stable_truth(truth, node.op, later_is_larger=False):
        return Finding(truth, plan, Reason.DECIDED, evidence)
    return Finding(UNKNOWN, plan, onset.earlier, evidence)


@EVALUATE.register(ast.Sex)
def _sex(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    sex = patient.patient.sex
    if sex is None:
        return Finding(UNKNOWN, plan, Reason.MISSING)
    return Finding(Truth.of(sex == cast(ast.Sex, plan.node).value), plan, Reason.DECIDED, SexEvidence(sex))


# --- histories -------------------------------------------------------------------------------------------


@EVALUATE.register(ast.Presence)
def _presence(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.Presence, plan.node)
    if not touches(plan, patient, context.vocabulary):  # no record of it, of a broader kind, nor a negation
        complete = node.category in patient.complete
        return shared(FALSE if complete else UNKNOWN, plan, Reason.COMPLETE if complete else Reason.MISSING)
    hits, undated = certain(node, patient, context)
    if hits:
        return Finding(TRUE, plan, Reason.DECIDED, RecordsEvidence(tuple(hits)))
    if negated(patient, context, node.category, node.concept, node.active):
        return shared(FALSE, plan, Reason.NEGATED)
    if undated:
        return shared(UNKNOWN, plan, Reason.UNDATED)
    unsure = possible(node, patient, context)
    if unsure:
        return Finding(UNKNOWN, plan, Reason.UNSPECIFIC, RecordsEvidence(tuple(unsure)))
    if node.category in patient.complete:
        return shared(FALSE, plan, Reason.COMPLETE)
    return shared(UNKNOWN, plan, Reason.MISSING)


@EVALUATE.register(ast.Count)
def _count(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.Count, plan.node)
    hits, undated = certain(node, patient, context)
    seen, evidence = len(hits), RecordsEvidence(tuple(hits))
    if node.category in patient.complete and not undated:
        # Closed world: the count lies between the records of this kind and those plus the unspecific ones.
        most = seen + len(possible(node, patient, context))
        outcomes = {OPS[node.op](n, node.count) for n in range(seen, most + 1)}
        if len(outcomes) == 1:
            return Finding(Truth.of(outcomes.pop()), plan, Reason.DECIDED, evidence)
        return Finding(UNKNOWN, plan, Reason.UNSPECIFIC, evidence)
    # Open world: records on file are a lower bound of the true count.
    if node.op in (">=", ">") and OPS[node.op](seen, node.count):
        return Finding(TRUE, plan, Reason.DECIDED, evidence)
    if node.op in ("<=", "<", "==") and seen > node.count - (node.op == "<"):
        return Finding(FALSE, plan, Reason.DECIDED, evidence)
    if node.op == "!=" and seen > node.count:
        return Finding(TRUE, plan, Reason.DECIDED, evidence)
    return Finding(UNKNOWN, plan, Reason.INCOMPLETE_COUNT, evidence)


# --- logic -----------------------------------------------------------------------------------------------


@EVALUATE.register(ast.NeedsReview)
def _review(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    return shared(UNKNOWN, plan, Reason.REVIEW)


def _children(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> tuple[Finding, ...]:
    """The findings of a plan's children (those already in the memo read from it directly)."""
    memo = context.memo
    if memo is None:
        return tuple([evaluate(child, patient, context) for child in plan.children])
    return tuple([memo.get(id(child)) or evaluate(child, patient, context) for child in plan.children])


@EVALUATE.register(ast.AllOf)
def _all(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    known, key = untouched(
        plan, patient, context.vocabulary
    )  # a subtree the patient has no data for: its finding is known
    if known is not None:
        return known
    children = _children(plan, patient, context)
    return keep(key, logic(all_of([c.truth for c in children]), plan, children))


@EVALUATE.register(ast.AnyOf)
def _any(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    known, key = untouched(plan, patient, context.vocabulary)
    if known is not None:
        return known
    children = _children(plan, patient, context)
    return keep(key, logic(any_of([c.truth for c in children]), plan, children))


@EVALUATE.register(ast.Not)
def _not(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    known, key = untouched(plan, patient, context.vocabulary)
    if known is not None:
        return known
    child = evaluate(plan.children[0], patient, context)
    return keep(key, logic(~child.truth, plan, (child,)))


@EVALUATE.register(ast.Implies)
def _implies(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    condition, then = _children(plan, patient, context)
    return Finding(any_of((~condition.truth, then.truth)), plan, Reason.LOGIC, None, (condition, then))


# --- language v2: doses and treatment courses ------------------------------------------------------------


@EVALUATE.register(ast.DoseComparison)
def _dose(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.DoseComparison, plan.node)
    hits, undated = matching(patient.occurrences("medication", node.concept), node, context.as_of)
    recorded_absent = negated(patient, context, "medication", node.concept, False)
    weight = _weight(plan, patient, context)
    usable = None if isinstance(weight, Reason) else weight
    return dose_finding(plan, hits, undated, recorded_absent, patient, usable, context.as_of)


@EVALUATE.register(ast.DoseTiming)
def _dose_timing(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.DoseTiming, plan.node)
    records = patient.occurrences("medication", node.concept)
    recorded_absent = negated(patient, context, "medication", node.concept, False)
    return timing_finding(plan, records, recorded_absent, "medication" in patient.complete, context.as_of)


EVALUATE.register(ast.CourseLength)(evaluate_course_length)
EVALUATE.register(ast.Trend)(evaluate_trend)
EVALUATE.register(ast.StableDose)(evaluate_stable_dose)

_HANDLERS = EVALUATE.table  # the hot path reads the table directly; completeness is tested
