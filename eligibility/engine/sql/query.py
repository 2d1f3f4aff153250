"""One query per batch of clauses: per patient, each clause's ``met``, ``reason`` and ``outcome``, and a verdict
per group of clauses (a trial, or one cohort of it).

Shape (all sqlglot expressions)::

    WITH ref AS (patients with their reference date and complete categories),
         p_observations AS (one pass over observations: every (measure, window) newest reading's rank …),
         p_readings AS (one pass over observations: the values of those readings),
         p_conditions AS (one pass over conditions: every record filter's hits, every onset), …,
         p_negations AS (one pass over negations),
         leaves AS (ref LEFT JOIN each pass once: met and reason of each distinct leaf, as column expressions),
         clauses AS (each clause's met, reason, outcome from the leaves)
    SELECT patient_id, c0_met, c0_reason, c0_outcome, …, v0, … FROM clauses

Each table is read once per batch however many clauses and trials the batch holds (see
:mod:`eligibility.engine.sql.passes`); leaves and aggregates shared by several clauses or trials are computed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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
    disj,
    is_null,
    negate,
    not_null,
    number,
    text,
    window_condition,
)
from eligibility.engine.sql.nodes import Compiled
from eligibility.engine.sql.passes import REF, ROW, TablePass, filtered
from eligibility.engine.sql.reference import reference_rows
from eligibility.engine.sql.verdicts import ClauseSQL, clause_relation, final_select, named
from eligibility.engine.unspecific import unspecific_concepts
from eligibility.engine.validity import POSITIVE
from eligibility.lang import ast
from eligibility.vocab.vocabulary import Vocabulary

RECORD_TABLES = tuple(f"{category}s" for category in ast.CATEGORIES)
READINGS = "readings"  # the pass reading the values of the readings chosen in the observations pass


@dataclass(frozen=True)
class Settings:
    """What a clause's evaluation depends on besides the patient: lab recency and reference ranges (the
    trial's merged over the site's), as in :class:`~eligibility.engine.context.EvaluationContext`."""

    lab_recency: ast.Duration = DEFAULT_LAB_RECENCY
    reference_ranges: Mapping[str, ReferenceRange] = field(default_factory=dict)

    @property
    def key(self) -> tuple:
        """The settings as a hashable value (equal settings, equal key)."""
        return self.lab_recency, tuple(sorted(self.reference_ranges.items()))


@dataclass(frozen=True)
class Reading:
    """The newest reading of a measure in a window, per patient: ``found`` (a BOOLEAN, never NULL) and its
    stored columns on demand (:meth:`column`: read them only where ``found``)."""

    query: CohortQuery
    measure: str
    rank: exp.Column
    usable: exp.Expression

    @property
    def found(self) -> exp.Expression:
        """TRUE when the patient has such a reading."""
        return self.usable.copy()

    def column(self, name: str) -> exp.Column:
        """A stored column of the reading (``value_num``, ``value_den``, ``value_text``, ``low_num`` …)."""

        def build() -> tuple[exp.Expression, exp.Expression]:
            chosen = conj(
                exp.EQ(this=col("measure", ROW), expression=text(self.measure)),
                exp.EQ(this=col("rank", ROW), expression=self.rank.copy()),
            )
            return exp.Max(this=col(name, ROW)), chosen

        return self.query.per_patient(READINGS, ("reading", self.rank.name, name), build, within=(self.measure,))


@dataclass(frozen=True)
class Records:
    """A history node's records, per patient: ``hits`` (matching records) and ``undated`` (records without a
    date, or ended on a day not known, that a windowed node cannot place), both integers, never NULL."""

    hits: exp.Expression
    undated: exp.Expression


def _in(value: exp.Expression, options: Iterable[str]) -> exp.Expression:
    listed = [text(o) for o in options]
    return exp.In(this=value, expressions=listed) if listed else exp.false()


def _zero_if_null(value: exp.Expression) -> exp.Expression:
    return exp.Coalesce(this=value, expressions=[number(0)])


class CohortQuery:
    """Builds the batch query: call :meth:`add_clause` and :meth:`add_group`, then :meth:`select`.

    Node handlers ask it for per-patient values (:meth:`latest_reading`, :meth:`has_readings`, :meth:`onset`,
    :meth:`negated`, :meth:`matching_records`, or any conditional aggregate through :meth:`per_patient`)."""

    def __init__(self, vocabulary: Vocabulary, as_of: date | None = None, fallback: date | None = None) -> None:
        self.vocabulary, self.as_of, self.fallback = vocabulary, as_of, fallback
        self._passes: dict[str, TablePass] = {"observations": TablePass("observations", selector="measure")}
        self._passes[READINGS] = TablePass("observations", join="p_observations", selector="measure")
        self._passes |= {table: TablePass(table, selector="concept") for table in RECORD_TABLES}
        self._passes["negations"] = TablePass("negations", selector="concept")
        self._leaves: dict[tuple, tuple[str, exp.Expression, exp.Expression]] = {}
        self._clauses: list[ClauseSQL] = []
        self._compiled: dict[tuple, Compiled] = {}
        self._groups: list[tuple[int, ...]] = []
        self._descendants: dict[str, list[str]] = {}
        self._relations: dict[tuple, tuple[str, exp.Select]] = {}  # per-patient relations outside the passes
        self._names = 0

    # --- clauses and groups --------------------------------------------------------------------------------

    def add_clause(self, plan: Plan, inclusion: bool, may_review: bool, settings: Settings) -> int:
        """Compile one clause; returns its position (its columns are ``c<position>_met`` …)."""
        compiled = compile_sql(plan, self, settings)
        review = negate(compiled.needs_data) if may_review else None
        self._clauses.append(ClauseSQL(compiled.met, compiled.reason, review, inclusion))
        return len(self._clauses) - 1

    def compiled(self, key: tuple, build: Callable[[], Compiled]) -> Compiled:
        """The SQL of a node, built once per ``key`` (a node and its settings) and copied for each later use:
        trials of a batch share many rules."""
        if key not in self._compiled:
            self._compiled[key] = build()
        found = self._compiled[key]
        return Compiled(found.met.copy(), found.reason.copy(), found.needs_data.copy())

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

    def per_patient(
        self,
        table: str,
        key: tuple,
        build: Callable[[], tuple[exp.Expression, exp.Expression]],
        within: Iterable[str] | None = None,
    ) -> exp.Column:
        """A per-patient conditional aggregate over ``table`` as a column of the ``leaves`` relation.

        ``build()`` gives (aggregate, condition) over the table's row ``x`` and the patient's reference row ``r``
        (``r.ref_date``, ``r.sex`` …), e.g. ``(MIN(x.start), x.concept = 'sle')``; it is called once per distinct
        ``key`` (the key must identify the aggregate within the table). ``within`` lists the values of the
        table's selector column (``concept``; ``measure`` for observations) the condition admits, or None for
        any. The column is NULL for a patient without rows in ``table``, so COUNT and SUM need a COALESCE.
        """

        def aggregate() -> exp.Expression:
            function, condition = build()
            return filtered(function, condition)

        table_pass = self._passes[table]
        if key not in table_pass.aggregates:
            self._names += 1
        return table_pass.column(f"a{self._names}", key, aggregate, within)

    def relation(self, key: tuple, build: Callable[[], exp.Select]) -> str:
        """A per-patient relation (one row per patient, ``patient_id`` first) built once per ``key`` and joined to
        the leaves, for an aggregate that needs a row of another relation (a dose and the body weight); returns
        its alias. Most nodes need none: :meth:`per_patient` folds into the table passes."""
        if key not in self._relations:
            self._relations[key] = (f"q{len(self._relations)}", build())
        return self._relations[key][0]

    def from_ref(self, table: str) -> exp.Select:
        """``SELECT x.patient_id FROM table x JOIN ref r``: the start of a :meth:`relation`."""
        on = exp.EQ(this=col("patient_id", ROW), expression=col("patient_id", REF))
        return (
            exp.select(col("patient_id", ROW), copy=False)
            .from_(exp.alias_(exp.to_table(table), ROW, table=True), copy=False)
            .join(exp.alias_(exp.to_table("ref"), REF, table=True), on=on, copy=False)
        )

    def has_readings(self, measure: str) -> exp.Expression:
        """TRUE when the patient has a reading of ``measure`` on or before the reference date."""
        return not_null(self._newest(measure, "rank"))

    def latest_reading(self, measure: str, window: ast.Window | None) -> Reading:
        """The newest reading of ``measure`` on or before the reference date and in ``window`` (``None``: of
        any date).

        For a window reaching back from the reference date (``within …``) that is the newest reading on or
        before the reference date when it lies in the window (readings are ranked newest first), so every such
        window of a measure shares one aggregate; for one reaching up to a past date (``more than … ago``) it
        is the newest reading before that date."""
        if window is None:
            rank = self._newest(measure, "rank")
            return Reading(self, measure, rank, not_null(rank.copy()))
        if window.op in ("<=", "<"):
            rank, newest = self._newest(measure, "rank"), self._newest(measure, "date")
            usable = conj(not_null(rank.copy()), window_condition(window, newest, newest.copy(), col("ref_date", REF)))
            return Reading(self, measure, rank, usable)

        def build() -> tuple[exp.Expression, exp.Expression]:
            on = col("date", ROW)
            usable = window_condition(window, on, on, col("ref_date", REF))
            return exp.Min(this=col("rank", ROW)), conj(self._measure(measure), self.on_or_before("date"), usable)

        rank = self.per_patient("observations", ("latest", measure, window), build, within=(measure,))
        return Reading(self, measure, rank, not_null(rank.copy()))

    def positive_on_file(self, measure: str) -> exp.Expression:
        """TRUE when the patient has a positive result of ``measure`` on or before the reference date."""

        def build() -> tuple[exp.Expression, exp.Expression]:
            positive = exp.EQ(this=col("value_text", ROW), expression=text(POSITIVE))
            return exp.Max(this=col("rank", ROW)), conj(self._measure(measure), self.on_or_before("date"), positive)

        return not_null(self.per_patient("observations", ("positive", measure), build, within=(measure,)))

    def _newest(self, measure: str, column: str) -> exp.Column:
        """The rank (smallest) or date (latest) of the newest reading of ``measure`` on or before the
        reference date."""
        function = exp.Min if column == "rank" else exp.Max
        return self.per_patient(
            "observations",
            ("newest", measure, column),
            lambda: (function(this=col(column, ROW)), conj(self._measure(measure), self.on_or_before("date"))),
            within=(measure,),
        )

    def negated(self, category: str, concept: str, active: bool) -> exp.Expression:
        """TRUE when recorded absent (the concept or a broader one), or, for ``active``, resolved."""
        ancestors = sorted(self.vocabulary.ancestors(concept))

        def build() -> tuple[exp.Expression, exp.Expression]:
            status, named = col("status", ROW), col("concept", ROW)
            absent = conj(exp.EQ(this=status, expression=text("absent")), _in(named, ancestors))
            if active:
                resolved = conj(
                    exp.EQ(this=status.copy(), expression=text("resolved")),
                    exp.EQ(this=named.copy(), expression=text(concept)),
                )
                absent = disj(absent, resolved)
            return exp.Max(this=number(1)), conj(exp.EQ(this=col("category", ROW), expression=text(category)), absent)

        key = ("negated", category, concept, active)
        return not_null(self.per_patient("negations", key, build, within=[*ancestors, concept]))

    def matching_records(self, node: ast.Presence | ast.Count, unspecific: bool = False) -> Records:
        """The records of a history node (``has …``, ``count …``) on or before the reference date; with
        ``unspecific``, those that may or may not be of the node's kind (:mod:`eligibility.engine.unspecific`)."""
        window, active = node.window, getattr(node, "active", False)
        excluding = tuple(getattr(node, "excluding", ()))
        table, key = f"{node.category}s", (node.category, node.concept, window, active, excluding, unspecific)
        broader, unsure = unspecific_concepts(self.vocabulary, (node.concept,), excluding)
        within = sorted(broader | unsure) if unspecific else self.descendants_of(node.concept)
        kind = _in(col("concept", ROW), within) if unspecific else self.kind_of(node.concept)
        if unsure and not unspecific:  # kinds that may or may not be excepted are counted apart
            kind = conj(kind, negate(_in(col("concept", ROW), sorted(unsure))))

        def counting(test: Callable[[ast.Window | None], exp.Expression]) -> Callable[[], tuple]:
            return lambda: (
                exp.Count(this=number(1)),
                conj(kind.copy(), self._record_filter(active, excluding), test(window)),
            )

        hits = _zero_if_null(self.per_patient(table, ("hits", *key), counting(self._hit), within))
        if window is None:  # without a window every record is placed: an undated one counts
            return Records(hits, number(0))
        return Records(hits, _zero_if_null(self.per_patient(table, ("undated", *key), counting(self._undated), within)))

    # --- pieces -------------------------------------------------------------------------------------------

    @staticmethod
    def _end_unknown() -> exp.Expression:
        """A record without a stop that is not active ended on a day not known (on or after its start)."""
        return conj(is_null(col("stop", ROW)), exp.NEQ(this=col("status", ROW), expression=text("active")))

    def _hit(self, window: ast.Window | None) -> exp.Expression:
        """TRUE for a record that lies in ``window`` (an undated one only without a window): a record ended on
        a day not known matches when its start day alone does."""
        start, ref = col("start", ROW), col("ref_date", REF)
        last = exp.Least(this=exp.Coalesce(this=col("stop", ROW), expressions=[ref.copy()]), expressions=[ref.copy()])
        return exp.Paren(
            this=case(
                (is_null(start), exp.Boolean(this=window is None)),
                (self._end_unknown(), window_condition(window, start, start, ref)),
                default=window_condition(window, start.copy(), last, ref.copy()),
            )
        )

    def _undated(self, window: ast.Window | None) -> exp.Expression:
        """TRUE for a record a windowed node cannot place: undated, or one only its unknown end could bring in."""
        start, ref = col("start", ROW), col("ref_date", REF)
        could_match = conj(
            self._end_unknown(),
            negate(window_condition(window, start, start, ref)),
            window_condition(window, start.copy(), ref.copy(), ref.copy()),
        )
        return exp.Paren(
            this=case((is_null(start), exp.Boolean(this=window is not None)), default=exp.Paren(this=could_match))
        )

    def _record_filter(self, active: bool, excluding: tuple[str, ...]) -> exp.Expression:
        start = col("start", ROW)
        conditions = [disj(is_null(start), self.on_or_before("start"))]
        if active:
            conditions.append(exp.EQ(this=col("status", ROW), expression=text("active")))
        conditions += [negate(self.kind_of(excluded)) for excluded in excluding]
        return conj(*conditions)

    @staticmethod
    def on_or_before(column: str) -> exp.Expression:
        """The row's ``column`` is on or before the reference date."""
        return exp.LTE(this=col(column, ROW), expression=col("ref_date", REF))

    @staticmethod
    def _measure(measure: str) -> exp.Expression:
        return exp.EQ(this=col("measure", ROW), expression=text(measure))

    def descendants_of(self, concept: str) -> list[str]:
        """``concept`` and every kind of it (through the vocabulary's hierarchy)."""
        if concept not in self._descendants:
            known, kinds = self.vocabulary.concepts, self.vocabulary.descendants(concept) | {concept}
            self._descendants[concept] = sorted(
                c for c in kinds if c in known and concept in self.vocabulary.ancestors(c)
            )
        return self._descendants[concept]

    def kind_of(self, concept: str) -> exp.Expression:
        """The row's concept is ``concept`` or a kind of it."""
        return _in(col("concept", ROW), self.descendants_of(concept))

    def _used_passes(self) -> list[tuple[str, TablePass]]:
        """(relation name, pass) for every pass with an aggregate, the observations pass first."""
        used = [(name, p) for name, p in self._passes.items() if p.aggregates]
        if self._passes[READINGS].aggregates and not self._passes["observations"].aggregates:
            raise AssertionError("the readings pass needs the observations pass")
        return [(f"p_{name}", p) for name, p in used]

    def select(self) -> exp.Select:
        """The whole query (one row per patient)."""
        passes = self._used_passes()
        leaves = exp.select(col("patient_id", REF), copy=False).from_(
            exp.alias_(exp.to_table("ref"), REF, table=True), copy=False
        )
        for alias, _ in [*passes, *self._relations.values()]:
            on = exp.EQ(this=col("patient_id", alias), expression=col("patient_id", REF))
            leaves = leaves.join(
                exp.alias_(exp.to_table(alias), alias, table=True), on=on, join_type="left", copy=False
            )
        for name, met, reason in self._leaves.values():
            leaves = leaves.select(named(met, f"{name}_met"), named(reason, f"{name}_reason"), copy=False)
        clauses = clause_relation(self._clauses)
        query = final_select(self._clauses, self._groups)
        query = query.from_("clauses", copy=False).with_(
            "ref", as_=reference_rows(self.as_of, self.fallback), copy=False
        )
        for alias, table_pass in passes:
            query = query.with_(alias, as_=table_pass.relation(), copy=False)
        for alias, relation in self._relations.values():
            query = query.with_(alias, as_=relation, copy=False)
        return query.with_("leaves", as_=leaves, copy=False).with_("clauses", as_=clauses, copy=False)
