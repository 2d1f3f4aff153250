"""Trials → batch queries: the clauses of a batch of compiled trials in one :class:`CohortQuery`, and the map
from its columns back to trials, cohorts and clauses."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from sqlglot import exp

from eligibility.engine.sql.query import CohortQuery, Settings
from eligibility.screen.screener import CompiledTrial, Screener

DEFAULT_BATCH = 25  # trials per query: each record table is read once per query, so fewer queries read less


@dataclass(frozen=True)
class GroupColumns:
    """One trial result (a trial, or one cohort of it): its label, verdict column and clause columns."""

    compiled: CompiledTrial
    cohort: str | None
    label: str
    verdict: int
    clauses: tuple[int, ...]  # query clause positions, in the result's clause order
    clause_ids: tuple[str, ...]
    members: tuple[int, ...]  # the same clauses' positions in the trial


@dataclass(frozen=True)
class Batch:
    """One query and what its columns mean."""

    query: exp.Select
    groups: tuple[GroupColumns, ...]
    clause_count: int

    def sql(self, dialect: str = "duckdb") -> str:
        """The query's text in a dialect (``duckdb`` or ``spark``); the tree is rendered as it is, not copied
        first (the generator leaves these trees unchanged, and copying doubled the time)."""
        return self.query.sql(dialect=dialect, copy=False)


def plan_batch(screener: Screener, trials: Sequence[CompiledTrial], as_of: date | None, fallback: date | None) -> Batch:
    """One query for ``trials`` (every clause, every cohort)."""
    query = CohortQuery(screener.vocabulary, as_of, fallback)
    groups = []
    for compiled in trials:
        settings = Settings(compiled.lab_recency or screener.lab_recency, compiled.reference_ranges)
        positions = []
        for clause, plan, review in zip(compiled.trial.clauses, compiled.plans, compiled.may_need_review, strict=True):
            positions.append(query.add_clause(plan, clause.kind == "inclusion", review, settings))
        for cohort, members in compiled.cohorts:
            chosen = tuple(positions[i] for i in members)
            label = compiled.trial.id if cohort is None else f"{compiled.trial.id}/{cohort}"
            ids = tuple(compiled.trial.clauses[i].id for i in members)
            groups.append(GroupColumns(compiled, cohort, label, query.add_group(chosen), chosen, ids, members))
    return Batch(query.select(), tuple(groups), sum(len(t.plans) for t in trials))


def plan_batches(
    screener: Screener,
    as_of: date | None,
    fallback: date | None,
    trial_ids: Sequence[str] = (),
    size: int = DEFAULT_BATCH,
) -> Iterator[Batch]:
    """The screener's trials (or those in ``trial_ids``) in batches of ``size`` trials, one query each."""
    wanted = set(trial_ids)
    chosen = [c for c in screener.compiled if not wanted or c.trial.id in wanted]
    for start in range(0, len(chosen), size):
        yield plan_batch(screener, chosen[start : start + size], as_of, fallback)
