"""One query per batch of clauses: per patient, each clause's ``met``, ``reason`` and ``outcome``, and a verdict
per group of clauses (a trial, or one cohort of it).

Shape (all sqlglot expressions)::

    WITH ref AS (patients with their reference date and complete categories),
         <one aggregate per patient for each distinct lab window, record filter, onset, negation>,
         leaves AS (ref LEFT JOIN the aggregates: met and reason of each distinct leaf),
         clauses AS (each clause's met, reason, outcome from the leaves)
    SELECT patient_id, c0_met, c0_reason, c0_outcome, …, v0, … FROM clauses

Leaves and aggregates shared by several clauses or trials are computed once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlglot import exp

from eligibility.engine.compiler import Plan
from eligibility.engine.context import DEFAULT_LAB_RECENCY, ReferenceRange
from eligibility.engine.sql.compiler import compile_sql
from eligibility.engine.sql.expressions import (
    case,
    col,
    conj,
    day,
    disj,
    is_null,
    negate,
    number,
    text,
    window_condition,
)
from eligibility.engine.unspecific import unspecific_concepts
from eligibility.lang import ast
from eligibility.vocab.vocabulary import Vocabulary

LAB_COLUMNS = ("rank", "value_num", "value_den", "value_text", "low_num", "low_den", "high_num", "high_den")


@dataclass(frozen=True)
class Settings:
    """What a clause's evaluation depends on besides the patient: lab recency and reference ranges (the
    trial's merged over the site's), as in :class:`~eligibility.engine.context.EvaluationContext`."""

    lab_recency: ast.Duration = DEFAULT_LAB_RECENCY
    reference_ranges: Mapping[str, ReferenceRange] = field(default_factory=dict)


def _join_on(alias: str) -> exp.Expression:
    return exp.EQ(this=col("patient_id", alias), expression=col("patient_id", "r"))


def _in(value: exp.Expression, options: list[str]) -> exp.Expression:
    if not options:
        return exp.false()
    return exp.In(this=value, expressions=[text(o) for o in options])


def _onset_columns(prefix: str, chosen: exp.Expression, start: exp.Expression) -> list:
    """``onset`` (earliest start), ``n`` and ``undated`` of the rows ``chosen``, named with ``prefix``."""
    one = case((chosen, number(1)), default=number(0))
    undated = case((conj(chosen.copy(), is_null(start.copy())), number(1)), default=number(0))
    return [
        exp.Min(this=case((chosen.copy(), start.copy()))).as_(f"{prefix}onset"),
        exp.Sum(this=one).as_(f"{prefix}n"),
        exp.Sum(this=undated).as_(f"{prefix}undated"),
    ]


class CohortQuery:
    """Builds the batch query: call :meth:`add_clause` and :meth:`add_group`, then :meth:`select`."""

    def __init__(self, vocabulary: Vocabulary, as_of: date | None = None, fallback: date | None = None) -> None:
        self.vocabulary, self.as_of, self.fallback = vocabulary, as_of, fallback
        self._ctes: dict[tuple, tuple[str, exp.Select]] = {}
        self._leaves: dict[tuple, tuple[str, exp.Expression, exp.Expression]] = {}
        self._clauses: list[tuple[exp.Expression, ...]] = []
        self._groups: list[tuple[int, ...]] = []
        self._descendants: dict[str, list[str]] = {}

    # --- clauses and groups --------------------------------------------------------------------------------

    def add_clause(self, plan: Plan, inclusion: bool, may_review: bool, settings: Settings) -> int:
        """Compile one clause; returns its position (its columns are ``c<position>_met`` …)."""
        compiled = compile_sql(plan, self, settings)
        met = compiled.met
        undecided = case(
            (conj(exp.Boolean(this=may_review), negate(compiled.needs_data)), text("review")),
            default=text("unknown"),
        )
        passing, failing = (text("pass"), text("fail")) if inclusion else (text("fail"), text("pass"))
        outcome = case((is_null(met), undecided), (met, passing), default=failing)
        self._clauses.append((met, compiled.reason, outcome))
        return len(self._clauses) - 1

    def add_group(self, positions: tuple[int, ...]) -> int:
        """A verdict over some clauses (a trial or a cohort); returns its position (column ``v<position>``)."""
        self._groups.append(positions)
        return len(self._groups) - 1

    # --- what the compiler asks for --------------------------------------------------------------------------

    def leaf(self, key: tuple, met: exp.Expression, reason: exp.Expression) -> tuple[exp.Column, exp.Column]:
        """The columns of a leaf in the ``leaves`` relation (added once per distinct key)."""
        if key not in self._leaves:
            self._leaves[key] = (f"l{len(self._leaves)}", met, reason)
        name = self._leaves[key][0]
        return col(f"{name}_met"), col(f"{name}_reason")

    def _cte(self, key: tuple, build) -> str:
        if key not in self._ctes:
            alias = f"{key[0]}{len(self._ctes)}"
            self._ctes[key] = (alias, build())
        return self._ctes[key][0]

    def readings_seen(self, measure: str) -> str:
        """Aggregate ``n``: readings of ``measure`` on or before the reference date."""

        def build() -> exp.Select:
            dated = exp.LTE(this=col("date", "o"), expression=col("ref_date", "r"))
            return (
                self._from("observations", "o")
                .where(self._measure(measure), dated, copy=False)
                .select(exp.Count(this=exp.Star()).as_("n"), copy=False)
                .group_by(col("patient_id", "o"), copy=False)
            )

        return self._cte(("seen", measure), build)

    def latest_reading(self, measure: str, window: ast.Window | None) -> str:
        """The newest reading of ``measure`` on or before the reference date and in ``window`` (``None``: of any
        date), with its columns."""

        def build() -> exp.Select:
            on = col("date", "o")
            usable = window_condition(window, on, on, col("ref_date", "r"))
            dated = exp.LTE(this=on, expression=col("ref_date", "r"))
            best = (
                self._from("observations", "o")
                .where(self._measure(measure), dated, usable, copy=False)
                .select(exp.Min(this=col("rank", "o")).as_("best"), copy=False)
                .group_by(col("patient_id", "o"), copy=False)
            )
            on_best = conj(
                exp.EQ(this=col("patient_id", "o"), expression=col("patient_id", "b")),
                exp.EQ(this=col("rank", "o"), expression=col("best", "b")),
            )
            return (
                exp.select(col("patient_id", "o"), *(col(c, "o") for c in LAB_COLUMNS), copy=False)
                .from_(exp.alias_(exp.to_table("observations"), "o", table=True), copy=False)
                .join(exp.alias_(exp.Subquery(this=best), "b", table=True), on=on_best, copy=False)
                .where(self._measure(measure), copy=False)
            )

        return self._cte(("lab", measure, window), build)

    def onset(self, concepts: tuple[str, ...]) -> str:
        """Aggregates of the conditions on or before the reference date that are of ``concepts`` (or kinds of
        them): ``onset`` (the earliest onset), ``n`` and ``undated`` (how many, how many without an onset); and
        of those that may or may not be (:mod:`eligibility.engine.unspecific`): ``unsure_onset``, ``unsure_n``,
        ``unsure_undated``."""

        def build() -> exp.Select:
            start = col("start", "x")
            kinds = sorted(frozenset().union(*(self.vocabulary.descendants(c) for c in concepts)))
            broader = sorted(unspecific_concepts(self.vocabulary, concepts)[0])
            mine, unsure = _in(col("concept", "x"), kinds), _in(col("concept", "x"), broader)
            return (
                self._from("conditions", "x")
                .where(
                    disj(mine, unsure),
                    disj(is_null(start), exp.LTE(this=start, expression=col("ref_date", "r"))),
                    copy=False,
                )
                .select(
                    *_onset_columns("", mine.copy(), start),
                    *_onset_columns("unsure_", unsure.copy(), start),
                    copy=False,
                )
                .group_by(col("patient_id", "x"), copy=False)
            )

        return self._cte(("onset", concepts), build)

    def negation(self, category: str, concept: str, active: bool) -> str:
        """Aggregate ``negated``: recorded absent (the concept or a broader one), or resolved for ``active``."""

        def build() -> exp.Select:
            status, named = col("status", "n"), col("concept", "n")
            absent = conj(
                exp.EQ(this=status, expression=text("absent")),
                _in(named, sorted(self.vocabulary.ancestors(concept))),
            )
            if active:
                resolved = conj(
                    exp.EQ(this=status, expression=text("resolved")), exp.EQ(this=named, expression=text(concept))
                )
                absent = disj(absent, resolved)
            return (
                exp.select(col("patient_id", "n"), number(1).as_("negated"), copy=False)
                .from_(exp.alias_(exp.to_table("negations"), "n", table=True), copy=False)
                .where(exp.EQ(this=col("category", "n"), expression=text(category)), absent, copy=False)
                .group_by(col("patient_id", "n"), copy=False)
            )

        return self._cte(("negated", category, concept, active), build)

    def matching_records(self, node: ast.Presence | ast.Count, unspecific: bool = False) -> str:
        """Aggregates ``hits`` (records matching status, exceptions and window) and ``undated`` (records
        without a date, or ended on a day not known, that a windowed node cannot place); with ``unspecific``,
        of the records that may or may not be of the node's kind (:mod:`eligibility.engine.unspecific`)."""
        window, active = node.window, getattr(node, "active", False)
        excluding = tuple(getattr(node, "excluding", ()))
        broader, unsure = unspecific_concepts(self.vocabulary, (node.concept,), excluding)

        def build() -> exp.Select:
            start, ref = col("start", "x"), col("ref_date", "r")
            last = exp.Least(
                this=exp.Coalesce(this=col("stop", "x"), expressions=[ref.copy()]), expressions=[ref.copy()]
            )
            # A record without a stop that is not active ended on a day not known (on or after its start):
            # it matches when its start day alone does; only the unknown end could bring it into the window.
            end_unknown = conj(is_null(col("stop", "x")), exp.NEQ(this=col("status", "x"), expression=text("active")))
            start_alone = window_condition(window, start, start, ref)
            hit = case(
                (is_null(start), number(int(window is None))),
                (end_unknown, case((start_alone, number(1)), default=number(0))),
                (window_condition(window, start, last, ref), number(1)),
                default=number(0),
            )
            could_match = conj(
                end_unknown.copy(), negate(start_alone.copy()), window_condition(window, start, ref, ref)
            )
            undated = case(
                (is_null(start), number(int(window is not None))), (could_match, number(1)), default=number(0)
            )
            kind = (
                _in(col("concept", "x"), sorted(broader | unsure)) if unspecific else self._kind_of("x", node.concept)
            )
            conditions = [kind, disj(is_null(start), exp.LTE(this=start, expression=ref))]
            if active:
                conditions.append(exp.EQ(this=col("status", "x"), expression=text("active")))
            for excluded in excluding:
                conditions.append(negate(self._kind_of("x", excluded)))
            if unsure and not unspecific:
                conditions.append(negate(_in(col("concept", "x"), sorted(unsure))))
            return (
                self._from(f"{node.category}s", "x")
                .where(*conditions, copy=False)
                .select(exp.Sum(this=hit).as_("hits"), exp.Sum(this=undated).as_("undated"), copy=False)
                .group_by(col("patient_id", "x"), copy=False)
            )

        return self._cte(("records", node.category, node.concept, window, active, excluding, unspecific), build)

    # --- pieces -------------------------------------------------------------------------------------------

    def _from(self, table: str, alias: str) -> exp.Select:
        return (
            exp.select(col("patient_id", alias), copy=False)
            .from_(exp.alias_(exp.to_table(table), alias, table=True), copy=False)
            .join(exp.alias_(exp.to_table("ref"), "r", table=True), on=_join_on(alias), copy=False)
        )

    def _measure(self, measure: str) -> exp.Expression:
        return exp.EQ(this=col("measure", "o"), expression=text(measure))

    def _kind_of(self, alias: str, concept: str) -> exp.Expression:
        """The record's concept is ``concept`` or a kind of it (through the vocabulary's hierarchy)."""
        if concept not in self._descendants:
            self._descendants[concept] = sorted(
                c for c in self.vocabulary.concepts if concept in self.vocabulary.ancestors(c)
            )
        return _in(col("concept", alias), self._descendants[concept])

    def _ref(self) -> exp.Select:
        chosen = [day(d) for d in (self.as_of,) if d] + [col("as_of", "p")] + [day(d) for d in (self.fallback,) if d]
        ref_date = exp.Coalesce(this=chosen[0], expressions=chosen[1:]) if len(chosen) > 1 else chosen[0]
        flags = [
            exp.Max(this=case((exp.EQ(this=col("category"), expression=text(c)), number(1)), default=number(0))).as_(
                c, copy=False
            )
            for c in ast.CATEGORIES
        ]
        complete = (
            exp.select(col("patient_id"), *flags, copy=False)
            .from_("completeness", copy=False)
            .group_by(col("patient_id"), copy=False)
        )
        columns = [col(name, "p") for name in ("patient_id", "birth_low", "birth_high", "age", "as_of", "sex")]
        completes = [
            exp.GT(this=exp.Coalesce(this=col(c, "k"), expressions=[number(0)]), expression=number(0)).as_(
                f"complete_{c}", copy=False
            )
            for c in ast.CATEGORIES
        ]
        return (
            exp.select(*columns, ref_date.as_("ref_date"), *completes, copy=False)
            .from_(exp.alias_(exp.to_table("patients"), "p", table=True), copy=False)
            .join(
                exp.alias_(exp.Subquery(this=complete), "k", table=True),
                on=exp.EQ(this=col("patient_id", "k"), expression=col("patient_id", "p")),
                join_type="left",
                copy=False,
            )
        )

    def select(self) -> exp.Select:
        """The whole query (one row per patient)."""
        leaves = exp.select(col("patient_id", "r"), copy=False).from_(
            exp.alias_(exp.to_table("ref"), "r", table=True), copy=False
        )
        for alias, _ in self._ctes.values():
            leaves = leaves.join(
                exp.alias_(exp.to_table(alias), alias, table=True), on=_join_on(alias), join_type="left", copy=False
            )
        for name, met, reason in self._leaves.values():
            leaves = leaves.select(met.as_(f"{name}_met"), reason.as_(f"{name}_reason"), copy=False)
        clauses = exp.select(col("patient_id"), copy=False).from_("leaves", copy=False)
        for position, (met, reason, outcome) in enumerate(self._clauses):
            clauses = clauses.select(
                met.as_(f"c{position}_met"),
                reason.as_(f"c{position}_reason"),
                outcome.as_(f"c{position}_outcome"),
                copy=False,
            )
        query = exp.select(
            col("patient_id"),
            *(col(f"c{k}_{p}") for k in range(len(self._clauses)) for p in ("met", "reason", "outcome")),
            copy=False,
        )
        for position, members in enumerate(self._groups):
            query = query.select(self._verdict(members).as_(f"v{position}"), copy=False)
        query = query.from_("clauses", copy=False).with_("ref", as_=self._ref(), copy=False)
        for alias, body in self._ctes.values():
            query = query.with_(alias, as_=body, copy=False)
        return query.with_("leaves", as_=leaves, copy=False).with_("clauses", as_=clauses, copy=False)

    @staticmethod
    def _verdict(members: tuple[int, ...]) -> exp.Expression:
        if not members:
            return text("eligible")
        outcomes = [col(f"c{k}_outcome") for k in members]
        return case(
            (exp.In(this=text("fail"), expressions=[o.copy() for o in outcomes]), text("ineligible")),
            (exp.In(this=text("unknown"), expressions=[o.copy() for o in outcomes]), text("undetermined")),
            default=text("eligible"),
        )
