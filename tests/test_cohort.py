"""Cohort screening on DuckDB: the record store, and summaries byte-identical to the in-process path."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from eligibility.cohort.commands import load_patients
from eligibility.cohort.run import DuckDBRunner, RunStyle, screen_store
from eligibility.output.write import ReportStyle, screen_and_write
from eligibility.patient.contract import read_patients
from eligibility.patient.synth import Synthesizer
from eligibility.resources import bundled_rules_dir
from eligibility.screen.batch import ScreenSetup

from conftest import CLI, ROOT

EXAMPLES = ROOT / "examples" / "patients"
AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def screener():
    return ScreenSetup((bundled_rules_dir(),)).build()


def in_process(screener, patients, style: RunStyle) -> str:
    """The summary the in-process path writes for ``patients``."""
    report = ReportStyle("summary", as_of=style.as_of, fallback=style.fallback, only=style.only)
    return "".join(screen_and_write(screener, p, report) for p in patients)


def on_duckdb(screener, paths: list[Path], style: RunStyle) -> str:
    connection = duckdb.connect(":memory:")
    load_patients(paths, screener.vocabulary, print, connection=connection)
    return "".join(screen_store(DuckDBRunner(connection), screener, style))


@pytest.mark.parametrize(
    "style",
    [RunStyle(fallback=AS_OF), RunStyle(as_of=date(2026, 6, 30)), RunStyle(fallback=AS_OF, only=("eligible",))],
    ids=["patients-dates", "as-of", "only-eligible"],
)
def test_examples_and_seed_trials_give_the_in_process_summary_byte_for_byte(screener, style):
    patients = list(read_patients(EXAMPLES))
    assert on_duckdb(screener, [EXAMPLES], style) == in_process(screener, patients, style)


def test_synthetic_patients_give_the_in_process_summary(screener, tmp_path):
    people = list(Synthesizer(7, AS_OF).patients(30))
    path = tmp_path / "synthetic.jsonl"
    path.write_text("".join(json.dumps(p, default=str) + "\n" for p in people), encoding="utf-8")
    style = RunStyle(fallback=AS_OF)
    expected = in_process(screener, list(read_patients(path)), style)
    found = on_duckdb(screener, [path], style)
    assert_same_summaries(found, expected)
    assert found == expected  # and byte for byte (key order, spacing)
    results = [r for line in expected.splitlines() for r in json.loads(line)["results"]]
    assert len({r["verdict"] for r in results}) >= 2  # the comparison covers more than one verdict
    for field in ("blocking", "missing", "needs_review"):  # and every field with something in it
        assert any(r[field] for r in results), field


SUMMARY_FIELDS = ("trial", "verdict", "blocking", "missing", "needs_review")


def assert_same_summaries(found: str, expected: str) -> None:
    """Every field of every summary line (patient, as_of, warnings, each result's fields) is the in-process
    one; the first difference is named."""
    found_lines, expected_lines = found.splitlines(), expected.splitlines()
    assert len(found_lines) == len(expected_lines)
    for got_line, want_line in zip(found_lines, expected_lines, strict=True):
        got, want = json.loads(got_line), json.loads(want_line)
        assert list(got) == list(want) == ["patient", "as_of", "warnings", "results"]
        for field in ("patient", "as_of", "warnings"):
            assert got[field] == want[field], (want["patient"], field)
        assert [r["trial"] for r in got["results"]] == [r["trial"] for r in want["results"]], want["patient"]
        for got_result, want_result in zip(got["results"], want["results"], strict=True):
            assert list(got_result) == list(SUMMARY_FIELDS)
            for field in SUMMARY_FIELDS:
                where = (want["patient"], want_result["trial"], field)
                assert got_result[field] == want_result[field], where


def test_store_holds_canonical_exact_values(screener):
    connection = duckdb.connect(":memory:")
    load_patients([EXAMPLES / "P02-ae-lab-limits.json"], screener.vocabulary, print, connection=connection)
    tables = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"patients", "observations", "conditions", "negations", "completeness", "concept_ancestors"} <= tables
    rows = connection.execute("SELECT measure, value_num, value_den FROM observations").fetchall()
    assert rows and all(den > 0 for _, _, den in rows)
    (count,) = connection.execute("SELECT COUNT(*) FROM concept_ancestors WHERE concept = 'bcg_vaccine'").fetchone()
    assert count >= 3  # itself, live vaccine, vaccine


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT, env=dict(os.environ), timeout=300)


@pytest.mark.parametrize("store", ["store.duckdb", "parquet"])
def test_load_then_screen_on_duckdb_in_two_commands(tmp_path, store):
    target = tmp_path / store
    loaded = run("load", str(EXAMPLES), "--into", str(target))
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded 11 patient(s)" in loaded.stderr
    screened = run("screen", "--engine", "duckdb", "--db", str(target), "--format", "summary")
    expected = run("screen", str(EXAMPLES), "--format", "summary")
    assert screened.returncode == 0, screened.stderr
    assert screened.stdout == expected.stdout


def test_engine_errors_are_plain_messages(tmp_path):
    missing = run("screen", "--engine", "duckdb", "--db", str(tmp_path / "none.duckdb"), "--format", "summary")
    assert missing.returncode == 1 and "no such record store" in missing.stderr and "Traceback" not in missing.stderr
    table = run("screen", str(EXAMPLES), "--engine", "duckdb")
    assert table.returncode == 1 and "--format summary" in table.stderr
