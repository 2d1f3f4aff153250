"""FHIR fields of the wrong JSON type: a warning naming the resource and the field (or, for the Patient itself, an
error naming the file), never a traceback; every resource still mapped or named."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from eligibility.errors import EligibilityError, PatientError
from eligibility.patient.contract import Patient
from eligibility.patient.fhir_read import read_fhir
from eligibility.vocab.vocabulary import default_vocabulary

from conftest import CLI, ROOT

EXAMPLE = ROOT / "examples" / "fhir" / "nmosd-bundle.json"
SYNTHEA = Path(os.environ.get("ELIGIBILITY_SHARED", ROOT.parent / "shared")) / "corpus" / "synthea"
VOCABULARY = default_vocabulary()


def _bases() -> list[dict]:
    """The example bundle, and the first resources of each type of one Synthea bundle when it is present."""
    bases = [json.loads(EXAMPLE.read_text(encoding="utf-8"))]
    found = sorted(SYNTHEA.glob("*.json")) if SYNTHEA.is_dir() else []
    bundles = [p for p in found if p.name != "index.json"]
    if bundles:
        whole = json.loads(bundles[0].read_text(encoding="utf-8"))
        per_type: Counter = Counter()
        entries = []
        for entry in whole["entry"]:
            kind = entry["resource"]["resourceType"]
            per_type[kind] += 1
            if per_type[kind] <= 4 or kind in ("Patient", "Medication"):
                entries.append(entry)
        bases.append({**whole, "entry": entries})
    return bases


BASES = _bases()
WRONG = st.sampled_from(
    ["text", "", 7, -1.5, 0, True, False, None, [], {}, ["final"], [1, 2], {"x": 1}, {"coding": "x"}, [{"x": []}]]
)


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every place inside a resource (but its resourceType and id)."""
    found: list[tuple] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        if prefix == () and key in ("resourceType", "id"):
            continue
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


def _read(bundle: dict) -> list:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.json"
        path.write_text(json.dumps(bundle), encoding="utf-8")
        return list(read_fhir(path, VOCABULARY))


def _named(patient: Patient, kind: str, ident: str) -> bool:
    return any(f"{kind}/{ident}" in w or (w.startswith(f"{kind}:") and ident in w) for w in patient.warnings)


BASELINES = [_read(b)[0][1] for b in BASES]


@given(st.data())
def test_a_field_of_the_wrong_json_type_is_mapped_or_named_never_a_traceback(data):
    which = data.draw(st.integers(0, len(BASES) - 1))
    bundle = copy.deepcopy(BASES[which])
    position = data.draw(st.integers(0, len(bundle["entry"]) - 1))
    resource = bundle["entry"][position]["resource"]
    path = data.draw(st.sampled_from(_paths(resource)))
    target = resource
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = data.draw(WRONG)
    try:
        results = _read(bundle)
    except EligibilityError:
        return
    ((found, stats),) = results
    kind, ident = resource["resourceType"], resource["id"]
    if isinstance(found, PatientError):
        assert "bundle.json" in str(found)
        return
    assert isinstance(found, Patient)
    baseline = BASELINES[which]
    used = stats.read[kind] + stats.dropped[kind]
    assert used >= baseline.read[kind] + baseline.dropped[kind] or _named(found, kind, ident), (path, found.warnings)


def _bundle(resource: dict) -> dict:
    patient = {"resourceType": "Patient", "id": "p", "birthDate": "1980-01-01", "gender": "female"}
    base = {"id": "obs-1", "subject": {"reference": "Patient/p"}}
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": patient}, {"resource": {**base, **resource}}],
    }


HB = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
    "effectiveDateTime": "2026-10-01",
    "valueQuantity": {"value": 12, "system": "http://unitsofmeasure.org", "code": "g/dL"},
}


def test_status_as_a_list_is_a_warning_naming_the_observation_and_field():
    ((patient, stats),) = _read(_bundle({**HB, "status": ["final"]}))
    assert "Observation/obs-1.status: a list where text is expected; not used" in patient.warnings
    assert (patient.sex, patient.observations, stats.warned["Observation"]) == ("female", (), 1)


def test_component_not_a_list_is_a_warning_naming_the_field():
    ((patient, _),) = _read(_bundle({**HB, "component": {"code": {}}}))
    assert "Observation/obs-1.component: an object where a list is expected; not used" in patient.warnings
    assert patient.observations == ()


def test_reference_range_as_an_object_keeps_the_value_without_limits():
    ((patient, _),) = _read(_bundle({**HB, "referenceRange": {"low": {"value": 12}}}))
    assert "Observation/obs-1.referenceRange: an object where a list is expected; not used" in patient.warnings
    ((code, value, low),) = [(o.code, o.value, o.low) for o in patient.observations]
    assert (code, value, low) == ("hemoglobin", 12, None)


def test_a_bad_component_is_skipped_and_the_good_one_read():
    blood_pressure = {
        **HB,
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "valueQuantity": None,
        "component": [
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                "valueQuantity": {"value": 120, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"},
            },
            {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]}, "valueQuantity": "80 mmHg"},
        ],
    }
    ((patient, _),) = _read(_bundle(blood_pressure))
    assert [o.code for o in patient.observations] == ["systolic_bp"]
    assert "Observation/obs-1.component[1].valueQuantity: text where an object is expected; not used" in (
        patient.warnings
    )


def test_a_patient_id_that_is_not_text_is_an_error_naming_the_file():
    bundle = _bundle(HB)
    bundle["entry"][0]["resource"]["id"] = ["p"]
    ((error, _),) = _read(bundle)
    assert isinstance(error, PatientError) and "is not text" in str(error) and "bundle.json" in str(error)


def test_cli_screen_of_a_bundle_with_wrong_types_warns_without_a_traceback(tmp_path: Path):
    bad = _bundle({**HB, "status": ["final"], "referenceRange": {"low": 1}})
    bad["entry"].append({"resource": {"resourceType": "Condition", "id": "c", "code": "nmosd", "onsetPeriod": 3}})
    path = tmp_path / "bad_bundle.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    result = subprocess.run(
        [*CLI, "screen", str(path), "--format", "summary", "--trial", "NCT05828212"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 0, result.stderr
    shown = result.stderr + result.stdout
    assert "Observation/obs-1.status" in shown and "Condition/c.code" in shown, shown
