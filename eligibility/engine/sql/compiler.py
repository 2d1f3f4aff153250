"""Rule plans → SQL: one handler per rule node type (the ``sql`` stage), each giving the node's truth and reason.

A leaf becomes two columns of the per-patient ``leaves`` relation: ``met`` (TRUE, FALSE or NULL for unknown) and
``reason`` (a :class:`~eligibility.engine.findings.Reason` code), computed from aggregates joined per patient
(see :mod:`eligibility.engine.sql.query`). ``and``/``or``/``not`` are SQL's own, which are Kleene's on NULL.
The handlers reproduce :mod:`eligibility.engine.evaluator` node for node; the differential test holds them to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from sqlglot import exp

from eligibility.engine.compiler import Plan
from eligibility.engine.doses import rule_basis
from eligibility.engine.findings import Reason
from eligibility.engine.sql.courses import course_records, timing_leaf
from eligibility.engine.sql.doses import dose_leaf, dose_records
from eligibility.engine.sql.expressions import (
    age_in,
    case,
    col,
    compare,
    compare_bounds,
    conj,
    date_minus,
    date_plus_days,
    disj,
    is_null,
    negate,
    not_null,
    number,
    ratio_compare,
    text,
    wide,
)
from eligibility.lang import ast
from eligibility.lang.dispatch import NodeDispatch
from eligibility.lang.resolve import course_days

if TYPE_CHECKING:
    from eligibility.engine.sql.query import CohortQuery, Settings


@dataclass(frozen=True)
class Compiled:
    """A node in SQL: its truth (BOOLEAN, NULL for unknown), its reason code, and whether it needs data
    (TRUE when some unknown leaf under it would be decided by data, as :func:`engine.diagnosis.review_only`)."""

    met: exp.Expression
    reason: exp.Expression
    needs_data: exp.Expression


Handler = Callable[[Plan, "CohortQuery", "Settings"], Compiled]
SQL: NodeDispatch[Handler] = NodeDispatch("sql")


def compile_sql(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    """The SQL of ``plan`` within ``query`` (leaves are added to the query's ``leaves`` relation once)."""
    return SQL[type(plan.node)](plan, query, settings)


def _reason(reason: Reason) -> exp.Literal:
    return text(reason.value)


def _leaf(query: CohortQuery, key: tuple, met: exp.Expression, reason: exp.Expression) -> Compiled:
    met_column, reason_column = query.leaf(key, met, reason)
    needs = conj(is_null(met_column), exp.NEQ(this=reason_column, expression=_reason(Reason.REVIEW)))
    return Compiled(met_column, reason_column, needs)


def _constant(query: CohortQuery, key: tuple, reason: Reason) -> Compiled:
    return _leaf(query, key, exp.cast(exp.Null(), "BOOLEAN"), _reason(reason))


# --- measurements ----------------------------------------------------------------------------------------


def _lab_reason(latest: str, seen: str) -> exp.Expression:
    """missing (no reading on or before the reference date) or stale (none in the window)."""
    return case((not_null(col("n", seen)), _reason(Reason.STALE)), default=_reason(Reason.MISSING))


def _lab(plan: Plan, query: CohortQuery, settings: Settings) -> tuple[str, str] | None:
    if plan.measure is None:
        return None
    node = plan.node
    window = node.window or ast.Window(op="<=", duration=settings.lab_recency)  # type: ignore[attr-defined]
    return query.latest_reading(plan.measure.id, window), query.readings_seen(plan.measure.id)


@SQL.register(ast.Comparison)
def _comparison(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.Comparison = plan.node  # type: ignore[assignment]
    key = ("comparison", node, settings.lab_recency if node.window is None else None)
    if plan.threshold is None:
        return _constant(query, key, Reason.UNRESOLVED)
    tables = _lab(plan, query, settings)
    if tables is None:
        return _constant(query, key, Reason.MISSING)
    latest, seen = tables
    usable = not_null(col("rank", latest))
    met = case((usable, ratio_compare(node.op, col("value_num", latest), col("value_den", latest), plan.threshold)))
    reason = case((usable, _reason(Reason.DECIDED)), default=_lab_reason(latest, seen))
    return _leaf(query, key, met, reason)


@SQL.register(ast.RelativeComparison)
def _relative(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.RelativeComparison = plan.node  # type: ignore[assignment]
    table = settings.reference_ranges.get(plan.measure.id) if plan.measure else None
    fallback = None if table is None else (table.high if node.limit == "ULN" else table.low)
    key = ("relative", node, settings.lab_recency if node.window is None else None, fallback)
    tables = _lab(plan, query, settings)
    if tables is None:
        return _constant(query, key, Reason.UNRESOLVED)
    latest, seen = tables
    side = "high" if node.limit == "ULN" else "low"
    limit_num, limit_den = _limit(col(f"{side}_num", latest), col(f"{side}_den", latest), fallback)
    factor = Fraction(node.factor)
    left = exp.Mul(this=wide(col("value_num", latest)), expression=number(factor.denominator))
    left = exp.Mul(this=left, expression=wide(limit_den))
    right = exp.Mul(this=number(factor.numerator), expression=wide(limit_num))
    right = exp.Mul(this=right, expression=wide(col("value_den", latest)))
    usable = not_null(col("rank", latest))
    ranged = not_null(limit_num)
    met = case((conj(usable, ranged), compare(node.op, left, right)))
    reason = case(
        (conj(usable, ranged), _reason(Reason.DECIDED)),
        (usable, _reason(Reason.NO_REFERENCE_RANGE)),
        default=_lab_reason(latest, seen),
    )
    return _leaf(query, key, met, reason)


def _limit(num: exp.Expression, den: exp.Expression, fallback: Fraction | None) -> tuple[exp.Expression, ...]:
    """The lab's own limit, else the trial's or site's (a literal), else NULL."""
    if fallback is None:
        return num, den
    return exp.Coalesce(this=num, expressions=[number(fallback.numerator)]), exp.Coalesce(
        this=den, expressions=[number(fallback.denominator)]
    )


@SQL.register(ast.Qualitative)
def _qualitative(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.Qualitative = plan.node  # type: ignore[assignment]
    key = ("qualitative", node, settings.lab_recency if node.window is None else None)
    tables = _lab(plan, query, settings)
    if tables is None:
        return _constant(query, key, Reason.MISSING)
    latest, seen = tables
    usable = not_null(col("rank", latest))
    same = exp.Coalesce(
        this=exp.EQ(this=col("value_text", latest), expression=text(node.value)), expressions=[exp.false()]
    )
    reason = case((usable, _reason(Reason.DECIDED)), default=_lab_reason(latest, seen))
    return _leaf(query, key, case((usable, same)), reason)


# --- the person ------------------------------------------------------------------------------------------


def _birth_range() -> tuple[exp.Expression, exp.Expression]:
    """Earliest and latest possible birth date: the stored range (a known or partial birth date), else the
    year of birth an age allows (as of the patient's ``as_of``, else the reference date), else NULL."""
    age = col("age", "r")
    anchor = exp.Coalesce(this=col("as_of", "r"), expressions=[col("ref_date", "r")])
    earliest = date_plus_days(date_minus(anchor, exp.Add(this=age, expression=number(1)), "YEAR"), 1)
    latest = date_minus(anchor.copy(), age.copy(), "YEAR")
    return (
        exp.Coalesce(this=col("birth_low", "r"), expressions=[earliest]),
        exp.Coalesce(this=col("birth_high", "r"), expressions=[latest]),
    )


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
    onset_table = query.onset(node.concept)
    negated = not_null(col("negated", query.negation("condition", node.concept, active=False)))
    onset = col("onset", onset_table)
    met = case(
        (is_null(onset), case((negated, exp.false()))),
        default=_age_truth(node.op, node.duration, onset),
    )
    reason = case(
        (is_null(onset), case((negated, _reason(Reason.ABSENT)), default=_reason(Reason.MISSING))),
        (_no_age(), _reason(Reason.MISSING_BIRTH)),
        (is_null(met), _reason(Reason.AGE_UNCERTAIN)),
        default=_reason(Reason.DECIDED),
    )
    return _leaf(query, ("onset", node), met, reason)


@SQL.register(ast.Sex)
def _sex(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.Sex = plan.node  # type: ignore[assignment]
    sex = col("sex", "r")
    met = case((not_null(sex), exp.EQ(this=sex, expression=text(node.value))))
    reason = case((is_null(sex), _reason(Reason.MISSING)), default=_reason(Reason.DECIDED))
    return _leaf(query, ("sex", node), met, reason)


# --- histories -------------------------------------------------------------------------------------------


def _records(query: CohortQuery, node: ast.Presence | ast.Count) -> tuple[exp.Expression, ...]:
    """(hits, undated, negated, closed) for a history node: matching records, an undated record that might
    match, a negation on record, and whether the category is complete."""
    table = query.matching_records(node)
    hits = exp.Coalesce(this=col("hits", table), expressions=[number(0)])
    undated = exp.GT(this=exp.Coalesce(this=col("undated", table), expressions=[number(0)]), expression=number(0))
    complete = col(f"complete_{node.category}", "r")
    return hits, undated, complete


@SQL.register(ast.Presence)
def _presence(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.Presence = plan.node  # type: ignore[assignment]
    hits, undated, complete = _records(query, node)
    negated = not_null(col("negated", query.negation(node.category, node.concept, node.active)))
    found = exp.GT(this=hits, expression=number(0))
    closed = conj(complete, negate(undated))
    met = case((found, exp.true()), (negated, exp.false()), (closed, exp.false()))
    reason = case(
        (found, _reason(Reason.DECIDED)),
        (negated, _reason(Reason.NEGATED)),
        (closed, _reason(Reason.COMPLETE)),
        (undated, _reason(Reason.UNDATED)),
        default=_reason(Reason.MISSING),
    )
    return _leaf(query, ("presence", node), met, reason)


@SQL.register(ast.Count)
def _count(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.Count = plan.node  # type: ignore[assignment]
    seen, undated, complete = _records(query, node)
    closed = conj(complete, negate(undated))
    # Open world: records on file are a lower bound of the true count.
    if node.op in (">=", ">"):
        open_world = case((compare(node.op, seen, number(node.count)), exp.true()))
    elif node.op in ("<=", "<", "=="):
        open_world = case((exp.GT(this=seen, expression=number(node.count - (node.op == "<"))), exp.false()))
    else:
        open_world = case((exp.GT(this=seen, expression=number(node.count)), exp.true()))
    met = case((closed, compare(node.op, seen, number(node.count))), default=open_world)
    reason = case((is_null(met), _reason(Reason.INCOMPLETE_COUNT)), default=_reason(Reason.DECIDED))
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


# --- language v2: doses and treatment courses ------------------------------------------------------------


@SQL.register(ast.DoseComparison)
def _dose(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.DoseComparison = plan.node  # type: ignore[assignment]
    weight_window = ast.Window(op="<=", duration=settings.lab_recency)
    key = ("dose", node, settings.lab_recency)
    if plan.threshold is None:
        return _constant(query, key, Reason.UNRESOLVED)
    weight = query.latest_reading(plan.measure.id if plan.measure else "", weight_window)
    days = None if node.lasting is None else course_days(node.lasting)
    table = dose_records(query, node, plan.threshold, rule_basis(node), weight, days)
    met, reason = dose_leaf(query, table, query.negation("medication", node.concept, active=False))
    return _leaf(query, key, met, reason)


@SQL.register(ast.DoseTiming)
def _dose_timing(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.DoseTiming = plan.node  # type: ignore[assignment]
    table = course_records(query, node.concept)
    met, reason = timing_leaf(node, table, query.negation("medication", node.concept, active=False))
    return _leaf(query, ("dose_timing", node), met, reason)
