"""FHIR R4 input: the bundled example bundle, the six Synthea bundles (golden counts and verdicts, when
../shared is present), bad FHIR, and what "medication ended, date unknown" and partial birth dates decide."""

import json
import os
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility import evaluate_rule
from eligibility.errors import PatientError
from eligibility.patient.contract import Patient, read_patients
from eligibility.patient.fhir_read import read_fhir
from eligibility.resources import bundled_rules_dir
from eligibility.screen.screener import Screener
from eligibility.trials.load import load_trials
from eligibility.vocab.vocabulary import default_vocabulary

from conftest import ROOT, load_cases

EXAMPLE = ROOT / "examples" / "fhir" / "nmosd-bundle.json"
SYNTHEA = Path(os.environ.get("ELIGIBILITY_SHARED", ROOT.parent / "shared")) / "corpus" / "synthea"
AS_OF = date(2026, 11, 1)


def read_one(path: Path):
    ((patient, stats),) = list(read_fhir(path, default_vocabulary()))
    return patient, stats


def test_example_bundle_maps_every_field_and_reports_the_rest():
    patient, stats = read_one(EXAMPLE)
    assert (patient.birth_date, patient.sex) == (date(1985, 4, 12), "female")
    values = {o.code: (o.value, o.unit, o.low, o.high) for o in patient.observations}
    assert values["alc"][1:] == ("10^9/L", Decimal("1.0"), Decimal("3.2"))
    assert values["egfr"][1] == "mL/min/1.73m^2" and values["alt"][1:] == ("IU/L", None, Decimal(40))
    assert {"systolic_bp", "diastolic_bp"} <= set(values) and values["hbsag"][0] == "negative"
    assert "hemoglobin" not in values  # entered-in-error
    assert [(c.code, c.status) for c in patient.conditions] == [("nmosd", "active"), ("hepatitis_b", "absent")]
    rituximab, prednisone = patient.medications
    assert (rituximab.status, rituximab.end, prednisone.code) == ("ended", None, "prednisone")
    assert [i.code for i in patient.immunizations] == ["inactivated_influenza_vaccine"]
    assert stats.as_dict()["Observation"] == {"read": 6, "dropped": 1, "warned": 0}
    assert any(w.startswith("Procedure/dental.code:") for w in patient.warnings)
    assert [p.code for p in patient.procedures] == ["mri"]
    assert any(w.startswith("Encounter: 1 resource(s)") and "enc-1" in w for w in patient.warnings)


@pytest.mark.parametrize(
    "rule,truth",
    [
        ("alc >= 1 10^9/L", True),
        ("creatinine < 80 umol/L", True),  # 0.8 mg/dL = 70.7 umol/L, exactly
        ("egfr >= 90 mL/min/1.73m^2", True),
        ("alt <= 1 x ULN", True),
        ("systolic_bp < 120 mmHg", True),
        ("hbsag is negative", True),
        ("has active condition nmosd", True),
        ("has condition hepatitis_b", False),  # refuted
        ("has condition viral_hepatitis", None),  # refuting hepatitis B says nothing of the others
        ("has medication rituximab at least 8 weeks ago", True),  # started 2026-06-01
        ("has medication rituximab within 4 weeks", None),  # ended on a day not known
        ("has medication anti_cd20 within 6 months", True),  # its start is in the window
        ("has medication systemic_corticosteroid within 4 weeks", True),  # ongoing
        ("has immunization live_vaccine within 3 weeks", None),  # BCG not done: dropped
        ("has immunization vaccine within 4 weeks", True),
        ("age >= 41 years", True),
        ("has procedure imaging within 8 weeks", True),
    ],
)
def test_seed_trial_clauses_are_decided_through_mapped_fields(rule, truth):
    patient, _ = read_one(EXAMPLE)
    finding = evaluate_rule(rule, patient.model_dump(exclude_defaults=True), AS_OF)
    assert finding.truth.as_json() is truth


