"""Spark local mode against DuckDB on the same records, measured in one run.

    python benchmarks/cohort_spark.py [--patients N [N …]] [--store FILE] [--seed K] [--jobs J] [--master M]

Synthetic patients (``eligibility.patient.synth``) are loaded once into a DuckDB record store file (``--store``:
reused when it holds at least the largest N patients of the seed; see ``cohort_store.py``). For each N, in
increasing order, the first N patients' tables are copied into an in-memory DuckDB store; then
- DuckDB (2 threads) runs the bundled trials' batch query (every clause's met, reason, outcome and every verdict)
  into Parquet;
- Spark (one session for every N, started once: start-up is timed apart) gets the same tables as Parquet
  written by DuckDB (cached once), runs the same query transpiled by sqlglot into Parquet, also timed apart:
  parsing and planning, then execution;
- the two outputs are compared row for row in DuckDB (EXCEPT ALL both ways over every column).
Figures are printed as ratios to DuckDB in the same run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
from cohort_store import AS_OF, build_store

from eligibility.cohort.plan import plan_batches
from eligibility.cohort.store import SCHEMA
from eligibility.resources import bundled_rules_dir
from eligibility.screen.batch import ScreenSetup


def timed(work):
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def subset(store: Path, patients: int):
    """An in-memory DuckDB store holding the first ``patients`` patients of ``store``."""
    connection = duckdb.connect(":memory:")
    connection.execute("SET threads TO 2")
    connection.execute("SET enable_progress_bar = false")
    connection.execute(f"ATTACH '{store}' AS s (READ_ONLY)")
    connection.execute(f"CREATE TABLE patients AS SELECT * FROM s.patients WHERE seq < {patients} ORDER BY seq")
    for name in SCHEMA:
        if name == "patients":
            continue
        if name == "concept_ancestors":
            connection.execute(f"CREATE TABLE {name} AS SELECT * FROM s.{name}")
            continue
        connection.execute(f"CREATE TABLE {name} AS SELECT x.* FROM s.{name} x SEMI JOIN patients USING (patient_id)")
    connection.execute("DETACH s")
    return connection


def differing(connection, left: str, right: str) -> tuple[int, int]:
    """(rows in one output and not the other, either way; rows of ``right``)."""
    (differ,) = connection.execute(
        f"SELECT COUNT(*) FROM ((SELECT * FROM {left} EXCEPT ALL SELECT * FROM {right}) "
        f"UNION ALL (SELECT * FROM {right} EXCEPT ALL SELECT * FROM {left}))"
    ).fetchone()
    (rows,) = connection.execute(f"SELECT COUNT(*) FROM {right}").fetchone()
    return differ, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, nargs="+", default=[2_000, 100_000])
    parser.add_argument("--store", type=Path, help="record store file to build or reuse (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes loading the store")
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()

    from eligibility.cohort.spark import SparkRunner, spark_session

    sizes = sorted(args.patients)
    with tempfile.TemporaryDirectory() as folder:
        store = args.store or Path(folder) / "store.duckdb"
        load_s = build_store(store, sizes[-1], args.seed, args.jobs, at_least=True)
        if load_s is not None:
            print(f"store of {sizes[-1]:,} patients loaded in {load_s:.0f} s")
        screener = ScreenSetup((bundled_rules_dir(),)).build()
        batch = next(plan_batches(screener, None, AS_OF, size=len(screener.compiled)))
        start_s, session = timed(lambda: spark_session(args.master))
        print(f"trials: {len(screener.trials)} ({batch.clause_count} clauses, one query); Spark {args.master}")
        print(f"Spark start-up (JVM and session, once): {start_s:.1f} s")
        print(
            "| patients | DuckDB query | Spark: export + cache | Spark: parse + plan | Spark: run | Spark / DuckDB "
            "(plan + run) | rows differing |"
        )
        print("|---|---|---|---|---|---|---|")
        for size in sizes:
            one_size(session, SparkRunner, batch, store, size, Path(folder) / str(size))
        session.stop()


def planned(frame):
    """The DataFrame once Spark has optimised it and chosen its physical plan (timed apart from running it)."""
    frame._jdf.queryExecution().executedPlan()
    return frame


def one_size(session, runner_class, batch, store: Path, size: int, folder: Path) -> None:
    """One population size on both engines; prints a table row."""
    connection = subset(store, size)
    folder.mkdir()
    duck_s, _ = timed(lambda: connection.execute(f"COPY ({batch.sql()}) TO '{folder}/duck.parquet'"))
    print(f"  {size:,} patients: DuckDB query {duck_s:.1f} s", flush=True)
    export_s, runner = timed(lambda: runner_class.from_duckdb(connection, session=session))
    plan_s, frame = timed(lambda: planned(runner.frame(batch.query)))
    print(f"  Spark export {export_s:.1f} s, parse and plan {plan_s:.1f} s", flush=True)
    run_s, _ = timed(lambda: frame.write.parquet(f"{folder}/spark.parquet"))
    differ, rows = differing(connection, f"'{folder}/duck.parquet'", f"'{folder}/spark.parquet/*.parquet'")
    runner.close()
    connection.close()
    ratio = (plan_s + run_s) / duck_s
    print(
        f"| {size:,} | {duck_s:.1f} s | {export_s:.1f} s | {plan_s:.1f} s | {run_s:.1f} s | {ratio:.1f}× | "
        f"{differ} of {rows:,} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
