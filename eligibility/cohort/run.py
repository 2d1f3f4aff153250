"""Screening a record store on a SQL engine and writing the ``summary`` JSON Lines of the in-process path.

The engine decides every clause and verdict; the wording of the pairs that are written out with something to
explain (a blocking clause, missing data) comes from the in-process explainer, run for those pairs only, and
must agree with the engine's verdict.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from sqlglot import exp

from eligibility.cohort.plan import DEFAULT_BATCH, Batch, GroupColumns, plan_batches
from eligibility.errors import EligibilityError
from eligibility.output.report import brief_trial_json
from eligibility.patient.contract import Patient
from eligibility.patient.index import index_patient
from eligibility.screen.screener import Screener

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


def ordered(batch: Batch, with_source: bool) -> exp.Select:
    """The batch query in load order, with each patient's stored record when ``with_source``."""
    columns = [exp.Column(this=exp.Star(), table=exp.to_identifier("q"))] + (
        [exp.column("source", table="p")] if with_source else []
    )
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
    streams = [runner.rows(ordered(b, with_source=i == 0)) for i, b in enumerate(batches)]
    for rows in zip(*streams, strict=True):
        yield write_patient(screener, batches, rows, style)


def write_patient(screener: Screener, batches: list[Batch], rows: Iterable[dict], style: RunStyle) -> str:
    """One patient's summary from the engine's rows (one per batch), worded by the in-process explainer."""
    rows = list(rows)
    patient = Patient.model_validate_json(rows[0]["source"])
    on = screener.reference_date(patient, style.as_of, style.fallback)
    index = index_patient(patient, screener.vocabulary, on)
    seen: dict = {}  # wording by finding identity: the findings stay alive in ``explained`` for the patient
    explained: dict[str, dict] = {}
    results = []
    for batch, row in zip(batches, rows, strict=True):
        for group in batch.groups:
            verdict = row[f"v{group.verdict}"]
            if style.only and verdict not in style.only:
                continue
            outcomes = [row[f"c{k}_outcome"] for k in group.clauses]
            if "fail" in outcomes or "unknown" in outcomes:
                results.append(_explained(screener, group, index, verdict, explained, seen))
                continue
            review = [cid for cid, o in zip(group.clause_ids, outcomes, strict=True) if o == "review"]
            results.append(
                {"trial": group.label, "verdict": verdict, "blocking": [], "missing": [], "needs_review": review}
            )
    document = {"patient": patient.id, "as_of": on.isoformat(), "warnings": list(index.warnings), "results": results}
    return json.dumps(document, ensure_ascii=False, indent=2 if style.pretty else None) + "\n"


def _explained(screener: Screener, group: GroupColumns, index, verdict: str, cache: dict, seen: dict) -> dict:
    """The in-process brief of one pair (its trial screened once per patient), checked against the engine."""
    key = group.compiled.trial.id
    if key not in cache:
        cache[key] = {r.label: r for r in screener.screen_trial(group.compiled, index)}
    result = cache[key][group.label]
    if result.verdict != verdict:
        raise EligibilityError(
            f"the SQL engine and the in-process evaluator disagree on {group.label} for patient {index.id}: "
            f"{verdict} vs {result.verdict}",
            hint="please report this with the patient and the rule file",
        )
    return brief_trial_json(result, seen)
