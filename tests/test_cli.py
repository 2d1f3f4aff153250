"""The installed `eligibility` console script: outputs, exit codes, and no tracebacks for user errors."""

import json
import os
import subprocess
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from conftest import CLI, DATA, ROOT

EXAMPLES = ROOT / "examples" / "patients"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_console_script_is_installed():
    scripts = entry_points(group="console_scripts", name="eligibility")
    assert [script.value for script in scripts] == ["eligibility.cli:main"]


def test_screen_table():
    result = run("screen", str(EXAMPLES / "P01-ae-eligible.json"))
    assert result.returncode == 0, result.stderr
    assert "Patient P01-ae-eligible — screened as of 2026-11-01" in result.stdout
    row = next(line for line in result.stdout.splitlines() if "ChiCTR2600127018" in line)
    assert "eligible" in row and "ineligible" not in row


def test_screen_json_single_patient():
    result = run("screen", str(EXAMPLES / "P07-nmosd-eligible.json"), "--format", "json", "--trial", "NCT05828212")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [r["trial"] for r in document["results"]] == ["NCT05828212"]
    assert document["results"][0]["verdict"] == "eligible"


def test_screen_batch_reports_bad_patients_and_screens_the_rest(tmp_path: Path):
    batch = tmp_path / "batch.jsonl"
    good = json.loads((EXAMPLES / "P11-minimal.json").read_text())
    batch.write_text(
        json.dumps(good) + "\n" + '{"id": "broken", "age": "old"}\n' + json.dumps({**good, "id": "P11-again"}) + "\n"
    )
    result = run("screen", str(batch), "--format", "json", "--trial", "NCT05828212")
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["patient"] for d in lines] == ["P11-minimal", "P11-again"]
    assert f"{batch}:2 (age): Input should be a valid integer" in result.stderr
    assert "screened 2 patient(s); 1 could not be read" in result.stderr
    assert "Traceback" not in result.stderr


def test_screen_as_of_overrides_the_patient_date():
    result = run(
        "screen",
        str(EXAMPLES / "P01-ae-eligible.json"),
        "--format",
        "json",
        "--as-of",
        "2027-06-01",
        "--trial",
        "ChiCTR2600127018",
    )
    document = json.loads(result.stdout)
    assert document["as_of"] == "2027-06-01"
    assert document["results"][0]["verdict"] == "undetermined"


def test_screen_folder_of_patients():
    result = run("screen", str(EXAMPLES), "--format", "json", "--trial", "MESEMS-Karolinska")
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == len(list(EXAMPLES.glob("*.json")))


@pytest.mark.parametrize(
    "args,message,code",
    [
        (
            ["screen", "no/such/file.json"],
            "no/such/file.json: cannot read the patient file: No such file or directory",
            1,
        ),
        (["screen", str(EXAMPLES / "P11-minimal.json"), "--trial", "NCT0000"], "unknown trial id(s): NCT0000", 1),
        (["screen", str(EXAMPLES / "P11-minimal.json"), "--as-of", "01/11/2026"], "is not a date; write YYYY-MM-DD", 2),
        (["lint", str(DATA / "bad_rules" / "many_problems.yaml")], "5 problem(s) found", 1),
    ],
)
def test_user_errors_are_messages_not_tracebacks(args, message, code):
    result = run(*args)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_lint_bundled_rules():
    result = run("lint")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: 5 trial(s), ")
