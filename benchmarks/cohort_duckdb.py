"""Cohort screening on DuckDB against its floors, measured in one run; optionally Spark local mode.

    python benchmarks/cohort_duckdb.py [--patients N] [--copies C] [--store FILE] [--sample S] [--seed K]
                                       [--jobs J] [--spark M]

Synthetic patients (``eligibility.patient.synth``) are loaded into a DuckDB record store file (``--store``:
reused when it already holds the same patients); with ``--copies C`` the store is then replicated C times under
new patient ids (N × C patients; loading a million patients through Python takes over an hour on 2 shared
cores). Then, in a fresh process on 2 DuckDB threads:
- scan floor: DuckDB reading every column of every stored table once (MIN of each column);
- verdicts: the bundled trials' batch query (every clause of every trial and cohort decided) with each
  patient-trial verdict materialised;
- every clause: the same query with each clause's met, reason and outcome and every verdict, written to Parquet;
- peak memory (RSS) of that process;
then the in-process ``--format summary`` rate on the first S patients (one core). With ``--spark M``: the
same batch query on Spark local mode over the first M patients, start-up and export timed apart, its rows
compared with DuckDB's (every clause's met, reason, outcome and every verdict).
Figures are printed as ratios measured in this run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

import duckdb
from cohort_store import AS_OF, build_store, cpu_seconds, floor_cpu, peak_mib, replicate_store, scan_floor

from eligibility.cohort.plan import Batch, plan_batches
from eligibility.output.write import ReportStyle, screen_and_write
from eligibility.patient.contract import Patient
from eligibility.patient.synth import Synthesizer
from eligibility.resources import bundled_rules_dir
from eligibility.screen.batch import ScreenSetup


def timed(work):
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def cpu_timed(results: dict, name: str, work) -> None:
    """Run ``work``: its wall seconds in ``results[name]``, its CPU seconds (all threads) in ``name_cpu``."""
    start = cpu_seconds()
    results[name], _ = timed(work)
    results[f"{name}_cpu"] = cpu_seconds() - start


def the_batch(screener) -> Batch:
    """Every bundled trial in one batch query."""
    return next(plan_batches(screener, None, AS_OF, size=len(screener.compiled)))


def verdicts_sql(batch: Batch, sql: str) -> str:
    """The batch query keeping only the verdicts (DuckDB still decides every clause a verdict needs)."""
    columns = ", ".join(f"v{g.verdict}" for g in batch.groups)
    return f"SELECT patient_id, {columns} FROM ({sql})"


def screen_in_child(store: str, results: dict) -> None:
    """Child process: floor, verdicts, every clause, own peak memory (into ``results``)."""
    screener = ScreenSetup((bundled_rules_dir(),)).build()
    results["build"], batch = timed(lambda: the_batch(screener))
    results["sql"], sql = timed(batch.sql)
    connection = duckdb.connect(store, read_only=True)
    connection.execute("SET threads TO 2")
    connection.execute("SET enable_progress_bar = false")
    results["floor"], results["count_floor"] = scan_floor(connection), scan_floor(connection, "COUNT")
    results["floor_cpu"] = floor_cpu(connection)
    cpu_timed(results, "plan", lambda: connection.execute(f"PREPARE planned AS {sql}"))
    cpu_timed(results, "verdicts", lambda: connection.execute(f"CREATE TEMP TABLE v AS {verdicts_sql(batch, sql)}"))
    counts = connection.execute(
        "SELECT verdict, COUNT(*) FROM (UNPIVOT v ON COLUMNS(* EXCLUDE patient_id) INTO NAME g VALUE verdict) "
        "GROUP BY ALL"
    ).fetchall()
    results["counts"] = dict(counts)
    results["pairs"] = sum(results["counts"].values())
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "clauses.parquet"
        cpu_timed(results, "clauses", lambda: connection.execute(f"COPY ({sql}) TO '{target}'"))
    results["clause_count"], results["trials"] = batch.clause_count, len(screener.trials)
    results["peak"] = peak_mib()


def in_process_rate(patients: int, seed: int) -> tuple[float, float, int]:
    """Summary pairs per second (wall) and per CPU second on one core over the first ``patients`` patients,
    and the pairs."""
    screener = ScreenSetup((bundled_rules_dir(),)).build()
    people = [Patient.model_validate(p) for p in Synthesizer(seed, AS_OF).patients(patients)]
    style = ReportStyle("summary", fallback=AS_OF)
    start = time.process_time()
    seconds, texts = timed(lambda: [screen_and_write(screener, p, style) for p in people])
    cpu = time.process_time() - start
    pairs = sum(len(json.loads(t)["results"]) for t in texts)
    return pairs / seconds, pairs / cpu, pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--copies", type=int, default=1, help="replicate the store this many times")
    parser.add_argument("--store", type=Path, help="record store file to build or reuse (default: a temporary one)")
    parser.add_argument("--sample", type=int, default=300, help="patients screened in process for the rate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes loading the store")
    parser.add_argument("--spark", type=int, default=0, help="also run Spark local mode on this many patients")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        store = args.store or Path(folder) / "store.duckdb"
        load_s = build_store(store, args.patients, args.seed, args.jobs)
        if args.copies > 1:
            copied = store.with_suffix(f".x{args.copies}.duckdb")
            copy_s = replicate_store(store, copied, args.copies)
            if copy_s is not None:
                print(f"store replicated {args.copies}× in {copy_s:.0f} s")
            store = copied
        with get_context("spawn").Manager() as manager:
            results = manager.dict()
            child = get_context("spawn").Process(target=screen_in_child, args=(str(store), results))
            child.start()
            child.join()
            found = dict(results)
        rate, cpu_rate, sample_pairs = in_process_rate(args.sample, args.seed)
        report(args, load_s, found, (rate, cpu_rate), sample_pairs)
        if args.spark:
            spark_figures(store, args.spark)


def report(args, load_s: float | None, found: dict, rates: tuple[float, float], sample_pairs: int) -> None:
    (rate, cpu_rate), pairs, floor = rates, found["pairs"], found["floor"]
    verdicts_rate, clauses_rate = pairs / found["verdicts"], pairs / found["clauses"]
    trials = f"{found['trials']} ({found['clause_count']} clauses, one query)"
    print(f"patients: {args.patients * args.copies:,}; trials: {trials}")
    print(f"patient-trial pairs: {pairs:,}; verdicts: {found['counts']}")
    print("| what | figure |\n|---|---|")
    if load_s is not None:
        print(f"| load (synthesise, index, write store; {args.jobs} processes) | {load_s:,.0f} s |")
    print(f"| DuckDB scan floor: MIN of every column of every table | {floor:.2f} s |")
    print(f"| (COUNT of every column, answered partly from metadata) | {found['count_floor']:.2f} s |")
    print(
        f"| the batch query: built (sqlglot) {found['build']:.1f} s, rendered {found['sql']:.1f} s, "
        f"parsed and planned by DuckDB {found['plan']:.1f} s, {found['plan_cpu']:.1f} CPU s (included below) |"
    )
    print(f"| DuckDB scan floor, CPU seconds (both threads) | {found['floor_cpu']:.2f} s |")
    print(f"| DuckDB verdicts (every clause decided) | {found['verdicts']:.1f} s ({verdicts_rate:,.0f} pairs/s) |")
    print(f"| verdicts / scan floor | {found['verdicts'] / floor:.1f}× |")
    verdicts_cpu = found["verdicts_cpu"]
    print(
        f"| verdicts, CPU seconds (ratio to the scan floor's CPU seconds) | {verdicts_cpu:.1f} s "
        f"({verdicts_cpu / found['floor_cpu']:.1f}×) |"
    )
    every = f"{found['clauses']:.1f} s ({clauses_rate:,.0f} pairs/s)"
    print(f"| DuckDB every clause's met, reason, outcome to Parquet | {every} |")
    print(f"| every clause / scan floor | {found['clauses'] / floor:.1f}× |")
    print(f"| every clause, CPU seconds / scan floor CPU seconds | {found['clauses_cpu'] / found['floor_cpu']:.1f}× |")
    print(f"| peak memory of the screening process | {found['peak']:,.0f} MiB |")
    print(f"| in-process summary, one core ({args.sample} patients, {sample_pairs} pairs) | {rate:,.0f} pairs/s |")
    print(f"| DuckDB verdicts pairs/s / in-process summary pairs/s | {verdicts_rate / rate:.0f}× |")
    print(f"| DuckDB every clause pairs/s / in-process summary pairs/s | {clauses_rate / rate:.0f}× |")
    cpu_pairs = pairs / found["verdicts_cpu"]
    print(
        f"| pairs per CPU second: DuckDB verdicts {cpu_pairs:,.0f}, in process {cpu_rate:,.0f} | "
        f"{cpu_pairs / cpu_rate:.0f}× |"
    )


def spark_figures(store: Path, patients: int) -> None:
    """Spark local mode on the first ``patients`` patients: start-up, export, query; rows compared with DuckDB."""
    from eligibility.cohort.spark import SparkRunner, spark_session

    screener = ScreenSetup((bundled_rules_dir(),)).build()
    batch = the_batch(screener)
    connection = duckdb.connect(":memory:")
    connection.execute(f"ATTACH '{store}' AS s (READ_ONLY)")
    connection.execute(f"CREATE TABLE patients AS SELECT * FROM s.patients WHERE seq < {patients}")
    for name in ("observations", "conditions", "medications", "procedures", "immunizations", "events"):
        connection.execute(f"CREATE TABLE {name} AS SELECT x.* FROM s.{name} x SEMI JOIN patients USING (patient_id)")
    for name in ("negations", "completeness"):
        connection.execute(f"CREATE TABLE {name} AS SELECT x.* FROM s.{name} x SEMI JOIN patients USING (patient_id)")
    connection.execute("CREATE TABLE concept_ancestors AS SELECT * FROM s.concept_ancestors")
    connection.execute("SET threads TO 2")
    connection.execute("SET enable_progress_bar = false")
    with tempfile.TemporaryDirectory() as folder:
        duck_s, _ = timed(lambda: connection.execute(f"COPY ({batch.sql()}) TO '{folder}/duck.parquet'"))
        start_s, session = timed(lambda: spark_session("local[2]"))
        export_s, runner = timed(lambda: SparkRunner.from_duckdb(connection, session=session))
        spark_s, _ = timed(lambda: session.sql(runner.sql(batch.query)).write.parquet(f"{folder}/spark.parquet"))
        differ = connection.execute(
            f"SELECT COUNT(*) FROM ((SELECT * FROM '{folder}/duck.parquet' EXCEPT ALL "
            f"SELECT * FROM '{folder}/spark.parquet/*.parquet') UNION ALL (SELECT * FROM "
            f"'{folder}/spark.parquet/*.parquet' EXCEPT ALL SELECT * FROM '{folder}/duck.parquet'))"
        ).fetchone()[0]
        rows = connection.execute(f"SELECT COUNT(*) FROM '{folder}/spark.parquet/*.parquet'").fetchone()[0]
        session.stop()
    print(f"| Spark local[2] start-up | {start_s:.1f} s |")
    print(f"| Spark: export the store's tables to Parquet and register them | {export_s:.1f} s |")
    print(
        f"| Spark query, {patients:,} patients × {len(screener.trials)} trials, every clause to Parquet | "
        f"{spark_s:.1f} s (DuckDB: {duck_s:.1f} s) |"
    )
    print(f"| Spark rows differing from DuckDB's (of {rows:,}) | {differ} |")


if __name__ == "__main__":
    main()