def test_partial_birth_date_leaves_age_unknown_only_where_the_missing_part_matters():
    base = {"id": "x", "birth_partial": "1980-05"}
    assert evaluate_rule("age >= 46 years", base, date(2026, 6, 1)).truth.as_json() is True
    assert evaluate_rule("age >= 46 years", base, date(2026, 5, 15)).truth.as_json() is None
    assert evaluate_rule("age >= 46 years", base, date(2026, 4, 30)).truth.as_json() is False
    assert Patient.model_validate({"id": "y", "birth_partial": "1980"}).birth_range() == (
        date(1980, 1, 1),
        date(1980, 12, 31),
    )


BAD = load_cases("bad_fhir.yaml")


@pytest.mark.parametrize("case", BAD, ids=[c["name"] for c in BAD])
def test_bad_fhir_is_a_clear_error_or_a_warning_naming_the_resource(case, tmp_path: Path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(case["bundle"]), encoding="utf-8")
    (found,) = list(read_patients(path))
    if "error" in case:
        assert isinstance(found, PatientError)
        assert case["error"] in str(found) and str(path) in str(found)
    else:
        assert isinstance(found, Patient)
        assert any(case["warning"] in w for w in found.warnings), found.warnings


needs_synthea = pytest.mark.skipif(not SYNTHEA.is_dir(), reason="../shared/corpus/synthea is not present")
GOLDEN = load_cases("synthea_golden.yaml")


@needs_synthea
@pytest.mark.parametrize("case", GOLDEN, ids=[c["file"][:12] for c in GOLDEN])
def test_synthea_bundles_golden_counts_and_verdicts(case):
    patient, stats = read_one(SYNTHEA / case["file"])
    assert patient.id == case["patient"]
    assert stats.as_dict() == case["counts"]
    report = Screener(load_trials([bundled_rules_dir()])).screen(patient, fallback=date(2025, 9, 19))
    assert {r.label: str(r.verdict) for r in report.results} == case["verdicts"]


