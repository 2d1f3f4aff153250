"""Screening: clause outcomes, verdicts, cohorts, the JSON contract, and the bundled seed trials."""

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from eligibility import Patient, Screener, load_trials, read_patients
from eligibility.errors import PatientError
from eligibility.output.explain import explain
from eligibility.output.report import report_json
from eligibility.resources import bundled_rules_dir
from eligibility.screen.screener import verdict
from eligibility.trials.load import parse_duration

from conftest import ROOT, load_cases

VERDICTS = load_cases("example_verdicts.yaml")
TRIALS = load_trials([bundled_rules_dir()])
SCREENER = Screener(TRIALS)
PATIENTS = {p.id: p for p in read_patients(ROOT / "examples" / "patients")}


def _trial(text: str, tmp_path: Path):
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return load_trials([path])


def _by_clause(report, trial: str) -> dict:
    result = next(r for r in report.results if r.label == trial)
    return {c.clause.id: c for c in result.clauses}


@pytest.mark.parametrize("patient_id", list(VERDICTS))
def test_example_verdicts(patient_id):
    report = SCREENER.screen(PATIENTS[patient_id])
    assert {r.label: r.verdict for r in report.results} == VERDICTS[patient_id]


def test_every_seed_trial_gets_every_verdict_from_the_examples():
    seen: dict[str, set] = {}
    for verdicts in VERDICTS.values():
        for label, value in verdicts.items():
            seen.setdefault(label.split("/")[0], set()).add(value)
    assert all(v == {"eligible", "ineligible", "undetermined"} for v in seen.values()), seen
    assert len(seen) == 5


def test_json_contract_shape_and_the_creatinine_example():
    patient = Patient.model_validate(
        {
            "id": "P-001",
            "as_of": "2026-11-01",
            "birth_date": "1979-03-02",
            "sex": "female",
            "observations": [{"code": "creatinine", "value": 250, "unit": "umol/L", "date": "2026-10-28"}],
        }
    )
    document = report_json(SCREENER.screen(patient, trial_ids=["NCT05828212"]))
    assert list(document) == ["patient", "as_of", "warnings", "results"]
    assert document["warnings"] == []
    assert (document["patient"], document["as_of"]) == ("P-001", "2026-11-01")
    (result,) = document["results"]
    assert list(result) == ["trial", "verdict", "needs_review", "clauses"]
    assert result["trial"] == "NCT05828212" and result["verdict"] == "ineligible"
    # Only what a person alone can judge: I3b, I3c-1 to I3c-4, E8 and E10 also wait for data this patient lacks.
    assert result["needs_review"] == ["I3c", "I3c-5", "I3c-6", "E12"]
    e9a = next(c for c in result["clauses"] if c["id"] == "E9a")
    assert e9a == {
        "id": "E9a",
        "kind": "exclusion",
        "text": "Serum creatinine > 2.5mg/dl",
        "met": True,
        "outcome": "fail",
        "explanation": "serum creatinine 250 umol/L = 2.83 mg/dL > 2.5 mg/dL (2026-10-28)",
        "missing": [],
    }
    e9c = next(c for c in result["clauses"] if c["id"] == "E9c")
    assert (e9c["met"], e9c["outcome"], e9c["missing"]) == (None, "unknown", ["total_bilirubin (recent result)"])


def test_ten_lab_subclauses_of_the_chictr_exclusion_are_reported_one_by_one():
    report = SCREENER.screen(PATIENTS["P02-ae-lab-limits"], trial_ids=["ChiCTR2600127018"])
    clauses = _by_clause(report, "ChiCTR2600127018")
    labs = [k for k in clauses if k.startswith("E10")]
    assert labs == ["E10a", "E10b", "E10c", "E10d", "E10e", "E10f", "E10g", "E10h", "E10i"]
    assert clauses["E10a"].outcome == "fail"
    assert explain(clauses["E10a"].finding) == "ALC 400 cells/uL = 0.4 10^9/L < 0.5 10^9/L (2026-10-29)"
    assert clauses["E10b"].outcome == "pass"
    assert explain(clauses["E10h"].finding) == (
        "AST 130 U/L > 3 x ULN = 120 U/L (2026-10-29; ULN 40 from the lab's "
        "reference range); ALT 150 U/L > 3 x ULN = 135 U/L (2026-10-29; ULN 45 "
        "from the lab's reference range)"
    )
    assert clauses["E8a"].outcome == "fail"


