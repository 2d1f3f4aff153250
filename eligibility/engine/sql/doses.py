"""Dose nodes in SQL (``has medication prednisone dose >= 20 mg/day as prednisone within 4 weeks``), as
:mod:`eligibility.engine.doses` evaluates them in process.

One aggregate per patient over the ``medications`` table (columns ``dose_num``, ``dose_den``, ``dose_basis``:
the record's dose in ``mg/day`` or ``mg/kg/day``, see :mod:`eligibility.cohort.store`): ``hits`` (records
matching the drug and the window, as for ``has medication``), ``undated`` (records a window cannot place),
``met`` (hits whose dose, in the rule's basis and drug, satisfies the comparison) and ``unknown`` (hits whose
dose, weight or equivalent is unknown). The equivalence ratio of each drug is a literal chosen by concept; the
body weight comes from the newest ``weight`` reading in the lab window (the lab aggregate of the query).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING

from sqlglot import exp

from eligibility.engine.sql.expressions import (
    case,
    col,
    compare,
    conj,
    disj,
    is_null,
    negate,
    not_null,
    number,
    text,
    typed,
    wide,
    window_condition,
)
from eligibility.lang import ast
from eligibility.vocab.doses import DAILY, equivalence_ratio

if TYPE_CHECKING:
    from eligibility.engine.sql.query import CohortQuery


def _ratio(query: CohortQuery, node: ast.DoseComparison) -> tuple[exp.Expression, exp.Expression]:
    """Numerator and denominator of the record's equivalence ratio (1/1 without ``as``; NULL when unknown)."""
    if node.equivalent is None:
        return number(1), number(1)
    ratios: dict[str, Fraction] = {}
    for concept_id in query.vocabulary.concepts:
        ancestors = query.vocabulary.ancestors(concept_id)
        if node.concept in ancestors:
            ratio = equivalence_ratio(ancestors, node.equivalent)
            if ratio is not None:
                ratios[concept_id] = ratio
    if not ratios:
        return typed(exp.Null(), "BIGINT"), typed(exp.Null(), "BIGINT")
    concept = col("concept", "x")
    branches = sorted(ratios.items())
    num = case(*((exp.EQ(this=concept.copy(), expression=text(c)), number(r.numerator)) for c, r in branches))
    den = case(*((exp.EQ(this=concept.copy(), expression=text(c)), number(r.denominator)) for c, r in branches))
    return num, den


def record_match(window: ast.Window | None) -> tuple[exp.Expression, exp.Expression]:
    """(hit, undated) of one medication record, as ``CohortQuery.matching_records`` counts them."""
    start, ref = col("start", "x"), col("ref_date", "r")
    last = exp.Least(this=exp.Coalesce(this=col("stop", "x"), expressions=[ref.copy()]), expressions=[ref.copy()])
    end_unknown = conj(is_null(col("stop", "x")), exp.NEQ(this=col("status", "x"), expression=text("active")))
    start_alone = window_condition(window, start, start, ref)
    hit = case(
        (is_null(start), exp.Boolean(this=window is None)),
        (end_unknown, exp.Coalesce(this=start_alone, expressions=[exp.false()])),
        default=exp.Coalesce(this=window_condition(window, start, last, ref), expressions=[exp.false()]),
    )
    could_match = conj(end_unknown.copy(), negate(start_alone.copy()), window_condition(window, start, ref, ref))
    undated = case(
        (is_null(start), exp.Boolean(this=window is not None)),
        default=exp.Coalesce(this=could_match, expressions=[exp.false()]),
    )
    return hit, undated


def _length(days: int | None) -> tuple[exp.Expression, exp.Expression]:
    """(long enough, too short) of one record's course, as ``engine.doses.lasted`` (both FALSE when unknown)."""
    if days is None:
        return exp.true(), exp.false()
    start, stop, ref = col("start", "x"), col("stop", "x"), col("ref_date", "r")
    clipped = exp.Least(this=stop, expressions=[ref.copy()])
    ongoing = exp.EQ(this=col("status", "x"), expression=text("active"))
    shortest = case((not_null(stop.copy()), clipped), (ongoing, ref.copy()), default=start.copy())
    longest = case((not_null(stop.copy()), clipped.copy()), default=ref.copy())

    def taken(last: exp.Expression) -> exp.Expression:
        return exp.Add(this=exp.DateDiff(this=last, expression=start.copy(), unit=exp.var("DAY")), expression=number(1))

    enough = exp.GTE(this=taken(shortest), expression=number(days))
    short = exp.LT(this=taken(longest), expression=number(days))
    return (
        exp.Coalesce(this=conj(not_null(start.copy()), enough), expressions=[exp.false()]),
        exp.Coalesce(this=conj(not_null(start.copy()), short), expressions=[exp.false()]),
    )


def _count(condition: exp.Expression) -> exp.Expression:
    return exp.Sum(this=case((condition, number(1)), default=number(0)))


