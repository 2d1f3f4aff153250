"""Trends in SQL (``mrs not improved within 4 weeks``), as :mod:`eligibility.engine.trends` evaluates them in
process.

Two aggregates of the observations pass give the ranks (newest first) of the measure's baseline (the newest result
on or before the window's first day: the day before it is outside the window) and latest result (the newest after
that day); their values are read in the readings pass. The change is compared exactly on the fractions.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from sqlglot import exp

from eligibility.engine.sql.expressions import (
    case,
    col,
    compare,
    conj,
    date_minus,
    negate,
    not_null,
    number,
    text,
    wide,
    window_condition,
)
from eligibility.lang import ast

if TYPE_CHECKING:
    from eligibility.engine.sql.query import CohortQuery, Reading


def after_start(window: ast.Window, day: exp.Expression | None = None) -> exp.Expression:
    """``day`` (the row's date by default) is after the window's first day (the day before it lies in the
    window); FALSE when ``day`` is NULL."""
    before = date_minus(col("date", "x") if day is None else day, 1, "DAY")
    inside = window_condition(window, before, before.copy(), col("ref_date", "r"))
    return exp.Coalesce(this=inside, expressions=[exp.false()])


def _reading(query: CohortQuery, measure: str, window: ast.Window, after: bool) -> Reading:
    """The newest result of ``measure`` on or before the reference date, after the window's first day or not."""
    from eligibility.engine.sql.query import Reading  # the query module imports the compiler, which imports this

    def build() -> tuple[exp.Expression, exp.Expression]:
        placed = after_start(window) if after else negate(after_start(window))
        is_measure = exp.EQ(this=col("measure", "x"), expression=text(measure))
        return exp.Min(this=col("rank", "x")), conj(is_measure, query.on_or_before("date"), placed)

    rank = query.per_patient("observations", ("trend", measure, window, after), build, within=(measure,))
    return Reading(query, measure, rank, not_null(rank.copy()))


def trend_leaf(
    query: CohortQuery, node: ast.Trend, measure: str, better: str, threshold: Fraction | None
) -> tuple[exp.Expression, exp.Expression]:
    """(met, reason) of a trend node whose measure and amount are resolved."""
    baseline, latest = _reading(query, measure, node.window, False), _reading(query, measure, node.window, True)
    b_num, b_den = wide(baseline.column("value_num")), wide(baseline.column("value_den"))
    l_num, l_den = wide(latest.column("value_num")), wide(latest.column("value_den"))
    rise = exp.Sub(this=exp.Mul(this=l_num, expression=b_den), expression=exp.Mul(this=b_num, expression=l_den))
    toward = (node.change == "improved") == (better == "higher")  # the change asked for is a rise
    change = exp.Paren(this=rise) if toward else exp.Neg(this=exp.Paren(this=rise))
    if threshold is None:
        holds = compare(">", change, number(0))
    else:
        scale = exp.Mul(this=l_den.copy(), expression=b_den.copy())
        left = exp.Mul(this=change, expression=number(threshold.denominator))
        holds = compare(node.op or ">=", left, exp.Mul(this=number(threshold.numerator), expression=scale))
    both = conj(baseline.found, latest.found)
    met = case((both, negate(holds) if node.negated else holds))
    reason = case(
        (both.copy(), text("decided")),
        (conj(negate(baseline.found), negate(latest.found)), text("missing")),
        (negate(latest.found), text("stale")),
        default=text("no_baseline"),
    )
    return met, reason
