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
from eligibility.engine.courses import timing_finding
from eligibility.engine.doses import dose_finding
from eligibility.engine.findings import (
    AgeEvidence,
    Finding,
    LabEvidence,
    LimitEvidence,
    OnsetEvidence,
    Reason,
    RecordsEvidence,
    SexEvidence,
)
from eligibility.engine.timeline import age_in, birth_range_for_age, in_window
from eligibility.engine.truth import FALSE, TRUE, UNKNOWN, Truth, all_of, any_of
from eligibility.lang import ast
from eligibility.lang.dispatch import NodeDispatch
from eligibility.patient.index import Occurrence, PatientIndex, Reading

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


def _latest(
    plan: Plan, window: ast.Window | None, patient: PatientIndex, context: EvaluationContext
) -> Reading | Reason:
    """The newest usable reading, or why there is none (``missing``, or ``stale`` when all are too old)."""
    readings = patient.readings.get(plan.measure.id, ()) if plan.measure else ()
    if not readings:
        return Reason.MISSING
    window = window or ast.Window(op="<=", duration=context.lab_recency)
    for reading in readings:
        if reading.date <= context.as_of and in_window(reading.date, reading.date, context.as_of, window):
            return reading
    return Reason.STALE


@EVALUATE.register(ast.Comparison)
def _comparison(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.Comparison, plan.node)
    if plan.threshold is None:
        return Finding(UNKNOWN, plan, Reason.UNRESOLVED)
    reading = _latest(plan, node.window, patient, context)
    if isinstance(reading, Reason):
        return Finding(UNKNOWN, plan, reading, _stale_evidence(plan, patient))
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
        return Finding(UNKNOWN, plan, Reason.UNRESOLVED)
    reading = _latest(plan, node.window, patient, context)
    if isinstance(reading, Reason):
        return Finding(UNKNOWN, plan, reading, _stale_evidence(plan, patient))
    limit, source = _reference(node, plan.measure.id, reading, context)
    if limit is None:
        return Finding(UNKNOWN, plan, Reason.NO_REFERENCE_RANGE, LabEvidence(reading))
    met = OPS[node.op](reading.value, Fraction(node.factor) * limit)
    return Finding(Truth.of(met), plan, Reason.DECIDED, LimitEvidence(reading, limit, source))


@EVALUATE.register(ast.Qualitative)
def _qualitative(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.Qualitative, plan.node)
    reading = _latest(plan, node.window, patient, context)
    if isinstance(reading, Reason):
        return Finding(UNKNOWN, plan, reading, _stale_evidence(plan, patient))
    return Finding(Truth.of(reading.value == node.value), plan, Reason.DECIDED, LabEvidence(reading))


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


@EVALUATE.register(ast.AgeAtOnset)
def _age_at_onset(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.AgeAtOnset, plan.node)
    onsets = [o.start for o in patient.occurrences("condition", node.concept) if o.start is not None]
    if not onsets:
        known_absent = _negated(plan, patient, context, "condition", node.concept, active=False)
        return Finding(FALSE if known_absent else UNKNOWN, plan, Reason.ABSENT if known_absent else Reason.MISSING)
    onset = min(onsets)
    bounds = _age_bounds(node.duration.unit, patient, onset)
    if bounds is None:
        return Finding(UNKNOWN, plan, Reason.MISSING_BIRTH, OnsetEvidence(onset))
    truth = _compare_bounds(node.op, bounds, node.duration.value)
    return Finding(truth, plan, _decided_or(truth, Reason.AGE_UNCERTAIN), AgeEvidence(*bounds, onset=onset))