def weight_reading(query: CohortQuery, measure: str, window: ast.Window) -> str:
    """A relation of the newest reading of ``measure`` (body weight) in ``window``: ``rank``, ``value_num`` and
    ``value_den`` per patient with such a reading (see :meth:`CohortQuery.relation`)."""

    def build() -> exp.Select:
        on = col("date", "x")
        usable = window_condition(window, on, on, col("ref_date", "r"))
        is_measure = exp.EQ(this=col("measure", "x"), expression=text(measure))
        best = (
            query.from_ref("observations")
            .where(is_measure, query.on_or_before("date"), usable, copy=False)
            .select(exp.Min(this=col("rank", "x")).as_("best"), copy=False)
            .group_by(col("patient_id", "x"), copy=False)
        )
        on_best = conj(
            exp.EQ(this=col("patient_id", "o"), expression=col("patient_id", "b")),
            exp.EQ(this=col("rank", "o"), expression=col("best", "b")),
        )
        return (
            exp.select(col("patient_id", "o"), *(col(c, "o") for c in ("rank", "value_num", "value_den")), copy=False)
            .from_(exp.alias_(exp.to_table("observations"), "o", table=True), copy=False)
            .join(exp.alias_(exp.Subquery(this=best), "b", table=True), on=on_best, copy=False)
            .where(exp.EQ(this=col("measure", "o"), expression=text(measure)), copy=False)
        )

    return query.relation(("weight", measure, window), build)


def dose_records(
    query: CohortQuery, node: ast.DoseComparison, threshold: Fraction, basis: str, weight: str, days: int | None
) -> str:
    """The aggregate of a dose node (``hits``, ``undated``, ``met``, ``unknown``); ``weight`` is the alias of the
    body-weight reading's aggregate."""

    def build() -> exp.Select:
        w_num, w_den = col("value_num", "w"), col("value_den", "w")
        same = exp.EQ(this=col("dose_basis", "x"), expression=text(basis))
        weighed = conj(not_null(col("rank", "w")), exp.GT(this=w_num, expression=number(0)))
        eq_num, eq_den = _ratio(query, node)
        times, per = (w_num, w_den) if basis == DAILY else (w_den, w_num)
        num_w = case((same, number(1)), default=times.copy())
        den_w = case((same.copy(), number(1)), default=per.copy())
        num = exp.Mul(this=exp.Mul(this=wide(col("dose_num", "x")), expression=wide(eq_num)), expression=wide(num_w))
        den = exp.Mul(this=exp.Mul(this=wide(col("dose_den", "x")), expression=wide(eq_den)), expression=wide(den_w))
        holds = compare(
            node.op,
            exp.Mul(this=num, expression=number(threshold.denominator)),
            exp.Mul(this=number(threshold.numerator), expression=den),
        )
        known = conj(not_null(col("dose_num", "x")), not_null(eq_num.copy()), disj(same.copy(), weighed))
        known = exp.Coalesce(this=known, expressions=[exp.false()])
        holds = exp.Coalesce(this=holds, expressions=[exp.false()])
        long_enough, too_short = _length(days)
        met = conj(known, holds, long_enough)
        ruled_out = disj(conj(known.copy(), negate(holds.copy())), too_short)
        hit, undated = record_match(node.window)
        ref = col("ref_date", "r")
        on_weight = exp.EQ(this=col("patient_id", "w"), expression=col("patient_id", "x"))
        return (
            query.from_ref("medications")
            .join(exp.alias_(exp.to_table(weight), "w", table=True), on=on_weight, join_type="left", copy=False)
            .where(
                query.kind_of(node.concept),
                disj(is_null(col("start", "x")), exp.LTE(this=col("start", "x"), expression=ref)),
                copy=False,
            )
            .select(
                _count(hit).as_("hits"),
                _count(undated).as_("undated"),
                _count(conj(hit.copy(), met)).as_("met"),
                _count(conj(hit.copy(), negate(exp.Paren(this=disj(ruled_out, met.copy()))))).as_("unknown"),
                copy=False,
            )
            .group_by(col("patient_id", "x"), copy=False)
        )

    key = ("doses", node.concept, node.equivalent, node.window, node.op, threshold, basis, weight, days)
    return query.relation(key, build)


def dose_leaf(table: str, negation: exp.Expression) -> tuple[exp.Expression, exp.Expression]:
    """(met, reason) of a dose node from its aggregate and the negation aggregate (see the module)."""
    counts = {name: exp.Coalesce(this=col(name, table), expressions=[number(0)]) for name in RECORD_COUNTS}
    return records_leaf(counts, negation, "no_dose")


RECORD_COUNTS = ("met", "hits", "unknown", "undated")


def records_leaf(
    counts: Mapping[str, exp.Expression], negation: exp.Expression, unknown_reason: str
) -> tuple[exp.Expression, exp.Expression]:
    """(met, reason) of a medication node from its per-patient record counts (``RECORD_COUNTS``, never NULL): met
    by a record; false when recorded absent, or when medications are complete and every record is dated; unknown
    (``unknown_reason``) when a record may meet it; else ``undated`` or ``missing``."""
    met_any = exp.GT(this=counts["met"], expression=number(0))
    negated = conj(exp.EQ(this=counts["hits"], expression=number(0)), negation)
    unknown = exp.GT(this=counts["unknown"], expression=number(0))
    undated = exp.GT(this=counts["undated"], expression=number(0))
    closed = conj(col("complete_medication", "r"), negate(undated))
    met = case((met_any, exp.true()), (negated, exp.false()), (unknown, exp.Null()), (closed, exp.false()))
    reason = case(
        (met_any.copy(), text("decided")),
        (negated.copy(), text("negated")),
        (unknown.copy(), text(unknown_reason)),
        (closed.copy(), text("complete")),
        (undated.copy(), text("undated")),
        default=text("missing"),
    )
    return met, reason
