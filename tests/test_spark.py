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


# language v2: doses and treatment courses (ChiCTR2600127018 I3, I4a, I4b use them)
DOSE_PATIENTS = [
    {
        "id": "D1",
        "medications": [
            {"code": "IVMP", "start": "2025-02-03", "end": "2025-02-05", "dose": {"value": 1, "unit": "g"}}
        ],
    },
    {
        "id": "D2",
        "medications": [{"code": "prednisone", "start": "2026-06-01", "dose": {"value": 10, "unit": "mg"}}],
        "complete": ["medications"],
    },
    {
        "id": "D3",
        "medications": [
            {"code": "rituximab", "start": "2026-03-01", "status": "ended"},
            {"code": "dexamethasone", "start": "2026-10-01", "dose": {"value": 0.1, "unit": "mg/kg"}},
        ],
        "observations": [{"code": "weight", "value": 70, "unit": "kg", "date": "2026-10-20"}],
    },
    {
        "id": "D4",
        "medications": [{"code": "rituximab", "start": "2026-03-01", "end": "2026-09-15"}],
        "complete": ["medications"],
    },
]


def test_spark_agrees_with_duckdb_on_doses_and_courses(engines, tmp_path):
    import json

    screener, _, spark = engines
    (tmp_path / "doses.jsonl").write_text("\n".join(json.dumps(p) for p in DOSE_PATIENTS), encoding="utf-8")
    connection = duckdb.connect(":memory:")
    load_patients([tmp_path / "doses.jsonl"], screener.vocabulary, print, connection=connection)
    duck, other = DuckDBRunner(connection), SparkRunner.from_duckdb(connection, session=spark.session)
    batch = next(plan_batches(screener, None, AS_OF, ("ChiCTR2600127018",)))
    expected = list(duck.rows(ordered(batch, with_source=False)))
    assert len(expected) == len(DOSE_PATIENTS)
    assert list(other.rows(ordered(batch, with_source=False))) == expected
