"""Spark in local mode runs the same plan as DuckDB (SQL transpiled by sqlglot) and gives the same answers.

One SparkSession for the module, small data: a seed trial over the example patients, and rules of every node
type over edge patients.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from eligibility.cohort.commands import load_patients
from eligibility.cohort.plan import plan_batches
from eligibility.cohort.run import DuckDBRunner, ordered
from eligibility.resources import bundled_rules_dir
from eligibility.screen.batch import ScreenSetup

from conftest import ROOT

pytest.importorskip("pyspark")

from eligibility.cohort.spark import SparkRunner, spark_session

EXAMPLES = ROOT / "examples" / "patients"
AS_OF = date(2026, 11, 1)
TRIAL = "MESEMS-Karolinska"  # every kind of clause: labs, histories with windows, ages, counts, review


@pytest.fixture(scope="module")
def engines():
    screener = ScreenSetup((bundled_rules_dir(),)).build()
    connection = duckdb.connect(":memory:")
    load_patients([EXAMPLES], screener.vocabulary, print, connection=connection)
    session = spark_session("local[2]")
    yield screener, DuckDBRunner(connection), SparkRunner.from_duckdb(connection, session=session)
    session.stop()


def test_spark_sql_is_transpiled_by_sqlglot(engines):
    screener, _, spark = engines
    batch = next(plan_batches(screener, None, AS_OF, (TRIAL,)))
    text = spark.sql(batch.query)
    assert "ADD_MONTHS" in text and "INTERVAL" not in text  # calendar months in Spark's own function


def test_spark_agrees_with_duckdb_on_every_clause_and_verdict(engines):
    screener, duck, spark = engines
    batch = next(plan_batches(screener, None, AS_OF, (TRIAL,)))
    expected = list(duck.rows(ordered(batch, with_source=False)))
    found = list(spark.rows(ordered(batch, with_source=False)))
    assert len(found) == 11
    assert found == expected
    assert {row[f"v{g.verdict}"] for row in found for g in batch.groups} >= {"eligible", "ineligible"}
