"""Cohort screening of the ClinicalTrials.gov corpus on DuckDB: pairs/s, peak memory, and how time grows with
patients and trials, measured in one run.

    python benchmarks/cohort_corpus.py [--corpus PATH] [--patients 10000,30000,100000] [--trials 100,500,1513]
                                       [--batch B] [--store FILE] [--seed K] [--jobs J]

The corpus is imported as trials (as in ``benchmarks/screen_corpus.py``); synthetic patients are loaded into a
DuckDB record store (``--store``: reused when it holds the same patients). Every cell of the grid (the first P
patients × the first T trials) runs in a fresh process on 2 DuckDB threads: the trials' batch queries (B trials
per query) with every verdict materialised; it reports seconds (building the queries with sqlglot and DuckDB's
planning included; wall, and CPU seconds of every thread), pairs/s and the process's peak memory, and the table
gives each cell's time as a ratio to the smallest cell.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

import duckdb
from cohort_store import AS_OF, build_store, cpu_seconds, peak_mib

from eligibility.cohort.plan import plan_batches
from eligibility.registry.bulk import draft_many
from eligibility.screen.batch import ScreenSetup

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ctgov_criteria.jsonl"
TABLES = ("observations", "conditions", "medications", "procedures", "immunizations", "events", "negations")


def subset(store: Path, patients: int) -> duckdb.DuckDBPyConnection:
    """An in-memory store holding the first ``patients`` patients of ``store``."""
    connection = duckdb.connect(":memory:")
    connection.execute("SET enable_progress_bar = false")
    connection.execute(f"ATTACH '{store}' AS s (READ_ONLY)")
    connection.execute(f"CREATE TABLE patients AS SELECT * FROM s.patients WHERE seq < {patients}")
    for name in (*TABLES, "completeness"):
        connection.execute(f"CREATE TABLE {name} AS SELECT x.* FROM s.{name} x SEMI JOIN patients USING (patient_id)")
    connection.execute("CREATE TABLE concept_ancestors AS SELECT * FROM s.concept_ancestors")
    connection.execute("DETACH s")
    return connection


def cell(rules: str, store: str, patients: int, trials: int, batch: int, results: dict) -> None:
    """Child process: screen the first ``patients`` × the first ``trials`` trials; time, pairs, peak memory."""
    screener = ScreenSetup((Path(rules),)).build()
    chosen = [c.trial.id for c in screener.compiled[:trials]]
    connection = subset(Path(store), patients)
    connection.execute("SET threads TO 2")
    start, cpu, pairs, clauses = time.perf_counter(), cpu_seconds(), 0, 0
    for number, planned in enumerate(plan_batches(screener, None, AS_OF, chosen, batch)):
        columns = ", ".join(f"v{g.verdict}" for g in planned.groups)
        connection.execute(f"CREATE TEMP TABLE v{number} AS SELECT patient_id, {columns} FROM ({planned.sql()})")
        pairs += patients * len(planned.groups)
        clauses += planned.clause_count
        connection.execute(f"DROP TABLE v{number}")
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    results.update(seconds=seconds, cpu=cpu, pairs=pairs, clauses=clauses, peak=peak_mib())


def run_cell(rules: Path, store: Path, patients: int, trials: int, batch: int) -> dict:
    context = get_context("spawn")
    with context.Manager() as manager:
        results = manager.dict()
        child = context.Process(target=cell, args=(str(rules), str(store), patients, trials, batch, results))
        child.start()
        child.join()
        return dict(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    parser.add_argument("--patients", default="10000,30000,100000", help="patient counts (comma-separated)")
    parser.add_argument("--trials", default="100,500,1513", help="trial counts (comma-separated)")
    parser.add_argument("--batch", type=int, default=25, help="trials per query")
    parser.add_argument("--store", type=Path, help="record store file to build or reuse")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes loading the store")
    args = parser.parse_args()
    patient_sizes = [int(n) for n in args.patients.split(",")]
    trial_sizes = [int(n) for n in args.trials.split(",")]

    with tempfile.TemporaryDirectory() as folder:
        rules = Path(folder) / "trials"
        summary = draft_many(args.corpus, rules)
        print(f"corpus: {args.corpus.name}: {summary}", flush=True)
        store = args.store or Path(folder) / "store.duckdb"
        build_store(store, max(patient_sizes), args.seed, args.jobs, at_least=True)
        grid = {}
        for t in trial_sizes:
            for p in patient_sizes:
                grid[(p, t)] = found = run_cell(rules, store, p, t, args.batch)
                rate = found["pairs"] / found["seconds"]
                figures = f"{found['seconds']:.0f} s ({found['cpu']:.0f} CPU s), {rate:,.0f} pairs/s"
                print(f"{p:,} patients × {t:,} trials: {figures}", flush=True)
    base = grid[(patient_sizes[0], trial_sizes[0])]["seconds"]
    print(f"\nDuckDB, 2 threads, {args.batch} trials per query: seconds (ratio to the smallest cell)")
    print("| trials \\ patients | " + " | ".join(f"{p:,}" for p in patient_sizes) + " |")
    print("|---" * (len(patient_sizes) + 1) + "|")
    for t in trial_sizes:
        cells = [f"{grid[(p, t)]['seconds']:.0f} s ({grid[(p, t)]['seconds'] / base:.1f}×)" for p in patient_sizes]
        print(f"| {t:,} | " + " | ".join(cells) + " |")
    print("\n| patients × trials | clauses | pairs/s | pairs per CPU s | peak memory |\n|---|---|---|---|---|")
    for (p, t), found in grid.items():
        rate, cpu_rate = found["pairs"] / found["seconds"], found["pairs"] / found["cpu"]
        print(f"| {p:,} × {t:,} | {found['clauses']:,} | {rate:,.0f} | {cpu_rate:,.0f} | {found['peak']:,.0f} MiB |")


if __name__ == "__main__":
    main()
