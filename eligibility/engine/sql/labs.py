"""SQL handlers of the measurement nodes: comparisons with a lab value, ×ULN/×LLN with the reference-range chain,
and qualitative results (the ``sql`` stage, registered in :data:`eligibility.engine.sql.nodes.SQL`)."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from sqlglot import exp

from eligibility.engine.compiler import Plan
from eligibility.engine.findings import Reason
from eligibility.engine.sql.expressions import case, compare, conj, not_null, number, ratio_compare, text, wide
from eligibility.engine.sql.nodes import SQL, Compiled
from eligibility.engine.sql.nodes import constant as _constant
from eligibility.engine.sql.nodes import leaf as _leaf
from eligibility.engine.sql.nodes import reason_code as _reason
from eligibility.engine.validity import POSITIVE, prefers_positive, result_window
from eligibility.lang import ast

if TYPE_CHECKING:
    from eligibility.engine.sql.query import CohortQuery, Reading, Settings


# --- measurements ----------------------------------------------------------------------------------------


def _lab_reason(query: CohortQuery, measure: str) -> exp.Expression:
    """missing (no reading on or before the reference date) or stale (none in the window)."""
    return case((query.has_readings(measure), _reason(Reason.STALE)), default=_reason(Reason.MISSING))


def _lab(plan: Plan, query: CohortQuery, settings: Settings) -> Reading | None:
    if plan.measure is None:
        return None
    return query.latest_reading(plan.measure.id, _result_window(plan, settings))


def _result_window(plan: Plan, settings: Settings) -> ast.Window | None:
    """The window a result must fall in (the rule's, the measure's validity, or the lab recency window)."""
    return result_window(plan.node, plan.measure, settings.lab_recency)  # type: ignore[arg-type]


@SQL.register(ast.Comparison)
def _comparison(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.Comparison = plan.node  # type: ignore[assignment]
    key = ("comparison", node, _result_window(plan, settings))
    if plan.threshold is None:
        return _constant(query, key, Reason.UNRESOLVED)
    reading = _lab(plan, query, settings)
    if reading is None:
        return _constant(query, key, Reason.MISSING)
    usable = reading.found
    met = case(
        (usable, ratio_compare(node.op, reading.column("value_num"), reading.column("value_den"), plan.threshold))
    )
    reason = case((usable.copy(), _reason(Reason.DECIDED)), default=_lab_reason(query, reading.measure))
    return _leaf(query, key, met, reason)


@SQL.register(ast.RelativeComparison)
def _relative(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    node: ast.RelativeComparison = plan.node  # type: ignore[assignment]
    table = settings.reference_ranges.get(plan.measure.id) if plan.measure else None
    fallback = None if table is None else (table.high if node.limit == "ULN" else table.low)
    key = ("relative", node, _result_window(plan, settings), fallback)
    reading = _lab(plan, query, settings)
    if reading is None:
        return _constant(query, key, Reason.UNRESOLVED)
    side = "high" if node.limit == "ULN" else "low"
    limit_num, limit_den = _limit(reading.column(f"{side}_num"), reading.column(f"{side}_den"), fallback)
    factor = Fraction(node.factor)
    left = exp.Mul(this=wide(reading.column("value_num")), expression=number(factor.denominator))
    left = exp.Mul(this=left, expression=wide(limit_den))
    right = exp.Mul(this=number(factor.numerator), expression=wide(limit_num))
    right = exp.Mul(this=right, expression=wide(reading.column("value_den")))
    usable = reading.found
    ranged = not_null(limit_num.copy())
    met = case((conj(usable, ranged), compare(node.op, left, right)))
    reason = case(
        (conj(usable.copy(), ranged.copy()), _reason(Reason.DECIDED)),
        (usable.copy(), _reason(Reason.NO_REFERENCE_RANGE)),
        default=_lab_reason(query, reading.measure),
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
    key = ("qualitative", node, _result_window(plan, settings))
    reading = _lab(plan, query, settings)
    if reading is None:
        return _constant(query, key, Reason.MISSING)
    usable = reading.found
    value: exp.Expression = reading.column("value_text")
    if prefers_positive(node, plan.measure):  # a positive result on file decides a lifetime test
        value = case((query.positive_on_file(reading.measure), text(POSITIVE)), default=value)
    same = exp.Coalesce(this=exp.EQ(this=value, expression=text(node.value)), expressions=[exp.false()])
    reason = case((usable.copy(), _reason(Reason.DECIDED)), default=_lab_reason(query, reading.measure))
    return _leaf(query, key, case((usable, same)), reason)
