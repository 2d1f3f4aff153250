"""Stable doses in SQL (``stable dose of prednisone for at least 4 weeks``), as :mod:`eligibility.engine.stable`
evaluates them in process.

A relation of its own: per patient and drug of the class, over the ``medications`` rows, counts of the records
that overlap the window (certainly, or possibly), cover it, may cover its first day or the reference date, or lack
a dose, and the smallest and largest dose numerator, denominator and basis (doses are reduced fractions, so equal
doses have equal parts): among the records that overlap, per basis, to find a change; among those that may, to
find one shared dose. Then, per patient, how many drugs changed, are not steady, leave a gap, and so on.
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
from eligibility.engine.sql.trends import after_start
from eligibility.lang import ast
from eligibility.vocab.doses import DOSE_BASES

if TYPE_CHECKING:
    from eligibility.engine.sql.query import CohortQuery


def _in(window: ast.Window, day: exp.Expression) -> exp.Expression:
    inside = window_condition(window, day, day.copy(), col("ref_date", "r"))
    return exp.Coalesce(this=inside, expressions=[exp.false()])


def _row_tests(window: ast.Window) -> dict[str, exp.Expression]:
    """Per record: overlaps (certainly, possibly), covers, may cover the first day or the reference date."""
    start, stop, ref = col("start", "x"), col("stop", "x"), col("ref_date", "r")
    active = exp.EQ(this=col("status", "x"), expression=text("active"))
    ended_unknown = conj(is_null(stop.copy()), negate(active.copy()))
    certain = conj(
        not_null(start.copy()),
        case(
            (not_null(stop.copy()), _in(window, exp.Least(this=stop.copy(), expressions=[ref.copy()]))),
            (active.copy(), exp.true()),
            default=_in(window, start.copy()),
        ),
    )
    possible = disj(is_null(start.copy()), exp.Paren(this=certain.copy()), ended_unknown)
    from_first = conj(not_null(start.copy()), negate(after_start(window, start.copy())))
    to_ref = disj(conj(is_null(stop.copy()), active.copy()), exp.GTE(this=stop.copy(), expression=ref.copy()))
    return {
        "certain": certain,
        "possible": possible,
        "covers": conj(exp.Paren(this=certain.copy()), from_first, exp.Paren(this=to_ref)),
        "first": conj(
            exp.Paren(this=possible.copy()),
            disj(is_null(start.copy()), negate(after_start(window, start.copy()))),
        ),
        "last": conj(
            exp.Paren(this=possible.copy()),
            disj(is_null(stop.copy()), exp.GTE(this=stop.copy(), expression=ref.copy())),
        ),
        "no_dose": conj(exp.Paren(this=possible.copy()), is_null(col("dose_num", "x"))),
    }


def _count(condition: exp.Expression) -> exp.Expression:
    return exp.Sum(this=case((condition, number(1)), default=number(0)))


def _spread(column: str, condition: exp.Expression) -> exp.Expression:
    """TRUE when the drug's rows meeting ``condition`` hold two different values of ``column`` (never NULL)."""
    low = exp.Min(this=case((condition, col(column, "x"))))
    high = exp.Max(this=case((condition.copy(), col(column, "x"))))
    return exp.Coalesce(this=exp.NEQ(this=low, expression=high), expressions=[exp.false()])


def _per_drug(query: CohortQuery, node: ast.StableDose, tests: dict[str, exp.Expression]) -> exp.Select:
    """One row per patient and drug of the class: whether its records may overlap the window, changed, are steady,
    leave a gap, lack a dose, or may or may not overlap (see :mod:`eligibility.engine.stable`)."""
    dosed = not_null(col("dose_num", "x"))
    changes = []
    for basis in DOSE_BASES:
        in_basis = conj(
            tests["certain"].copy(), dosed.copy(), exp.EQ(this=col("dose_basis", "x"), expression=text(basis))
        )
        changes += [_spread(part, in_basis) for part in ("dose_num", "dose_den")]
    shared = conj(tests["possible"].copy(), dosed.copy())
    unequal = disj(*(_spread(part, shared) for part in ("dose_num", "dose_den", "dose_basis")))
    counts = {
        name: _count(tests[name].copy()) for name in ("possible", "certain", "covers", "first", "last", "no_dose")
    }
    zero = number(0)
    flags = {
        "possible": exp.GT(this=counts["possible"], expression=zero.copy()),
        "changed": disj(*changes),
        "steady": conj(
            exp.GT(this=counts["covers"], expression=zero.copy()),
            exp.EQ(this=counts["no_dose"].copy(), expression=zero.copy()),
            negate(exp.Paren(this=unequal)),
        ),
        "gap": disj(
            exp.EQ(this=counts["first"], expression=zero.copy()), exp.EQ(this=counts["last"], expression=zero.copy())
        ),
        "no_dose": exp.GT(this=counts["no_dose"].copy(), expression=zero.copy()),
        "undated": exp.LT(this=counts["certain"], expression=counts["possible"].copy()),
    }
    placed = disj(is_null(col("start", "x")), query.on_or_before("start"))
    return (
        query.from_ref("medications")
        .select(*(exp.alias_(flag, name) for name, flag in flags.items()), copy=False)
        .where(query.kind_of(node.concept), placed, copy=False)
        .group_by(col("patient_id", "x"), col("concept", "x"), copy=False)
    )


def stable_leaf(
    query: CohortQuery, node: ast.StableDose, negation: exp.Expression
) -> tuple[exp.Expression, exp.Expression]:
    """(met, reason) of a stable-dose node: per patient, over the drugs that may overlap the window, whether any
    changed, all are steady, any leaves a gap, lacks a dose or may or may not overlap."""
    window = ast.Window(op="<=", duration=node.lasting)

    def build() -> exp.Select:
        drugs = _per_drug(query, node, _row_tests(window))
        possible = col("possible", "d")

        def count(condition: exp.Expression) -> exp.Expression:
            return _count(conj(possible.copy(), condition))

        columns = {
            "drugs": _count(possible.copy()),
            "changed": count(col("changed", "d")),
            "unsteady": count(negate(col("steady", "d"))),
            "gap": count(col("gap", "d")),
            "no_dose": count(col("no_dose", "d")),
            "undated": count(col("undated", "d")),
        }
        return (
            exp.select(col("patient_id", "d"), copy=False)
            .select(*(exp.alias_(value, name) for name, value in columns.items()), copy=False)
            .from_(exp.alias_(exp.Subquery(this=drugs), "d", table=True), copy=False)
            .group_by(col("patient_id", "d"), copy=False)
        )

    table = query.relation(("stable", node), build)

    def some(name: str) -> exp.Expression:
        return exp.GT(this=exp.Coalesce(this=col(name, table), expressions=[number(0)]), expression=number(0))

    changed, none = some("changed"), negate(some("drugs"))
    steady = conj(some("drugs"), negate(some("unsteady")))
    complete = col("complete_medication", "r")
    gap = conj(complete.copy(), some("gap"))
    met = case(
        (changed, exp.false()),
        (steady, exp.true()),
        (none, case((disj(negation, complete.copy()), exp.false()))),
        (gap, exp.false()),
    )
    reason = case(
        (changed.copy(), text("decided")),
        (steady.copy(), text("decided")),
        (
            none.copy(),
            case((negation.copy(), text("negated")), (complete.copy(), text("complete")), default=text("missing")),
        ),
        (gap.copy(), text("complete")),
        (some("no_dose"), text("no_dose")),
        (some("undated"), text("undated")),
        default=text("open_history"),
    )
    return met, reason
