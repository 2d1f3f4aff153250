"""The last two relations of a batch query: each clause's ``met``, ``reason`` and ``outcome``, and each group's
verdict.

``clauses`` holds every clause's truth and reason (and, for a clause that may need review, whether its unknown
needs review only); the final select derives the outcome texts from those columns and each verdict from the
clauses' truths with SQL's Kleene ``AND`` (a failing clause makes the conjunction FALSE), so a query keeping
only the verdicts never builds the outcome texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from eligibility.engine.sql.expressions import case, col, conj, disj, is_null, negate, text


@dataclass(frozen=True)
class ClauseSQL:
    """A clause's truth and reason, TRUE in ``review`` when its unknown needs review only (None: it never
    does), and its kind."""

    met: exp.Expression
    reason: exp.Expression
    review: exp.Expression | None
    inclusion: bool


def named(value: exp.Expression, name: str) -> exp.Expr:
    """``value AS name``, without copying ``value``."""
    return exp.alias_(value, name, copy=False)


def clause_relation(clauses: Sequence[ClauseSQL]) -> exp.Select:
    """``clauses``: per patient, ``c<k>_met``, ``c<k>_reason`` (and ``c<k>_review``) from ``leaves``."""
    relation = exp.select(col("patient_id"), copy=False).from_("leaves", copy=False)
    for position, clause in enumerate(clauses):
        relation = relation.select(
            named(clause.met, f"c{position}_met"), named(clause.reason, f"c{position}_reason"), copy=False
        )
        if clause.review is not None:
            relation = relation.select(named(clause.review, f"c{position}_review"), copy=False)
    return relation


def final_select(clauses: Sequence[ClauseSQL], groups: Sequence[tuple[int, ...]]) -> exp.Select:
    """``SELECT patient_id, c0_met, c0_reason, c0_outcome, …, v0, …`` (from ``clauses``, added by the caller)."""
    query = exp.select(col("patient_id"), copy=False)
    for position, clause in enumerate(clauses):
        query = query.select(
            col(f"c{position}_met"),
            col(f"c{position}_reason"),
            named(_outcome(position, clause), f"c{position}_outcome"),
            copy=False,
        )
    for position, members in enumerate(groups):
        query = query.select(named(_verdict([(k, clauses[k]) for k in members]), f"v{position}"), copy=False)
    return query


def _outcome(position: int, clause: ClauseSQL) -> exp.Expression:
    """pass, fail, unknown or review, from the clause's columns."""
    met = col(f"c{position}_met")
    undecided: exp.Expression = text("unknown")
    if clause.review is not None:
        undecided = case((col(f"c{position}_review"), text("review")), default=undecided)
    passing, failing = (text("pass"), text("fail")) if clause.inclusion else (text("fail"), text("pass"))
    return case((is_null(met), undecided), (met.copy(), passing), default=failing)


def _verdict(members: list[tuple[int, ClauseSQL]]) -> exp.Expression:
    """ineligible when a clause fails, else undetermined when one is unknown (not for review only), else
    eligible: from the clauses' truths (Kleene AND), not their outcome texts."""
    if not members:
        return text("eligible")
    holds = [col(f"c{k}_met") if c.inclusion else negate(col(f"c{k}_met")) for k, c in members]
    unknown = [
        conj(is_null(col(f"c{k}_met")), negate(exp.Coalesce(this=col(f"c{k}_review"), expressions=[exp.false()])))
        for k, c in members
        if c.review is not None
    ]
    if not unknown:  # the verdict is the conjunction's truth
        every = conj(*holds)
        return case((every, text("eligible")), (negate(every.copy()), text("ineligible")), default=text("undetermined"))
    unknown += [is_null(col(f"c{k}_met")) for k, c in members if c.review is None]
    return case(
        (negate(conj(*holds)), text("ineligible")), (disj(*unknown), text("undetermined")), default=text("eligible")
    )
