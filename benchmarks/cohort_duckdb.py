"""Cohort screening on DuckDB against its floors, measured in one run.

    python benchmarks/cohort_duckdb.py [--patients N] [--sample S] [--seed K] [--spark M]

Synthetic patients (``eligibility.patient.synth``) are loaded into an in-memory record store, then:
- scan floor: DuckDB reading every stored record once (an aggregate over every column of every table);
- DuckDB screening: every clause of the bundled trials for every patient, materialised (met, reason, outcome
  per clause, verdict per trial/cohort);
- in-process summary rate: ``--format summary`` written for a sample of the same patients on one core;
- with ``--spark M``: the same query on Spark local mode over the first M patients, start-up timed apart.
Figures are printed as ratios measured in this run.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date

import duckdb

from eligibility.cohort.plan import plan_batches
from eligibility.cohort.store import SCHEMA, StoreWriter
from eligibility.output.write import ReportStyle, screen_and_write
from eligibility.patient.contract import Patient
from eligibility.patient.synth import Synthesizer
from eligibility.resources import bundled_rules_dir
from eligibility.screen.batch import ScreenSetup

AS_OF = date(2026, 11, 1)


def timed(work):
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def scan_floor(connection) -> float:
    """Seconds DuckDB takes to read every column of every stored table once."""
    parts = []
    for name in SCHEMA:
        columns = [c.split()[0] for c in SCHEMA[name].split(",")]
        reads = ", ".join(f"COUNT({c})" for c in (c.strip() for c in columns))
        parts.append(f"SELECT {reads} FROM {name}")
    seconds, _ = timed(lambda: [connection.execute(p).fetchall() for p in parts])
    return seconds


def screen_duckdb(connection, screener) -> tuple[float, int, dict]:
    """Seconds to screen every stored patient against every trial, pairs screened, and verdict counts."""
    batches = list(plan_batches(screener, None, AS_OF))

    def run():
        counts: dict[str, int] = {}
        for number, batch in enumerate(batches):
            connection.execute(f"CREATE OR REPLACE TEMP TABLE results{number} AS {batch.sql()}")
            for group in batch.groups:
                query = f"SELECT v{group.verdict}, COUNT(*) FROM results{number} GROUP BY 1"
                for verdict, count in connection.execute(query).fetchall():
                    counts[verdict] = counts.get(verdict, 0) + count
        return counts

    seconds, counts = timed(run)
    return seconds, sum(counts.values()), counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--sample", type=int, default=300, help="patients screened in process for the rate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spark", type=int, default=0, help="also run Spark local mode on this many patients")
    args = parser.parse_args()

    screener = ScreenSetup((bundled_rules_dir(),)).build()
    people = [Patient.model_validate(p) for p in Synthesizer(args.seed, AS_OF).patients(args.patients)]
    writer = StoreWriter(screener.vocabulary)
    connection = duckdb.connect(":memory:")
    load_s, _ = timed(lambda: ([writer.add(p) for p in people], writer.write(None, connection=connection)))  # type: ignore[arg-type]
    connection.execute("SET threads TO 2")
    floor_s = min(scan_floor(connection) for _ in range(3))
    screen_s, pairs, counts = screen_duckdb(connection, screener)

    sample = people[: args.sample]
    style = ReportStyle("summary", fallback=AS_OF)
    inproc_s, texts = timed(lambda: [screen_and_write(screener, p, style) for p in sample])
    inproc_pairs = sum(len(json.loads(t)["results"]) for t in texts)
    inproc_rate, duck_rate = inproc_pairs / inproc_s, pairs / screen_s

    print(f"patients: {args.patients:,}; trials: {len(screener.trials)}; patient-trial pairs: {pairs:,}")
    print(f"verdicts: {counts}")
    print("| what | figure |\n|---|---|")
    print(f"| load (index + write store) | {load_s:.1f} s ({args.patients / load_s:,.0f} patients/s) |")
    print(f"| DuckDB scan floor (every column of every table once) | {floor_s:.3f} s |")
    print(f"| DuckDB screening, every clause materialised | {screen_s:.2f} s ({duck_rate:,.0f} pairs/s) |")
    print(f"| screening / scan floor | {screen_s / floor_s:.1f}× |")
    print(f"| in-process summary, one core ({len(sample)} patients) | {inproc_rate:,.0f} pairs/s |")
    print(f"| DuckDB pairs/s / in-process summary pairs/s | {duck_rate / inproc_rate:.1f}× |")
    if args.spark:
        spark_figures(connection, screener, args.spark)


def spark_figures(connection, screener, patients: int) -> None:
    """Spark local mode: start-up, and the same query over the first ``patients`` patients."""
    from eligibility.cohort.run import ordered
    from eligibility.cohort.spark import SparkRunner, spark_session

    connection.execute(f"CREATE OR REPLACE TABLE patients AS SELECT * FROM patients WHERE seq < {patients}")
    start_s, session = timed(lambda: spark_session("local[2]"))
    runner = SparkRunner.from_duckdb(connection, session=session)
    batch = next(plan_batches(screener, None, AS_OF))
    spark_s, rows = timed(lambda: list(runner.rows(ordered(batch, with_source=False))))
    duck_rows = connection.execute(ordered(batch, with_source=False).sql(dialect="duckdb")).fetchall()
    agree = [tuple(r.values()) for r in rows] == duck_rows
    print(f"| Spark local[2] start-up | {start_s:.1f} s |")
    print(f"| Spark query, {patients:,} patients × {len(screener.trials)} trials | {spark_s:.1f} s; agrees: {agree} |")


if __name__ == "__main__":
    main()