@needs_synthea
def test_synthea_targets_every_resource_mapped_or_warned_numeric_observations_and_immunizations():
    numeric = mapped = immunizations = 0
    for path in sorted(SYNTHEA.glob("[A-Z]*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        patient, stats = read_one(path)
        counted = stats.as_dict()
        for kind, n in counted.items():
            present = sum(1 for e in bundle["entry"] if e["resource"]["resourceType"] == kind)
            assert n["read"] + n["dropped"] + n["warned"] == present, kind
        numeric += sum(
            "valueQuantity" in part
            for e in bundle["entry"]
            if e["resource"]["resourceType"] == "Observation"
            for part in [e["resource"], *e["resource"].get("component", [])]
        )
        mapped += sum(not isinstance(o.value, str) for o in patient.observations)
        immunizations += len(patient.immunizations)
    assert mapped / numeric >= 0.95
    assert immunizations == 51


BULK = ROOT / "examples" / "fhir" / "bulk-export"


def test_bulk_export_folder_is_grouped_by_patient_like_bundles(tmp_path: Path):
    from eligibility.patient.fhir_write import bundle

    found = [p for p, _ in read_fhir(BULK, default_vocabulary())]
    assert [p.id for p in found] == ["S7-000000", "S7-000001", "S7-000002"]
    for patient in found:  # the same patient written as one bundle reads back the same
        path = tmp_path / f"{patient.id}.json"
        path.write_text(json.dumps(bundle(patient, default_vocabulary())), encoding="utf-8")
        again, _ = read_one(path)
        assert again == patient
    # an NDJSON file of bundles, and a folder of bundles, give the same patients
    lines = "\n".join((tmp_path / f"{p.id}.json").read_text(encoding="utf-8") for p in found)
    (tmp_path / "all.ndjson").write_text(lines + "\n", encoding="utf-8")
    assert [p for p, _ in read_fhir(tmp_path / "all.ndjson", default_vocabulary())] == found
    (tmp_path / "all.ndjson").unlink()
    assert list(read_patients(tmp_path)) == found


def test_bulk_export_reports_broken_references_and_bad_lines_and_reads_the_rest(tmp_path: Path):
    for source in BULK.iterdir():
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    orphan = {
        "resourceType": "Condition",
        "id": "orphan",
        "subject": {"reference": "Patient/ghost"},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G35"}]},
    }
    with (tmp_path / "Condition.ndjson").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(orphan) + "\n{not json\n")
    found = list(read_patients(tmp_path))
    errors = [str(e) for e in found if isinstance(e, PatientError)]
    assert len(found) == 5 and len(errors) == 2
    assert any("Condition.ndjson:" in e and "invalid JSON" in e for e in errors)
    assert any("Patient/ghost" in e and "Condition/orphan" in e for e in errors)


def test_cli_screens_a_bundle_and_converts_for_audit(tmp_path: Path):
    import subprocess

    from conftest import CLI

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    screened = subprocess.run(
        [*CLI, "screen", str(EXAMPLE), "--as-of", "2026-11-01", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    report = json.loads(screened.stdout)
    assert report["patient"] == "fhir-nmosd-1" and any("Encounter" in w for w in report["warnings"])
    out = tmp_path / "patients.jsonl"
    converted = subprocess.run(
        [*CLI, "convert", str(EXAMPLE), str(BULK), "-o", str(out)], capture_output=True, text=True, env=env, check=True
    )
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()][:2] == ["fhir-nmosd-1", "S7-000000"]
    assert "Observation: read 77, dropped 1, not read 0" in converted.stderr


@pytest.mark.parametrize(
    "line,expected",
    [
        (
            '{"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/p1"}}',
            ("Observation", "Patient/p1", "Observation/o1"),
        ),
        ('{"resourceType": "Patient", "id": "p1"}', ("Patient", None, "Patient/p1")),
        ('{"resourceType": "Medication", "id": "m1", "code": {"text": "x"}}', ("Medication", None, "Medication/m1")),
        # not in the usual shape: parsed in full, so a nested subject is not taken for the resource's own
        (
            '{"id": "o2", "resourceType": "Observation", "subject": {"reference": "Patient/p2"}}',
            ("Observation", "Patient/p2", "Observation/o2"),
        ),
        (
            '{"resourceType": "Observation", "id": "o3", "contained": [{"resourceType": "Observation", "id": "c", '
            '"subject": {"reference": "Patient/x"}}], "subject": {"reference": "Patient/p3"}}',
            ("Observation", "Patient/p3", "Observation/o3"),
        ),
    ],
)
def test_export_lines_are_routed_to_their_own_patient(line, expected):
    from eligibility.patient.fhir_read import _route

    assert _route(line.encode(), "x.ndjson", 1) == expected


@given(
    start=st.integers(0, 800),
    op=st.sampled_from(["within", "at least", "more than", "less than"]),
    amount=st.integers(1, 30),
    unit=st.sampled_from(["days", "weeks", "months"]),
)
def test_ended_medication_with_unknown_end_is_decided_only_where_every_possible_end_agrees(start, op, amount, unit):
    """Law: "ended, date unknown" decides a window exactly when ending on its start day and ending on the
    reference date give the same answer; otherwise it is unknown."""
    began = AS_OF - timedelta(days=start)
    suffix = "" if op == "within" else " ago"
    rule = f"has medication rituximab {op} {amount} {unit}{suffix}"

    def truth(record: dict):
        return evaluate_rule(rule, {"id": "x", "medications": [record]}, AS_OF).truth.as_json()

    earliest = truth({"code": "rituximab", "start": began, "end": began})
    latest = truth({"code": "rituximab", "start": began, "end": AS_OF})
    unknown_end = truth({"code": "rituximab", "start": began, "status": "ended"})
    assert unknown_end == (earliest if earliest == latest else None)


def test_a_folder_may_mix_contract_patients_and_fhir_bundles(tmp_path: Path):
    (tmp_path / "a.json").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"id": "plain", "sex": "male"}), encoding="utf-8")
    assert [p.id for p in read_patients(tmp_path)] == ["fhir-nmosd-1", "plain"]
