"""Rule plans → SQL: one handler per rule node type (the ``sql`` stage), each giving the node's truth and reason.

A leaf becomes two columns of the per-patient ``leaves`` relation: ``met`` (TRUE, FALSE or NULL for unknown) and
``reason`` (a :class:`~eligibility.engine.findings.Reason` code), plain column expressions over the patient's
``ref`` row (``r.ref_date``, ``r.sex``, ``r.birth_early`` …) and per-patient aggregates. A handler never adds a
subquery or a join: it asks the :class:`~eligibility.engine.sql.query.CohortQuery` for aggregates
(:meth:`~eligibility.engine.sql.query.CohortQuery.latest_reading`, ``has_readings``, ``onset``, ``negated``,
``matching_records``, or any conditional aggregate over a record table through ``per_patient(table, key,
build)``), which folds them into the single grouped pass over that table shared by every clause and trial of the
batch (see :mod:`eligibility.engine.sql.passes`), and registers its leaf with ``_leaf(query, key, met, reason)``.
``and``/``or``/``not`` are SQL's own, which are Kleene's on NULL. The handlers reproduce
:mod:`eligibility.engine.evaluator` node for node; the differential test holds them to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from eligibility.engine.compiler import Plan
from eligibility.engine.doses import rule_basis
from eligibility.engine.findings import Reason
from eligibility.engine.sql.courses import course_records, length_leaf, timing_leaf
from eligibility.engine.sql.doses import dose_leaf, dose_records, weight_reading
from eligibility.engine.sql.expressions import (
    age_in,
    case,
    col,
    compare,
    compare_bounds,
    conj,
    disj,
    is_null,
    negate,
    not_null,
    number,
    text,
)
from eligibility.engine.sql.labs import _comparison  # noqa: F401  (registers the measurement handlers)
from eligibility.engine.sql.nodes import SQL, Compiled, compile_sql
from eligibility.engine.sql.nodes import constant as _constant
from eligibility.engine.sql.nodes import leaf as _leaf
from eligibility.engine.sql.nodes import reason_code as _reason
from eligibility.engine.sql.onsets import OnsetColumns, elapsed_truth, onset_leaf
from eligibility.engine.sql.stable import stable_leaf
from eligibility.engine.sql.trends import trend_leaf
from eligibility.lang import ast
from eligibility.lang.resolve import course_days

if TYPE_CHECKING:
    from eligibility.engine.sql.query import CohortQuery, Settings


# --- the person ------------------------------------------------------------------------------------------


def _birth_range() -> tuple[exp.Expression, exp.Expression]:
    """Earliest and latest possible birth date (computed once per patient in ``ref``, NULL when unknown)."""
    return col("birth_early", "r"), col("birth_late", "r")


def _age_truth(op: str, duration: ast.Duration, on: exp.Expression) -> exp.Expression:
    """Truth of ``age on <on> <op> duration``: decided where every possible birth date agrees, else NULL."""
    earliest, latest = _birth_range()
    low, high = age_in(duration.unit, latest, on), age_in(duration.unit, earliest, on.copy())
    return case((not_null(earliest.copy()), compare_bounds(op, low, high, duration.value)))


def _no_age() -> exp.Expression:
    return conj(is_null(col("birth_low", "r")), is_null(col("age", "r")))


@SQL.register(ast.Age)
def _age(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.Age = plan.node  # type: ignore[assignment]
    met = _age_truth(node.op, node.duration, col("ref_date", "r"))
    reason = case((_no_age(), _reason(Reason.MISSING)), (is_null(met), _reason(Reason.AGE_UNCERTAIN)))
    return _leaf(query, ("age", node), met, exp.Coalesce(this=reason, expressions=[_reason(Reason.DECIDED)]))


@SQL.register(ast.AgeAtOnset)
def _age_at_onset(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.AgeAtOnset = plan.node  # type: ignore[assignment]
    columns = OnsetColumns(query, node)
    truth = _age_truth(node.op, node.duration, columns.onset())
    met, reason = onset_leaf(columns, node.op, truth, later_is_larger=True, no_age=_no_age())
    return _leaf(query, ("onset", node), met, reason)


@SQL.register(ast.DiseaseDuration)
def _disease_duration(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.DiseaseDuration = plan.node  # type: ignore[assignment]
    columns = OnsetColumns(query, node)
    truth = elapsed_truth(node, columns.onset(), age_in)
    met, reason = onset_leaf(columns, node.op, truth, later_is_larger=False)
    return _leaf(query, ("duration", node), met, reason)


@SQL.register(ast.Sex)
def _sex(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.Sex = plan.node  # type: ignore[assignment]
    sex = col("sex", "r")
    met = case((not_null(sex), exp.EQ(this=sex, expression=text(node.value))))
    reason = case((is_null(sex), _reason(Reason.MISSING)), default=_reason(Reason.DECIDED))
    return _leaf(query, ("sex", node), met, reason)


# --- histories -------------------------------------------------------------------------------------------


def _records(query: CohortQuery, node: ast.Presence | ast.Count) -> tuple[exp.Expression, ...]:
    """(hits, undated, complete, possible) for a history node: matching records, an undated record that might
    match, whether the category is complete, and how many records of a broader or overlapping concept would
    match if they were of the node's kind."""
    records, unsure = query.matching_records(node), query.matching_records(node, unspecific=True)
    undated = exp.GT(this=records.undated, expression=number(0))
    possible = exp.Add(this=unsure.hits, expression=unsure.undated)
    return records.hits, undated, col(f"complete_{node.category}", "r"), possible


