"""OMOP CDM input: the fixture (``tests/data/omop``, written by ``scripts/omop_fixture.py``) read as OMOP tables
gives the same patients, and the same summaries on the in-process and DuckDB engines, as its contract twin;
bad OMOP input gives warnings naming the table and row id, or errors naming the place and the fix."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from eligibility.cohort.commands import load_patients
from eligibility.cohort.run import DuckDBRunner, RunStyle, screen_store
from eligibility.errors import EligibilityError
from eligibility.output.write import ReportStyle, screen_and_write
from eligibility.patient.contract import Patient, read_patients
from eligibility.patient.omop import is_omop
from eligibility.resources import bundled_rules_dir
from eligibility.screen.batch import ScreenSetup

from conftest import CLI, ROOT

OMOP = ROOT / "tests" / "data" / "omop"
TWIN = OMOP / "patients.jsonl"


@pytest.fixture(scope="module")
def screener():
    return ScreenSetup((bundled_rules_dir(),)).build()


def patients(path: Path) -> list[Patient]:
    found = list(read_patients(path))
    assert all(isinstance(p, Patient) for p in found), [str(p) for p in found if not isinstance(p, Patient)]
    return found  # type: ignore[return-value]


def in_process(screener, path: Path) -> str:
    return "".join(screen_and_write(screener, p, ReportStyle("summary")) for p in patients(path))


def on_duckdb(screener, path: Path) -> str:
    connection = duckdb.connect(":memory:")
    load_patients([path], screener.vocabulary, pytest.fail, connection=connection)
    return "".join(screen_store(DuckDBRunner(connection), screener, RunStyle()))


def as_database(folder: Path, target: Path, schema: str = "main") -> Path:
    """The CSV tables of ``folder`` in a DuckDB file, with the column types DuckDB infers (dates, doubles)."""
    with duckdb.connect(str(target)) as con:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for path in sorted(folder.glob("*.csv")):
            con.execute(f"CREATE TABLE {schema}.{path.stem.upper()} AS SELECT * FROM read_csv('{path}')")
    return target


def test_the_fixture_has_a_few_hundred_rows_of_every_table():
    counts = {p.stem: sum(1 for _ in p.open(encoding="utf-8")) - 1 for p in OMOP.glob("*.csv")}
    assert set(counts) >= {"person", "measurement", "observation", "condition_occurrence", "concept"}
    assert all(counts[t] > 0 for t in ("drug_exposure", "procedure_occurrence", "observation_period"))
    assert 300 <= sum(counts.values()) <= 1000


def test_omop_folder_reads_as_its_contract_twin():
    assert is_omop(OMOP) and not is_omop(TWIN)
    assert patients(OMOP) == patients(TWIN)


def test_duckdb_database_and_parquet_read_the_same(tmp_path):
    database = as_database(OMOP, tmp_path / "site.duckdb", schema="cdm")  # typed columns, a schema, upper case
    assert is_omop(database)
    assert patients(database) == patients(TWIN)
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    with duckdb.connect() as con:
        for path in OMOP.glob("*.csv"):
            con.execute(
                f"COPY (SELECT * FROM read_csv('{path}', all_varchar = true)) TO '{parquet / path.stem}.parquet'"
            )
    assert patients(parquet) == patients(TWIN)


def test_golden_summaries_agree_on_both_engines(screener):
    expected = in_process(screener, TWIN)
    assert in_process(screener, OMOP) == expected
    assert on_duckdb(screener, OMOP) == expected  # the DuckDB engine over the store loaded from OMOP
    assert '"verdict":"undetermined"' in expected and '"verdict":"ineligible"' in expected


# --- bad input --------------------------------------------------------------------------------------------


def altered(tmp_path: Path, **rows: list[list]) -> Path:
    """A copy of the fixture with ``rows`` appended to the named tables (cells by the header's order)."""
    folder = tmp_path / "omop"
    shutil.copytree(OMOP, folder, ignore=shutil.ignore_patterns("*.jsonl"))
    for table, extra in rows.items():
        with (folder / f"{table}.csv").open("a", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerows(extra)
    return folder


def warnings_of(folder: Path, person: str) -> list[str]:
    found = [p for p in read_patients(folder) if isinstance(p, Patient) and p.id == person]
    return list(found[0].warnings)


def test_unknown_concepts_units_dates_and_values_are_warnings_naming_table_and_row(tmp_path):
    loinc = "2000000001"  # the fixture's absolute lymphocyte count
    folder = altered(
        tmp_path,
        measurement=[
            [901, 1, 999999, "2026-10-30", "1.0", "", "", "", "", "LOCAL-1", ""],  # not in concept
            [902, 1, loinc, "2026-10-30", "1.0", "", "", "", "", "", "furlongs"],
            [903, 1, loinc, "2026-13-30", "1.0", "", "", "", "", "", "10^9/L"],
            [904, 1, loinc, "2026-10-30", "-1", "", "", "", "", "", "10^9/L"],
            [905, 1, loinc, "2026-10-30", "1.0", "", "", "5", "1", "", "10^9/L"],
        ],
        condition_occurrence=[[901, 1, 2000000030, "2026-01-10", "2025-01-01", ""]],
        drug_exposure=[[901, 1, 424242, "2026-01-10", "", "local drug"]],
    )
    warnings = warnings_of(folder, "1")
    expected = [
        "measurement 901: concept 999999, source value 'LOCAL-1' is not a measure in the vocabulary; not used",
        "measurement 902: unit 'furlongs' cannot express absolute lymphocyte count",
        "measurement 903: measurement_date '2026-13-30' is not a date; not used",
        "measurement 904: value_as_number -1 is negative; not used",
        "measurement 905: range_low 5 is above range_high 1; range not used",
        "condition_occurrence 901: condition_end_date 2025-01-01 is before the start 2026-01-10; end not used",
        "drug_exposure 901: concept 424242, source value 'local drug' is not a medication or vaccine",
    ]
    for text in expected:
        assert any(w.startswith(text) for w in warnings), (text, warnings)


def test_broken_rows_and_tables_are_errors_naming_the_place(tmp_path):
    folder = altered(
        tmp_path,
        measurement=[[990, 4242, 2000000001, "2026-10-30", "1.0", "", "", "", "", "", "10^9/L"]],
        person=[[77, 8532, 1990, 2, 30, "bad birth"], ["x9", 8507, 1990, 1, 1, "bad id"]],
    )
    errors = [str(e) for e in read_patients(folder) if isinstance(e, EligibilityError)]
    assert any("measurement.csv" in e and "measurement 990, person_id 4242" in e for e in errors), errors
    assert any("person 77" in e and "1990/2/30 is not a date" in e for e in errors), errors
    assert any("person_id 'x9' is not a number" in e for e in errors), errors
    assert sum(isinstance(p, Patient) for p in read_patients(folder)) == 20  # the good persons are all read
    (folder / "concept.csv").unlink()
    (error,) = list(read_patients(folder))
    assert "no concept table" in str(error) and "fix:" in str(error)


def test_a_missing_required_column_is_named(tmp_path):
    folder = altered(tmp_path)
    text = (folder / "measurement.csv").read_text(encoding="utf-8").replace("measurement_date", "when", 1)
    (folder / "measurement.csv").write_text(text, encoding="utf-8")
    (error,) = list(read_patients(folder))
    assert "the measurement table has no measurement_date column" in str(error)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT, env=dict(os.environ), timeout=300)


def test_load_omop_into_a_store_from_the_command_line(tmp_path):
    store = tmp_path / "store.duckdb"
    loaded = run("load", str(OMOP), "--into", str(store))
    assert loaded.returncode == 0 and "loaded 20 patient(s)" in loaded.stderr, loaded.stderr
    with duckdb.connect(str(store), read_only=True) as con:
        stored = [
            Patient.model_validate_json(s)
            for (s,) in con.execute("SELECT source FROM patients ORDER BY seq").fetchall()
        ]
        (values,) = con.execute("SELECT count(*) FROM observations WHERE value_den > 0").fetchone()
    assert stored == patients(TWIN) and values > 300
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "person.csv").write_text("person_id\n1\n", encoding="utf-8")
    broken = run("load", str(tmp_path / "broken"), "--into", str(tmp_path / "b.duckdb"))
    assert broken.returncode == 1 and "no concept table" in broken.stderr and "Traceback" not in broken.stderr


def test_a_duckdb_file_without_omop_tables_is_refused(tmp_path):
    with duckdb.connect(str(tmp_path / "other.duckdb")) as con:
        con.execute("CREATE TABLE patients (seq BIGINT)")
    (error,) = list(read_patients(tmp_path / "other.duckdb"))
    assert "no person table" in str(error) and "--db FILE" in str(error)
