"""The patient contract: exact errors for bad files, warnings for unusable entries, streaming reads."""

import json
import tracemalloc
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from eligibility import read_patients
from eligibility.errors import PatientError
from eligibility.patient.contract import Patient
from eligibility.patient.index import index_patient
from eligibility.vocab.vocabulary import default_vocabulary

from conftest import ROOT, load_cases

BAD = load_cases("bad_patients.yaml")


@pytest.mark.parametrize("case", BAD, ids=[c["name"] for c in BAD])
def test_bad_patient_message(case, tmp_path: Path):
    path = tmp_path / "patient.json"
    path.write_bytes(case["json"].encode(case.get("encoding", "utf-8")))
    (result,) = list(read_patients(path))
    assert isinstance(result, PatientError)
    assert str(result) == case["message"].replace("{file}", str(path))


def test_examples_follow_the_contract():
    patients = list(read_patients(ROOT / "examples" / "patients"))
    assert len(patients) >= 8
    assert all(isinstance(p, Patient) for p in patients)


def test_json_lines_stream_keeps_going_after_a_bad_line(tmp_path: Path):
    path = tmp_path / "batch.jsonl"
    path.write_text('{"id": "A"}\n{"id": }\n\n{"id": "C", "sex": "male"}\n', encoding="utf-8")
    results = list(read_patients(path))
    assert [type(r).__name__ for r in results] == ["Patient", "PatientError", "Patient"]
    assert str(results[1]).startswith(f"{path}:2:8: invalid JSON")


def test_unknown_codes_and_units_are_warnings_naming_the_entry():
    patient = Patient.model_validate(
        {
            "id": "W",
            "observations": [
                {"code": "lymphocytez", "value": 1, "unit": "10^9/L", "date": "2026-10-01"},
                {"code": "ALC", "value": 1, "unit": "mg/dL", "date": "2026-10-01"},
                {"code": "ALC", "value": 1, "unit": "bananas", "date": "2026-10-01"},
                {"code": "ALC", "value": "positive", "date": "2026-10-01"},
                {"code": "ALC", "value": 1, "unit": "10^9/L", "date": "2026-12-01"},
            ],
            "conditions": [{"code": "dragon pox"}],
        }
    )
    index = index_patient(patient, default_vocabulary(), date(2026, 11, 1))
    assert index.warnings == [
        "observations[0] (lymphocytez): unknown code 'lymphocytez' "
        "(did you mean alc, lymphocyte_percent, b_cell_count?); not used",
        "observations[1] (ALC): unit 'mg/dL' cannot express absolute lymphocyte count (in 10^9/L); not used",
        "observations[2] (ALC): unknown unit 'bananas'; not used",
        "observations[3] (ALC): absolute lymphocyte count needs a number, got 'positive'; not used",
        "observations[4] (ALC): dated 2026-12-01, after the reference date 2026-11-01; not used",
        "conditions[0] (dragon pox): unknown condition 'dragon pox'; not used",
    ]
    assert index.readings == {}


def test_codes_resolve_by_alias_chinese_name_and_loinc():
    patient = Patient.model_validate(
        {
            "id": "C",
            "observations": [
                {"code": "14682-9", "value": 80, "unit": "umol/L", "date": "2026-10-01"},
                {"code": "血红蛋白", "value": 120, "unit": "g/L", "date": "2026-10-01"},
            ],
        }
    )
    index = index_patient(patient, default_vocabulary(), date(2026, 11, 1))
    assert set(index.readings) == {"creatinine", "hemoglobin"}


def test_values_are_stored_in_the_measure_unit():
    patient = Patient.model_validate(
        {
            "id": "U",
            "observations": [{"code": "ANC", "value": 1500, "unit": "/mm3", "date": "2026-10-01", "high": 7700}],
        }
    )
    (reading,) = index_patient(patient, default_vocabulary(), date(2026, 11, 1)).readings["anc"]
    assert (reading.value, reading.high) == (Decimal("1.5"), Decimal("7.7"))


def test_numeric_text_values_are_numbers_and_words_are_lower_case():
    patient = Patient.model_validate(
        {
            "id": "N",
            "observations": [
                {"code": "ALC", "value": "0,4", "unit": "10^9/L", "date": "2026-10-01"},
                {"code": "HBsAg", "value": "Positive", "date": "2026-10-01"},
            ],
        }
    )
    assert [o.value for o in patient.observations] == [Decimal("0.4"), "positive"]


def test_patient_round_trips_through_json():
    text = (ROOT / "examples" / "patients" / "P01-ae-eligible.json").read_text(encoding="utf-8")
    patient = Patient.model_validate(json.loads(text))
    assert Patient.model_validate_json(patient.model_dump_json()) == patient


def _peak_while_reading(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(isinstance(p, Patient) for p in read_patients(path))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_json_lines_are_streamed_in_bounded_memory(tmp_path: Path):
    patient = json.loads((ROOT / "examples" / "patients" / "P01-ae-eligible.json").read_text(encoding="utf-8"))
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    for path, count in ((small, 200), (large, 4000)):
        with path.open("w", encoding="utf-8") as handle:
            for number in range(count):
                handle.write(json.dumps({**patient, "id": f"P{number}"}) + "\n")
    small_count, small_peak = _peak_while_reading(small)
    large_count, large_peak = _peak_while_reading(large)
    assert (small_count, large_count) == (200, 4000)
    assert large.stat().st_size > 20 * large_peak  # the file is never held in memory whole
    assert large_peak < 2 * small_peak  # 20x the patients, not 20x the memory
