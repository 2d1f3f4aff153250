"""Shared by the cohort benchmarks: a record store of synthetic patients built once (in worker processes) and
reused, DuckDB's scan floor over it, and a process's peak memory.

A store file records how many patients of which seed it holds (table ``bench_meta``); a benchmark given the same
``--store`` path, seed and count reuses it instead of loading again.
"""

from __future__ import annotations

import resource
import time
from datetime import date
from multiprocessing import get_context
from pathlib import Path

import duckdb

from eligibility.cohort.store import NO_REFERENCE_DATE, SCHEMA, StoreWriter, patient_rows
from eligibility.patient.contract import Patient
from eligibility.patient.index import index_patient
from eligibility.patient.synth import Synthesizer
from eligibility.vocab.vocabulary import default_vocabulary

AS_OF = date(2026, 11, 1)
CHUNK = 500


def _rows(task: tuple[int, int, int]) -> list[dict]:
    """The store rows of synthetic patients ``start`` … ``stop - 1`` of ``seed`` (in a worker process)."""
    seed, start, stop = task
    synth, vocabulary = Synthesizer(seed, AS_OF), default_vocabulary()
    made = []
    for number in range(start, stop):
        patient = Patient.model_validate(synth.patient(number))
        made.append(patient_rows(index_patient(patient, vocabulary, NO_REFERENCE_DATE), number))
    return made


def _holds(path: Path, patients: int, seed: int, at_least: bool = False) -> bool:
    if not path.exists():
        return False
    with duckdb.connect(str(path), read_only=True) as con:
        try:
            held, held_seed = con.execute("SELECT patients, seed FROM bench_meta").fetchone()
        except duckdb.Error:
            return False
    return held_seed == seed and (held >= patients if at_least else held == patients)


def build_store(path: Path, patients: int, seed: int, jobs: int, at_least: bool = False) -> float | None:
    """Make ``path`` hold synthetic patients 0 … ``patients - 1`` of ``seed`` (``at_least``: or more); returns
    the seconds loading took (synthesis, validation, indexing and writing), or None when it already held them."""
    if _holds(path, patients, seed, at_least):
        return None
    start = time.perf_counter()
    writer = StoreWriter(default_vocabulary())
    tasks = [(seed, low, min(low + CHUNK, patients)) for low in range(0, patients, CHUNK)]
    with get_context("fork").Pool(jobs) as pool:
        for chunk in pool.imap(_rows, tasks):
            for rows in chunk:
                writer.add_rows(rows)
    writer.write(path)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE bench_meta AS SELECT ? AS patients, ? AS seed", [patients, seed])
    return time.perf_counter() - start


def replicate_store(base: Path, path: Path, times: int) -> float | None:
    """Make ``path`` hold ``times`` copies of the store ``base`` under new patient ids (``<id>~<copy>``, load
    order kept within each copy): a large population without loading each patient through Python. Returns the
    seconds it took, or None when ``path`` already held them."""
    with duckdb.connect(str(base), read_only=True) as con:
        patients, seed = con.execute("SELECT patients, seed FROM bench_meta").fetchone()
    if _holds(path, patients * times, seed):
        return None
    start = time.perf_counter()
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{base}' AS base (READ_ONLY)")
        copies = f"range({times}) AS copy(k)"
        new_id = "x.patient_id || '~' || CAST(copy.k AS VARCHAR)"
        for name in SCHEMA:
            if name == "concept_ancestors":
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM base.{name}")
                continue
            columns = [c.strip().split()[0] for c in SCHEMA[name].split(",")]
            chosen = [
                new_id + " AS patient_id"
                if c == "patient_id"
                else f"x.seq + copy.k * {patients} AS seq"
                if c == "seq"
                else f"x.{c}"
                for c in columns
            ]
            order = " ORDER BY copy.k, x.seq" if name == "patients" else ""
            con.execute(f"CREATE TABLE {name} AS SELECT {', '.join(chosen)} FROM base.{name} x, {copies}{order}")
        con.execute("CREATE TABLE bench_meta AS SELECT ? AS patients, ? AS seed", [patients * times, seed])
    return time.perf_counter() - start


def scan_floor(connection, aggregate: str = "MIN", repeats: int = 3) -> float:
    """Seconds DuckDB takes to read every column of every stored table once (the best of ``repeats``):
    ``MIN`` of each column reads and compares every value; ``COUNT`` of a column without NULLs is answered
    from the storage's metadata, so it only bounds the floor from below."""
    parts = []
    for name, columns in SCHEMA.items():
        names = [c.strip().split()[0] for c in columns.split(",")]
        parts.append(f"SELECT {', '.join(f'{aggregate}({c})' for c in names)} FROM {name}")
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for part in parts:
            connection.execute(part).fetchall()
        best = min(best, time.perf_counter() - start)
    return best


def cpu_seconds() -> float:
    """CPU seconds this process has used so far, every thread (DuckDB's workers) included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def floor_cpu(connection, repeats: int = 3) -> float:
    """CPU seconds of the ``MIN`` scan floor (the least of ``repeats``): steadier than wall time on a busy
    machine."""
    best = float("inf")
    for _ in range(repeats):
        start = cpu_seconds()
        scan_floor(connection, repeats=1)
        best = min(best, cpu_seconds() - start)
    return best


def peak_mib() -> float:
    """This process's own peak RSS in MiB (VmHWM where /proc has it: ru_maxrss survives fork)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
