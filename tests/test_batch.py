"""Many patients: synthetic patients, shared plans, worker processes and the summary format give the same
answers as screening one patient against one trial at a time."""

import json
import subprocess
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from eligibility import Patient, Screener
from eligibility.errors import EligibilityError
from eligibility.output.explain import explain, missing
from eligibility.output.report import brief_json, report_json
from eligibility.output.write import ReportStyle, screen_and_write
from eligibility.patient.index import index_patient
from eligibility.patient.synth import Synthesizer
from eligibility.resources import bundled_rules_dir
from eligibility.screen.batch import ScreenSetup, screen_many
from eligibility.trials.schema import Clause, Trial
from eligibility.vocab.vocabulary import default_vocabulary

from conftest import CLI
from strategies import patients, rules

AS_OF = date(2026, 11, 1)
VOCABULARY = default_vocabulary()
SETUP = ScreenSetup((bundled_rules_dir(),))
SCREENER = SETUP.build()


def _synthetic(count: int, seed: int = 11) -> list[Patient]:
    return [Patient.model_validate(p) for p in Synthesizer(seed, AS_OF).patients(count)]


# --- synthetic patients ------------------------------------------------------------------------------------


def test_synthetic_patients_are_reproducible_valid_and_varied():
    first = list(Synthesizer(5, AS_OF).patients(60))
    assert first == list(Synthesizer(5, AS_OF).patients(60))
    assert first != list(Synthesizer(6, AS_OF).patients(60))
    indexed = [index_patient(Patient.model_validate(p), VOCABULARY, AS_OF) for p in first]
    assert all(index.warnings == [] for index in indexed)
    creatinine_units = {o["unit"] for p in first for o in p["observations"] if o["code"] == "creatinine"}
    assert creatinine_units == {"umol/L", "mg/dL"}
    readings = [r for index in indexed for r in index.readings.get("alt", ())]
    assert any(r.value > r.high for r in readings if r.high) and any(r.value <= r.high for r in readings if r.high)
    assert {p.get("sex") for p in first} == {"female", "male", None}


# --- shared plans give the answers of separate evaluation ------------------------------------------------------


@st.composite
def trial_sets(draw):
    pool = draw(st.lists(rules(3, few=True), min_size=2, max_size=5))
    trials = []
    for number in range(draw(st.integers(2, 5))):
        picked = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4))
        clauses = tuple(
            Clause(f"C{i}", draw(st.sampled_from(["inclusion", "exclusion"])), "text", rule)
            for i, rule in enumerate(picked)
        )
        trials.append(Trial(id=f"T{number}", clauses=clauses))
    return trials


@given(trial_sets(), patients(few=True))
def test_trials_sharing_rules_get_the_answers_each_would_get_alone(trials, patient):
    person = Patient.model_validate(patient)
    together = Screener(trials, VOCABULARY).screen(person, AS_OF)
    alone = [Screener([t], VOCABULARY).screen(person, AS_OF).results[0] for t in trials]
    assert [report_json_result(r) for r in together.results] == [report_json_result(r) for r in alone]


def report_json_result(result) -> tuple:
    return result.verdict, [
        (c.clause.id, c.outcome, explain(c.finding), tuple(missing(c.finding) if c.outcome == "unknown" else []))
        for c in result.clauses
    ]


# --- worker processes and formats -----------------------------------------------------------------------------


def test_jobs_give_the_same_lines_in_the_same_order_with_errors_in_place():
    items: list = _synthetic(24)
    items.insert(5, EligibilityError("line 6 is broken"))
    style = ReportStyle("summary", as_of=AS_OF)
    one = list(screen_many(SETUP, items, style, jobs=1, screener=SCREENER))
    two = list(screen_many(SETUP, items, style, jobs=2, screener=SCREENER))
    built = list(screen_many(SETUP, items, style, jobs=2))  # workers build their own screener
    assert one == two == built
    assert one[5] == ("error", "line 6 is broken")
    assert [json.loads(text)["patient"] for status, text in one if status == "ok"] == [
        p.id for p in items if isinstance(p, Patient)
    ]


def test_batch_lines_equal_the_single_patient_report():
    for patient in _synthetic(6, seed=3):
        single = report_json(SCREENER.screen(patient, AS_OF))
        assert json.loads(screen_and_write(SCREENER, patient, ReportStyle("json", as_of=AS_OF))) == single


def test_summary_keeps_verdicts_and_explains_only_blocking_clauses():
    for patient in _synthetic(10, seed=4):
        report = SCREENER.screen(patient, AS_OF)
        brief = brief_json(report)
        full = report_json(report)
        for short, long in zip(brief["results"], full["results"], strict=False):
            assert (short["trial"], short["verdict"], short["needs_review"]) == (
                long["trial"],
                long["verdict"],
                long["needs_review"],
            )
            failing = [c for c in long["clauses"] if c["outcome"] == "fail"]
            assert short["blocking"] == [{"id": c["id"], "explanation": c["explanation"]} for c in failing]
            assert short["missing"] == list(dict.fromkeys(m for c in long["clauses"] for m in c["missing"]))


def test_only_keeps_the_asked_verdicts():
    patient = _synthetic(1, seed=9)[0]
    everything = json.loads(screen_and_write(SCREENER, patient, ReportStyle("summary", as_of=AS_OF)))
    kept = json.loads(screen_and_write(SCREENER, patient, ReportStyle("summary", as_of=AS_OF, only=("ineligible",))))
    assert kept["results"] == [r for r in everything["results"] if r["verdict"] == "ineligible"]


def test_cli_jobs_output_is_identical(tmp_path: Path):
    batch = tmp_path / "patients.jsonl"
    made = subprocess.run(
        [*CLI, "synth", "16", "--seed", "2", "-o", str(batch)], capture_output=True, text=True, timeout=120
    )
    assert made.returncode == 0, made.stderr
    outputs = [
        subprocess.run(
            [*CLI, "screen", str(batch), "--format", "summary", "--jobs", jobs],
            capture_output=True,
            text=True,
            timeout=300,
        )
        for jobs in ("1", "2")
    ]
    assert [o.returncode for o in outputs] == [0, 0]
    assert outputs[0].stdout == outputs[1].stdout and len(outputs[0].stdout.splitlines()) == 16
    assert "screened 16 patient(s); 0 could not be read" in outputs[1].stderr