@EVALUATE.register(ast.Sex)
def _sex(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    sex = patient.patient.sex
    if sex is None:
        return Finding(UNKNOWN, plan, Reason.MISSING)
    return Finding(Truth.of(sex == cast(ast.Sex, plan.node).value), plan, Reason.DECIDED, SexEvidence(sex))


# --- histories -------------------------------------------------------------------------------------------


def _negated(
    plan, patient: PatientIndex, context: EvaluationContext, category: str, concept: str, active: bool
) -> bool:
    negations = patient.negations.get(category)
    if not negations:
        return False
    if negations.get(concept) == "resolved" and active:
        return True
    return any(negations.get(a) == "absent" for a in context.vocabulary.ancestors(concept))


def _matching(occurrences: list[Occurrence], node, as_of: date) -> tuple[list[Occurrence], bool]:
    """Occurrences that satisfy the node's status and window, and whether an undated one could."""
    hits, undated = [], False
    excluded = frozenset(getattr(node, "excluding", ()))
    for occurrence in occurrences:
        if getattr(node, "active", False) and occurrence.status != "active":
            continue
        if excluded and occurrence.concept_ancestors & excluded:
            continue
        if occurrence.start is None:
            undated = undated or node.window is not None
            if node.window is None:
                hits.append(occurrence)
            continue
        if occurrence.end is None and occurrence.status != "active":  # ended on a day not known
            if in_window(occurrence.start, occurrence.start, as_of, node.window):
                hits.append(occurrence)
            elif in_window(occurrence.start, as_of, as_of, node.window):
                undated = True  # the unknown end decides it
            continue
        if in_window(occurrence.start, occurrence.end or as_of, as_of, node.window):
            hits.append(occurrence)
    return hits, undated


@EVALUATE.register(ast.Presence)
def _presence(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.Presence, plan.node)
    hits, undated = _matching(patient.occurrences(node.category, node.concept), node, context.as_of)
    if hits:
        return Finding(TRUE, plan, Reason.DECIDED, RecordsEvidence(tuple(hits)))
    if _negated(plan, patient, context, node.category, node.concept, node.active):
        return Finding(FALSE, plan, Reason.NEGATED)
    if node.category in patient.complete and not undated:
        return Finding(FALSE, plan, Reason.COMPLETE)
    return Finding(UNKNOWN, plan, Reason.UNDATED if undated else Reason.MISSING)


@EVALUATE.register(ast.Count)
def _count(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.Count, plan.node)
    hits, undated = _matching(patient.occurrences(node.category, node.concept), node, context.as_of)
    seen = len(hits)
    closed = node.category in patient.complete and not undated
    if closed:
        return Finding(Truth.of(OPS[node.op](seen, node.count)), plan, Reason.DECIDED, RecordsEvidence(tuple(hits)))
    # Open world: records on file are a lower bound of the true count.
    if node.op in (">=", ">") and OPS[node.op](seen, node.count):
        return Finding(TRUE, plan, Reason.DECIDED, RecordsEvidence(tuple(hits)))
    if node.op in ("<=", "<", "==") and seen > node.count - (node.op == "<"):
        return Finding(FALSE, plan, Reason.DECIDED, RecordsEvidence(tuple(hits)))
    if node.op == "!=" and seen > node.count:
        return Finding(TRUE, plan, Reason.DECIDED, RecordsEvidence(tuple(hits)))
    return Finding(UNKNOWN, plan, Reason.INCOMPLETE_COUNT, RecordsEvidence(tuple(hits)))


# --- logic -----------------------------------------------------------------------------------------------


@EVALUATE.register(ast.NeedsReview)
def _review(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    return Finding(UNKNOWN, plan, Reason.REVIEW)


@EVALUATE.register(ast.AllOf)
def _all(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    children = tuple(evaluate(child, patient, context) for child in plan.children)
    return Finding(all_of(c.truth for c in children), plan, Reason.LOGIC, None, children)


@EVALUATE.register(ast.AnyOf)
def _any(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    children = tuple(evaluate(child, patient, context) for child in plan.children)
    return Finding(any_of(c.truth for c in children), plan, Reason.LOGIC, None, children)


@EVALUATE.register(ast.Not)
def _not(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    child = evaluate(plan.children[0], patient, context)
    return Finding(~child.truth, plan, Reason.LOGIC, None, (child,))


# --- language v2: doses and treatment courses ------------------------------------------------------------


@EVALUATE.register(ast.DoseComparison)
def _dose(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.DoseComparison, plan.node)
    hits, undated = _matching(patient.occurrences("medication", node.concept), node, context.as_of)
    negated = _negated(plan, patient, context, "medication", node.concept, False)
    weight = _latest(plan, None, patient, context) if plan.measure is not None else None
    usable = None if isinstance(weight, Reason) else weight
    return dose_finding(plan, hits, undated, negated, patient, usable, context.as_of)


@EVALUATE.register(ast.DoseTiming)
def _dose_timing(plan: Plan, patient: PatientIndex, context: EvaluationContext) -> Finding:
    node = cast(ast.DoseTiming, plan.node)
    records = patient.occurrences("medication", node.concept)
    negated = _negated(plan, patient, context, "medication", node.concept, False)
    return timing_finding(plan, records, negated, "medication" in patient.complete, context.as_of)


_HANDLERS = EVALUATE.table  # the hot path reads the table directly; completeness is tested