@SQL.register(ast.Presence)
def _presence(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.Presence = plan.node  # type: ignore[assignment]
    hits, undated, complete, possible = _records(query, node)
    negated = query.negated(node.category, node.concept, node.active)
    found = exp.GT(this=hits, expression=number(0))
    unspecific = exp.GT(this=possible, expression=number(0))
    closed = conj(complete, negate(undated), negate(unspecific))
    met = case((found, exp.true()), (negated, exp.false()), (closed, exp.false()))
    reason = case(
        (found, _reason(Reason.DECIDED)),
        (negated, _reason(Reason.NEGATED)),
        (undated, _reason(Reason.UNDATED)),
        (unspecific.copy(), _reason(Reason.UNSPECIFIC)),
        (complete.copy(), _reason(Reason.COMPLETE)),
        default=_reason(Reason.MISSING),
    )
    return _leaf(query, ("presence", node), met, reason)


def _count_interval(op: str, count: int, seen: exp.Expression, most: exp.Expression) -> exp.Expression:
    """Truth of ``n <op> count`` for every n in [seen, most]: decided where all agree, else NULL."""
    low, high = compare(op, seen, number(count)), compare(op, most, number(count))
    if op == "==":  # true only when the interval is the single value
        exact = conj(exp.EQ(this=seen.copy(), expression=number(count)), exp.EQ(this=most, expression=number(count)))
        outside = disj(
            exp.GT(this=seen.copy(), expression=number(count)), exp.LT(this=most.copy(), expression=number(count))
        )
        return case((exact, exp.true()), (outside, exp.false()))
    if op == "!=":
        inside = conj(
            exp.LTE(this=seen.copy(), expression=number(count)), exp.GTE(this=most.copy(), expression=number(count))
        )
        return case((exp.EQ(this=seen.copy(), expression=most.copy()), low), (negate(inside), exp.true()))
    return case((exp.EQ(this=low, expression=high), low.copy()))


@SQL.register(ast.Count)
def _count(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.Count = plan.node  # type: ignore[assignment]
    seen, undated, complete, possible = _records(query, node)
    closed = conj(complete, negate(undated))
    # Open world: records on file are a lower bound of the true count.
    if node.op in (">=", ">"):
        open_world = case((compare(node.op, seen, number(node.count)), exp.true()))
    elif node.op in ("<=", "<", "=="):
        open_world = case((exp.GT(this=seen, expression=number(node.count - (node.op == "<"))), exp.false()))
    else:
        open_world = case((exp.GT(this=seen, expression=number(node.count)), exp.true()))
    # Closed world: the count lies between the records of this kind and those plus the unspecific ones.
    most = exp.Add(this=seen.copy(), expression=possible)
    met = case((closed, _count_interval(node.op, node.count, seen.copy(), most)), default=open_world)
    reason = case(
        (not_null(met.copy()), _reason(Reason.DECIDED)),
        (closed.copy(), _reason(Reason.UNSPECIFIC)),
        default=_reason(Reason.INCOMPLETE_COUNT),
    )
    return _leaf(query, ("count", node), met, reason)


# --- logic -----------------------------------------------------------------------------------------------


@SQL.register(ast.NeedsReview)
def _review(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    return _constant(query, ("review",), Reason.REVIEW)


def _logic(met: exp.Expression, children: list[Compiled]) -> Compiled:
    needs = conj(is_null(met), disj(*(c.needs_data for c in children)) if children else exp.false())
    return Compiled(met, _reason(Reason.LOGIC), needs)


@SQL.register(ast.AllOf)
def _all(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    children = [compile_sql(child, query, settings) for child in plan.children]
    met = conj(*(exp.Paren(this=c.met) for c in children)) if children else exp.true()
    return _logic(met, children)


@SQL.register(ast.AnyOf)
def _any(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    children = [compile_sql(child, query, settings) for child in plan.children]
    met = disj(*(exp.Paren(this=c.met) for c in children)) if children else exp.false()
    return _logic(met, children)


@SQL.register(ast.Not)
def _not(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    child = compile_sql(plan.children[0], query, settings)
    return _logic(negate(exp.Paren(this=child.met)), [child])


@SQL.register(ast.Implies)
def _implies(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    condition, then = (compile_sql(child, query, settings) for child in plan.children)
    return _logic(disj(negate(exp.Paren(this=condition.met)), exp.Paren(this=then.met)), [condition, then])


# --- language v2: doses and treatment courses ------------------------------------------------------------


@SQL.register(ast.DoseComparison)
def _dose(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.DoseComparison = plan.node  # type: ignore[assignment]
    weight_window = ast.Window(op="<=", duration=settings.lab_recency)
    key = ("dose", node, settings.lab_recency)
    if plan.threshold is None:
        return _constant(query, key, Reason.UNRESOLVED)
    weight = weight_reading(query, plan.measure.id if plan.measure else "", weight_window)
    days = None if node.lasting is None else course_days(node.lasting)
    table = dose_records(query, node, plan.threshold, rule_basis(node), weight, days)
    met, reason = dose_leaf(table, query.negated("medication", node.concept, active=False))
    return _leaf(query, key, met, reason)


@SQL.register(ast.DoseTiming)
def _dose_timing(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.DoseTiming = plan.node  # type: ignore[assignment]
    columns = course_records(query, node.concept)
    met, reason = timing_leaf(node, columns, query.negated("medication", node.concept, active=False))
    return _leaf(query, ("dose_timing", node), met, reason)


@SQL.register(ast.CourseLength)
def _course_length(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.CourseLength = plan.node  # type: ignore[assignment]
    met, reason = length_leaf(query, node, query.negated("medication", node.concept, active=False))
    return _leaf(query, ("course_length", node), met, reason)


@SQL.register(ast.Trend)
def _trend(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.Trend = plan.node  # type: ignore[assignment]
    measure = plan.measure
    key = ("trend", node)
    if measure is None or measure.better is None or (node.amount is not None and plan.threshold is None):
        return _constant(query, key, Reason.UNRESOLVED)
    met, reason = trend_leaf(query, node, measure.id, measure.better, plan.threshold)
    return _leaf(query, key, met, reason)


@SQL.register(ast.StableDose)
def _stable_dose(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.StableDose = plan.node  # type: ignore[assignment]
    met, reason = stable_leaf(query, node, query.negated("medication", node.concept, active=False))
    return _leaf(query, ("stable_dose", node), met, reason)
