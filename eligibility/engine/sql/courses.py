"""First and last doses (``first dose of rituximab at least 2 months ago``) and course lengths (``has medication
interferon_beta for at least 1 year``) in SQL, as :mod:`eligibility.engine.courses` evaluates them in process.

One aggregate per patient over the drug's ``medications`` rows on or before the reference date: ``n`` (records),
``undated`` (records without a start), ``first_start`` (earliest start), ``last_low`` and ``last_high`` (the
latest of the records' earliest and latest possible last days). The leaf tests the window at the bounds.

A course length counts, per patient, the drug's records in the window (``hits``, ``undated`` as for ``has
medication``), those that certainly lasted long enough (``met``) and those whose length is not known
(``unknown``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from eligibility.engine.sql.doses import record_match, records_leaf
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
    typed,
    window_condition,
)
from eligibility.lang import ast

if TYPE_CHECKING:
    from eligibility.engine.sql.query import CohortQuery


def course_records(query: CohortQuery, concept: str) -> dict[str, exp.Expression]:
    """The per-patient aggregates of the drug's records (see the module), as columns."""
    start, stop, ref = col("start", "x"), col("stop", "x"), col("ref_date", "r")
    clipped = exp.Least(this=stop, expressions=[ref.copy()])
    ongoing = exp.EQ(this=col("status", "x"), expression=text("active"))
    low = case((not_null(stop.copy()), clipped), (ongoing, ref.copy()), default=start.copy())
    high = case((not_null(stop.copy()), clipped.copy()), default=ref.copy())
    specs = {
        "n": (exp.Count, number(1), exp.true()),
        "undated": (exp.Count, number(1), is_null(start.copy())),
        "first_start": (exp.Min, start, exp.true()),
        "last_low": (exp.Max, low, exp.true()),
        "last_high": (exp.Max, high, exp.true()),
    }

    def build(function: type[exp.Func], value: exp.Expression, extra: exp.Expression):
        placed = disj(is_null(col("start", "x")), query.on_or_before("start"))
        return lambda: (function(this=value.copy()), conj(query.kind_of(concept), placed, extra.copy()))

    within = query.descendants_of(concept)
    return {
        name: query.per_patient("medications", ("course", concept, name), build(*spec), within=within)
        for name, spec in specs.items()
    }


def _holds(day: exp.Expression, window: ast.Window) -> exp.Expression:
    """The window on one day; NULL stands for a day before every record ("ago", not "within")."""
    ref = col("ref_date", "r")
    inside = exp.Coalesce(this=window_condition(window, day, day.copy(), ref), expressions=[exp.false()])
    return case((is_null(day.copy()), exp.Boolean(this=window.op in (">=", ">"))), default=inside)


def timing_leaf(
    node: ast.DoseTiming, columns: dict[str, exp.Expression], negated: exp.Expression
) -> tuple[exp.Expression, exp.Expression]:
    """(met, reason) of a first/last dose node from the drug's aggregate and the negation aggregate."""
    ref = col("ref_date", "r")
    high: exp.Expression
    wider: tuple[exp.Expression, exp.Expression]
    if node.which == "first":
        high = exp.Coalesce(this=columns["first_start"].copy(), expressions=[ref.copy()])
        undated = exp.GT(
            this=exp.Coalesce(this=columns["undated"].copy(), expressions=[number(0)]), expression=number(0)
        )
        low: exp.Expression = case((undated, typed(exp.Null(), "DATE")), default=high.copy())
        wider = (exp.Boolean(this=node.window.op in (">=", ">")), _holds(high.copy(), node.window))
    else:
        high, low = columns["last_high"].copy(), columns["last_low"].copy()
        wider = (_holds(low.copy(), node.window), _holds(ref.copy(), node.window))
    at_low, at_high = _holds(low, node.window), _holds(high, node.window)
    none = exp.EQ(this=exp.Coalesce(this=columns["n"].copy(), expressions=[number(0)]), expression=number(0))
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


def _reach(length: ast.Duration) -> exp.Expression:
    """The last day a record's course must reach to have lasted ``length`` (as ``engine.courses.course_reach``)."""
    amount = int(length.value)
    unit, size = (
        ("MONTH", amount * (12 if length.unit == "year" else 1))
        if length.unit in ("month", "year")
        else (
            "DAY",
            amount * (7 if length.unit == "week" else 1),
        )
    )
    after = exp.cast(exp.DateAdd(this=col("start", "x"), expression=number(size), unit=exp.var(unit)), "DATE")
    return exp.cast(exp.DateSub(this=after, expression=number(1), unit=exp.var("DAY")), "DATE")


def _lasted(length: ast.Duration) -> tuple[exp.Expression, exp.Expression]:
    """(long enough, too short) of one record's course, as ``engine.courses.lasted_for`` (both FALSE when its
    length is not known)."""
    start, stop, ref = col("start", "x"), col("stop", "x"), col("ref_date", "r")
    clipped = exp.Least(this=stop, expressions=[ref.copy()])
    ongoing = exp.EQ(this=col("status", "x"), expression=text("active"))
    shortest = case((not_null(stop.copy()), clipped), (ongoing, ref.copy()), default=start.copy())
    longest = case((not_null(stop.copy()), clipped.copy()), default=ref.copy())
    enough = exp.GTE(this=shortest, expression=_reach(length))
    short = exp.LT(this=longest, expression=_reach(length))
    return (
        exp.Coalesce(this=conj(not_null(start.copy()), enough), expressions=[exp.false()]),
        exp.Coalesce(this=conj(not_null(start.copy()), short), expressions=[exp.false()]),
    )


def length_leaf(
    query: CohortQuery, node: ast.CourseLength, negation: exp.Expression
) -> tuple[exp.Expression, exp.Expression]:
    """(met, reason) of a course-length node from per-patient counts of the drug's records (see the module)."""
    hit, undated = record_match(node.window)
    long_enough, too_short = _lasted(node.lasting)
    conditions = {
        "hits": hit,
        "undated": undated,
        "met": conj(hit.copy(), long_enough),
        "unknown": conj(hit.copy(), negate(long_enough.copy()), negate(too_short)),
    }

    def build(condition: exp.Expression):
        placed = disj(is_null(col("start", "x")), query.on_or_before("start"))
        return lambda: (exp.Count(this=number(1)), conj(query.kind_of(node.concept), placed, condition.copy()))

    within = query.descendants_of(node.concept)
    counts = {
        name: exp.Coalesce(
            this=query.per_patient("medications", ("course_length", node, name), build(condition), within=within),
            expressions=[number(0)],
        )
        for name, condition in conditions.items()
    }
    return records_leaf(counts, negation, "undated")