def test_inclusion_and_exclusion_polarity(tmp_path: Path):
    (trial,) = _trial(
        "id: T\ncriteria:\n"
        "  - {id: I1, kind: inclusion, text: woman, rule: sex is female}\n"
        "  - {id: E1, kind: exclusion, text: woman, rule: sex is female}\n"
        "  - {id: I2, kind: inclusion, text: anc, rule: anc >= 1 10^9/L}\n"
        "  - {id: E2, kind: exclusion, text: judgement}\n",
        tmp_path,
    )
    report = Screener([trial]).screen(Patient(id="W", sex="female"), date(2026, 11, 1))
    clauses = _by_clause(report, "T")
    assert [(k, c.met, c.outcome) for k, c in clauses.items()] == [
        ("I1", True, "pass"),
        ("E1", True, "fail"),
        ("I2", None, "unknown"),
        ("E2", None, "review"),
    ]
    assert report.results[0].verdict == "ineligible"
    assert report.results[0].needs_review == ["E2"]


@pytest.mark.parametrize(
    "outcomes,expected",
    [
        (["pass", "review"], "eligible"),
        (["pass", "unknown", "review"], "undetermined"),
        (["unknown", "fail"], "ineligible"),
        ([], "eligible"),
    ],
)
def test_verdict_rule(outcomes, expected):
    assert verdict(outcomes) == expected


def test_cohorts_are_screened_separately():
    report = SCREENER.screen(PATIENTS["P09-ra-eligible"], trial_ids=["NCT07246096"])
    verdicts = {r.cohort: r.verdict for r in report.results}
    assert verdicts == {
        "sle": "ineligible",
        "systemic_sclerosis": "ineligible",
        "sjogren_syndrome": "ineligible",
        "rheumatoid_arthritis": "eligible",
        "anca_vasculitis": "ineligible",
    }
    ra = next(r for r in report.results if r.cohort == "rheumatoid_arthritis")
    assert all(c.clause.cohort in (None, "rheumatoid_arthritis") for c in ra.clauses)


def test_trial_reference_table_supplies_a_missing_uln(tmp_path: Path):
    (trial,) = _trial(
        "id: T\nreference_ranges:\n  alt: {high: 0.67 ukat/L}\ncriteria:\n"
        "  - {id: E1, kind: exclusion, text: ALT > 3 ULN, rule: alt > 3 x ULN}\n",
        tmp_path,
    )
    patient = Patient.model_validate(
        {"id": "R", "observations": [{"code": "ALT", "value": 130, "unit": "U/L", "date": "2026-10-20"}]}
    )
    (clause,) = Screener([trial]).screen(patient, date(2026, 11, 1)).results[0].clauses
    assert clause.outcome == "fail"
    assert explain(clause.finding).endswith("(2026-10-20; ULN 40.2 from trial T reference table)")


def test_trial_lab_recency_wins_over_the_default(tmp_path: Path):
    (trial,) = _trial(
        "id: T\nlab_recency: 90 days\ncriteria:\n  - {id: I1, kind: inclusion, text: anc, rule: anc >= 1 10^9/L}\n",
        tmp_path,
    )
    patient = Patient.model_validate(
        {"id": "R", "observations": [{"code": "ANC", "value": 2, "unit": "10^9/L", "date": "2026-09-01"}]}
    )
    assert Screener([trial]).screen(patient, date(2026, 11, 1)).results[0].verdict == "eligible"
    assert (
        Screener([replace(trial, lab_recency=None)]).screen(patient, date(2026, 11, 1)).results[0].verdict
        == "undetermined"
    )
    short = Screener([replace(trial, lab_recency=None)], lab_recency=parse_duration("90 days"))
    assert short.screen(patient, date(2026, 11, 1)).results[0].verdict == "eligible"


def test_reference_date_precedence():
    patient = Patient(id="D", as_of=date(2026, 1, 1))
    assert SCREENER.reference_date(patient, date(2026, 5, 1), date(2027, 1, 1)) == date(2026, 5, 1)
    assert SCREENER.reference_date(patient, None, date(2027, 1, 1)) == date(2026, 1, 1)
    assert SCREENER.reference_date(Patient(id="D"), None, date(2027, 1, 1)) == date(2027, 1, 1)
    with pytest.raises(PatientError) as caught:
        SCREENER.reference_date(Patient(id="D"), None, None)
    assert str(caught.value) == (
        "patient D: no reference date\n  fix: add `as_of` to the patient file or pass --as-of YYYY-MM-DD"
    )
