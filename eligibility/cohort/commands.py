"""Bodies of the command-line entries for cohort screening: ``load`` and ``screen --engine duckdb|spark``."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from eligibility.cohort.run import DuckDBRunner, RunStyle, screen_store
from eligibility.cohort.store import StoreWriter, open_store
from eligibility.errors import EligibilityError
from eligibility.patient.contract import read_patients
from eligibility.screen.screener import Screener
from eligibility.vocab.vocabulary import Vocabulary


def load_patients(paths: Iterable[Path], vocabulary: Vocabulary, report, connection=None, into: Path | None = None):
    """Read patients from ``paths`` into a store (``into``, or the DuckDB ``connection``); returns (loaded,
    failed). ``report(text)`` receives each unreadable patient's error."""
    writer = StoreWriter(vocabulary)
    failed = 0
    for path in paths:
        for item in read_patients(path, vocabulary):
            if isinstance(item, EligibilityError):
                failed += 1
                report(str(item))
                continue
            writer.add(item)
    writer.write(into or Path("."), connection=connection)
    return writer.count, failed


def screen_with_engine(
    engine: str,
    patients: Path | None,
    db: Path | None,
    screener: Screener,
    style: RunStyle,
    report,
    spark_master: str | None = None,
) -> tuple[int, int]:
    """Screen a store (``db``, or ``patients`` loaded into memory first) on ``engine``; writes the summary
    lines to standard output and returns (screened, failed)."""
    import duckdb

    failed = 0
    if db is not None:
        connection = open_store(db)
    else:
        if patients is None:
            raise EligibilityError("nothing to screen", hint="give PATIENTS or --db FILE")
        connection = duckdb.connect(":memory:")
        _, failed = load_patients([patients], screener.vocabulary, report, connection=connection)
    runner: Any = DuckDBRunner(connection)
    if engine == "spark":
        from eligibility.cohort.spark import SparkRunner

        runner = SparkRunner.from_duckdb(connection, spark_master)
    screened = 0
    try:
        for text in screen_store(runner, screener, style):
            sys.stdout.write(text)
            screened += 1
    finally:
        connection.close()
    return screened, failed
