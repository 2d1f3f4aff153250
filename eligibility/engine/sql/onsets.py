"""SQL of the onset rules (``age at onset of …``, ``duration of condition …``), as :mod:`eligibility.engine.onset`
defines them: the earliest onset of the matching conditions, decided only where an earlier onset (a matching
record without a date, or an undated or earlier record of a broader condition) could not change the answer.

Both read one aggregate per set of conditions (``CohortQuery.onset``: ``onset``, ``n``, ``undated`` and the same
three for the broader records, prefixed ``unsure_``) and the negations of each condition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from eligibility.engine.findings import Reason
from eligibility.engine.sql.expressions import case, col, compare, conj, disj, is_null, not_null, number, text
from eligibility.engine.sql.passes import ROW
from eligibility.engine.unspecific import unspecific_concepts
from eligibility.lang import ast

if TYPE_CHECKING:
    from eligibility.engine.sql.query import CohortQuery


def _count(columns: dict[str, exp.Expression], name: str) -> exp.Expression:
    return exp.Coalesce(this=columns[name].copy(), expressions=[number(0)])


def _positive(columns: dict[str, exp.Expression], name: str) -> exp.Expression:
    return exp.GT(this=_count(columns, name), expression=number(0))


def _reason(reason: Reason) -> exp.Literal:
    return text(reason.value)


def onset_columns(query: CohortQuery, concepts: tuple[str, ...]) -> dict[str, exp.Expression]:
    """Per-patient aggregates of the conditions on or before the reference date (or undated) that are of
    ``concepts`` (or kinds of them): ``onset`` (the earliest onset, a DATE), ``n`` and ``undated`` (how many, how
    many without an onset); and the same of those that may or may not be (:mod:`eligibility.engine.unspecific`),
    prefixed ``unsure_``. Counts are NULL for a patient without conditions."""
    kinds = sorted(frozenset().union(*(query.vocabulary.descendants(c) for c in concepts)))
    broader = sorted(unspecific_concepts(query.vocabulary, concepts)[0])
    columns: dict[str, exp.Expression] = {}
    for prefix, chosen in (("", kinds), ("unsure_", broader)):
        columns |= _aggregates(query, prefix, concepts, chosen)
    return columns


def _aggregates(query: CohortQuery, prefix: str, concepts: tuple[str, ...], chosen: list[str]) -> dict:
    start = col("start", ROW)
    specs = {
        "onset": (exp.Min, start, not_null(start.copy())),
        "n": (exp.Count, number(1), exp.true()),
        "undated": (exp.Count, number(1), is_null(start.copy())),
    }
    listed = [text(c) for c in chosen]

    def build(function: type[exp.Func], value: exp.Expression, extra: exp.Expression):
        kind = exp.In(this=col("concept", ROW), expressions=[v.copy() for v in listed]) if listed else exp.false()
        placed = disj(is_null(col("start", ROW)), query.on_or_before("start"))
        return lambda: (function(this=value.copy()), conj(kind, placed, extra.copy()))

    return {
        prefix + name: query.per_patient("conditions", ("onset", prefix, name, concepts), build(*spec), within=chosen)
        for name, spec in specs.items()
    }


class OnsetColumns:
    """The per-patient facts an onset rule reads (each call builds a fresh expression)."""

    def __init__(self, query: CohortQuery, node: ast.AgeAtOnset | ast.DiseaseDuration) -> None:
        self.columns = onset_columns(query, node.concepts)
        self.negations = [query.negated("condition", c, active=False) for c in node.concepts]

    def onset(self) -> exp.Expression:
        """The earliest onset of the matching conditions (NULL when none is dated)."""
        return self.columns["onset"].copy()

    def no_record(self) -> exp.Expression:
        """No matching condition on record."""
        return exp.EQ(this=_count(self.columns, "n"), expression=number(0))

    def undated(self) -> exp.Expression:
        """A matching condition without an onset date."""
        return _positive(self.columns, "undated")

    def earlier_unsure(self) -> exp.Expression:
        """A broader condition, undated or begun before the earliest onset."""
        before = exp.LT(this=self.columns["unsure_onset"].copy(), expression=self.onset())
        return disj(_positive(self.columns, "unsure_undated"), exp.Coalesce(this=before, expressions=[exp.false()]))

    def absence(self) -> tuple[exp.Expression, exp.Expression]:
        """(met, reason) with no matching record: absent, unspecific, complete or missing."""
        negated = conj(*(n.copy() for n in self.negations))
        unsure = _positive(self.columns, "unsure_n")
        complete = col("complete_condition", "r")
        met = case((negated, exp.false()), (unsure, exp.null()), (complete, exp.false()))
        reason = case(
            (negated.copy(), _reason(Reason.ABSENT)),
            (unsure.copy(), _reason(Reason.UNSPECIFIC)),
            (complete.copy(), _reason(Reason.COMPLETE)),
            default=_reason(Reason.MISSING),
        )
        return met, reason


def stable(op: str, truth: exp.Expression, later_is_larger: bool) -> exp.Expression:
    """``truth`` where it holds for any earlier onset too, else NULL (see :func:`engine.onset.stable_truth`)."""
    if op in ("==", "!="):
        return exp.null()
    keeps = exp.true() if (op in ("<", "<=")) == later_is_larger else exp.false()
    return case((exp.EQ(this=truth, expression=keeps), truth.copy()))


def onset_leaf(
    columns: OnsetColumns,
    op: str,
    truth: exp.Expression,
    later_is_larger: bool,
    no_age: exp.Expression | None = None,
) -> tuple[exp.Expression, exp.Expression]:
    """(met, reason) of an onset rule whose comparison at the earliest onset is ``truth`` (NULL when the age
    there is uncertain); ``no_age``: the birth date and age are unknown (age at onset only)."""
    absent_met, absent_reason = columns.absence()
    earlier = disj(columns.undated(), columns.earlier_unsure())
    branches = [(columns.no_record(), absent_met), (is_null(columns.onset()), exp.null())]
    if no_age is not None:
        branches.append((no_age, exp.null()))
    met = case(*branches, (earlier, stable(op, truth, later_is_larger)), default=truth.copy())
    reasons = [(columns.no_record(), absent_reason), (is_null(columns.onset()), _reason(Reason.UNDATED))]
    if no_age is not None:
        reasons.append((no_age.copy(), _reason(Reason.MISSING_BIRTH)))
    reason = case(
        *reasons,
        (not_null(met.copy()), _reason(Reason.DECIDED)),
        (columns.undated(), _reason(Reason.UNDATED)),
        (columns.earlier_unsure(), _reason(Reason.UNSPECIFIC)),
        default=_reason(Reason.AGE_UNCERTAIN),
    )
    return met, reason


def elapsed_truth(node: ast.DiseaseDuration, onset: exp.Expression, age_in) -> exp.Expression:
    """``completed time from onset to the reference date <op> duration``."""
    elapsed = age_in(node.duration.unit, onset, col("ref_date", "r"))
    return compare(node.op, elapsed, number(node.duration.value))
