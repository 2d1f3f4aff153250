"""First and last doses in SQL (``first dose of rituximab at least 2 months ago``), as
:mod:`eligibility.engine.courses` evaluates them in process.

One aggregate per patient over the drug's ``medications`` rows on or before the reference date: ``n`` (records),
``undated`` (records without a start), ``first_start`` (earliest start), ``last_low`` and ``last_high`` (the
latest of the records' earliest and latest possible last days). The leaf tests the window at the bounds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from eligibility.engine.sql.expressions import (
    case,
    col,
    conj,
    disj,
    is_null,
    negate,
    not_null,
    number,
    text,
    window_condition,
)
from eligibility.lang import ast

if TYPE_CHECKING:
    from eligibility.engine.sql.query import CohortQuery


def course_records(query: CohortQuery, concept: str) -> str:
    """The aggregate of the drug's records (see the module)."""

    def build() -> exp.Select:
        start, stop, ref = col("start", "x"), col("stop", "x"), col("ref_date", "r")
        clipped = exp.Least(this=stop, expressions=[ref.copy()])
        ongoing = exp.EQ(this=col("status", "x"), expression=text("active"))
        low = case((not_null(stop.copy()), clipped), (ongoing, ref.copy()), default=start.copy())
        high = case((not_null(stop.copy()), clipped.copy()), default=ref.copy())
        undated = case((is_null(start.copy()), number(1)), default=number(0))
        return (
            query._from("medications", "x")
            .where(query._kind_of("x", concept), disj(is_null(start), exp.LTE(this=start, expression=ref)), copy=False)
            .select(
                exp.Count(this=exp.Star()).as_("n"),
                exp.Sum(this=undated).as_("undated"),
                exp.Min(this=start.copy()).as_("first_start"),
                exp.Max(this=low).as_("last_low"),
                exp.Max(this=high).as_("last_high"),
                copy=False,
            )
            .group_by(col("patient_id", "x"), copy=False)
        )

    return query._cte(("course", concept), build)


def _holds(day: exp.Expression, window: ast.Window) -> exp.Expression:
    """The window on one day; NULL stands for a day before every record ("ago", not "within")."""
    ref = col("ref_date", "r")
    inside = exp.Coalesce(this=window_condition(window, day, day.copy(), ref), expressions=[exp.false()])
    return case((is_null(day.copy()), exp.Boolean(this=window.op in (">=", ">"))), default=inside)


def timing_leaf(node: ast.DoseTiming, table: str, negation: str) -> tuple[exp.Expression, exp.Expression]:
    """(met, reason) of a first/last dose node from the drug's aggregate and the negation aggregate."""
    ref = col("ref_date", "r")
    high: exp.Expression
    wider: tuple[exp.Expression, exp.Expression]
    if node.which == "first":
        high = exp.Coalesce(this=col("first_start", table), expressions=[ref.copy()])
        undated = exp.GT(this=col("undated", table), expression=number(0))
        low: exp.Expression = case((undated, exp.cast(exp.Null(), "DATE")), default=high.copy())
        wider = (exp.Boolean(this=node.window.op in (">=", ">")), _holds(high.copy(), node.window))
    else:
        high, low = col("last_high", table), col("last_low", table)
        wider = (_holds(low.copy(), node.window), _holds(ref.copy(), node.window))
    at_low, at_high = _holds(low, node.window), _holds(high, node.window)
    none = is_null(col("n", table))
    negated = not_null(col("negated", negation))
    complete = col("complete_medication", "r")
    unsettled = exp.NEQ(this=at_low, expression=at_high)
    open_world = conj(negate(complete.copy()), exp.NEQ(this=wider[0], expression=wider[1]))
    met = case(
        (none, case((disj(negated, complete.copy()), exp.false()))),
        (unsettled, exp.Null()),
        (open_world, exp.Null()),
        default=at_high.copy(),
    )
    reason = case(
        (
            none.copy(),
            case((negated.copy(), text("negated")), (complete.copy(), text("complete")), default=text("missing")),
        ),
        (unsettled.copy(), text("undated")),
        (open_world.copy(), text("open_history")),
        default=text("decided"),
    )
    return met, reason
