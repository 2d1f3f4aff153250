"""Screening a record store on a SQL engine and writing the ``summary`` JSON Lines of the in-process path.

The engine decides every clause and verdict; the summary's verdicts and review ids are its columns. The wording
(blocking clauses' explanations, missing data) comes from the in-process explainer, which evaluates only the
clauses the engine found failing or unknown in the pairs written out; each such clause's in-process outcome
must be the engine's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlglot import exp

from eligibility.cohort.plan import DEFAULT_BATCH, Batch, GroupColumns, plan_batches
from eligibility.engine.context import EvaluationContext
from eligibility.engine.evaluator import evaluate
from eligibility.errors import EligibilityError
from eligibility.output import explain
from eligibility.output.json_lines import json_line
from eligibility.patient.contract import Patient
from eligibility.patient.index import PatientIndex, index_patient
from eligibility.screen.screener import CompiledTrial, Screener, outcome

FETCH = 2048


@dataclass(frozen=True)
class RunStyle:
    """What to screen and how to write it (the summary format's options)."""

    as_of: date | None = None
    fallback: date | None = None
    trial_ids: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    pretty: bool = False
    batch: int = DEFAULT_BATCH


def ordered(batch: Batch, with_source: bool, outcomes_only: bool = False) -> exp.Select:
    """The batch query in load order, with each patient's stored record when ``with_source``; with
    ``outcomes_only``, only the clause outcomes and verdicts the summary needs (the engine then skips the rest)."""
    inner = exp.column
    if outcomes_only:
        names = [f"c{k}_outcome" for k in range(batch.clause_count)] + [f"v{g.verdict}" for g in batch.groups]
        columns = [inner("patient_id", table="q"), *(inner(name, table="q") for name in names)]
    else:
        columns = [exp.Column(this=exp.Star(), table=exp.to_identifier("q"))]
    columns += [inner("source", table="p")] if with_source else []
    return (
        exp.select(*columns, copy=False)
        .from_(exp.alias_(exp.Subquery(this=batch.query), "q", table=True), copy=False)
        .join(
            exp.alias_(exp.to_table("patients"), "p", table=True),
            on=exp.EQ(this=exp.column("patient_id", table="q"), expression=exp.column("patient_id", table="p")),
            copy=False,
        )
        .order_by(exp.column("seq", table="p"), copy=False)
    )


class DuckDBRunner:
    """Runs batch queries on a DuckDB connection over a record store."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def rows(self, select: exp.Select) -> Iterator[dict]:
        """The query's rows as dicts, streamed."""
        cursor = self.connection.cursor()
        cursor.execute(select.sql(dialect="duckdb"))
        names = [d[0] for d in cursor.description]
        while chunk := cursor.fetchmany(FETCH):
            yield from (dict(zip(names, row, strict=True)) for row in chunk)


def screen_store(runner, screener: Screener, style: RunStyle) -> Iterator[str]:
    """One summary JSON line (or pretty document) per stored patient, in load order."""
    batches = list(plan_batches(screener, style.as_of, style.fallback, style.trial_ids, style.batch))
    streams = [runner.rows(ordered(b, with_source=i == 0, outcomes_only=True)) for i, b in enumerate(batches)]
    for rows in zip(*streams, strict=True):
        yield write_patient(screener, batches, rows, style)


def write_patient(screener: Screener, batches: list[Batch], rows: Iterable[dict], style: RunStyle) -> str:
    """One patient's summary from the engine's rows (one per batch): verdicts and review ids straight from the
    engine; the in-process explainer words only the failing and unknown clauses (see :class:`Wording`)."""
    rows = list(rows)
    patient = Patient.model_validate_json(rows[0]["source"])
    on = screener.reference_date(patient, style.as_of, style.fallback)
    index = index_patient(patient, screener.vocabulary, on)
    wording = Wording(screener, index)
    results = []
    for batch, row in zip(batches, rows, strict=True):
        for group in batch.groups:
            verdict = row[f"v{group.verdict}"]
            if style.only and verdict not in style.only:
                continue
            outcomes = [row[f"c{k}_outcome"] for k in group.clauses]
            results.append(wording.brief(group, verdict, outcomes))
    document = {"patient": patient.id, "as_of": on.isoformat(), "warnings": list(index.warnings), "results": results}
    return json_line(document, style.pretty)


class Wording:
    """One patient's summary entries from the engine's clause outcomes, worded by the in-process explainer.

    Only the clauses the engine found failing or unknown are evaluated in process (their findings carry the
    evidence the explainer words), each once per patient however many trials share it; every such clause's
    in-process outcome must be the engine's.
    """

    def __init__(self, screener: Screener, index: PatientIndex) -> None:
        self.screener, self.index = screener, index
        vocabulary = screener.vocabulary
        self.shared = EvaluationContext(index.as_of, vocabulary, screener.lab_recency, screener.site_ranges, memo={})
        self.words: dict[tuple[int, int, str], Any] = {}  # (plan, trial context, outcome): explanation or missing

    def brief(self, group: GroupColumns, verdict: str, outcomes: list[str]) -> dict:
        """The summary entry of one trial result (as :func:`~eligibility.output.report.brief_trial_json`)."""
        blocking: list[dict] = []
        missing: dict[str, None] = {}
        if "fail" in outcomes or "unknown" in outcomes:
            context = self._context(group.compiled)
            for member, found in zip(group.members, outcomes, strict=True):
                if found == "fail":
                    clause = group.compiled.trial.clauses[member]
                    blocking.append({"id": clause.id, "explanation": self._word(group, member, found, context)})
                elif found == "unknown":
                    missing.update(dict.fromkeys(self._word(group, member, found, context)))
        review = [cid for cid, o in zip(group.clause_ids, outcomes, strict=True) if o == "review"]
        return {
            "trial": group.label,
            "verdict": verdict,
            "blocking": blocking,
            "missing": list(missing),
            "needs_review": review,
        }

    def _context(self, compiled: CompiledTrial) -> EvaluationContext:
        if not compiled.own_context:
            return self.shared
        recency = compiled.lab_recency or self.screener.lab_recency
        return EvaluationContext(self.index.as_of, self.screener.vocabulary, recency, compiled.reference_ranges)

    def _word(self, group: GroupColumns, member: int, expected: str, context: EvaluationContext):
        """The explanation (failing) or the missing data (unknown) of one clause, checked against the engine."""
        compiled = group.compiled
        plan, clause = compiled.plans[member], compiled.trial.clauses[member]
        key = (id(plan), 0 if context is self.shared else id(compiled), expected)
        if key in self.words:
            return self.words[key]
        finding = evaluate(plan, self.index, context)
        found = outcome(clause, finding, compiled.may_need_review[member])
        if found != expected:
            raise EligibilityError(
                f"the SQL engine and the in-process evaluator disagree on {group.label} {clause.id} for patient "
                f"{self.index.id}: {expected} vs {found}",
                hint="please report this with the patient and the rule file",
            )
        words = self.words[key] = explain.explain(finding) if found == "fail" else explain.missing(finding)
        return words
