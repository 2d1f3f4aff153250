"""FHIR read fast and strictly: every line, bundle and NDJSON of bundles goes through the input boundary's
limits (the same errors as any JSON input, naming file and line, the rest still read), and the one-pass
mapping of the usual observation gives exactly what the general mapping gives."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility.errors import PatientError
from eligibility.inputs import MAX_DEPTH
from eligibility.patient.fhir import FhirStats
from eligibility.patient.fhir_plain import measures_of, plain_observation
from eligibility.patient.fhir_read import read_fhir
from eligibility.patient.fhir_records import Mapper
from eligibility.vocab.vocabulary import default_vocabulary

from conftest import ROOT

BULK = ROOT / "examples" / "fhir" / "bulk-export"
UCUM = "http://unitsofmeasure.org"
FIRST_OBSERVATION = json.loads((BULK / "Observation.ndjson").read_text(encoding="utf-8").splitlines()[0])


def _replace_first_observation(folder: Path, line: bytes) -> None:
    path = folder / "Observation.ndjson"
    lines = path.read_bytes().splitlines()
    path.write_bytes(b"\n".join([line, *lines[1:]]) + b"\n")


def _line(**changes: object) -> bytes:
    return json.dumps({**FIRST_OBSERVATION, **changes}, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    "line,message",
    [
        (_line(extension=json.loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))), "nested more than 64 deep"),
        (_line()[:-1] + b', "extension": [{"valueDecimal": 1e400}]}', "out of range"),
        (_line()[:-1] + b', "note": [{"text": "x"}], "note": []}', "duplicate key 'note'"),
        (_line()[:-1] + b', "extension": [{"valueDecimal": NaN}]}', "NaN is not a number"),
        (_line(status="fin\u00e9l").replace("\u00e9".encode(), b"\xe9"), "is not UTF-8"),
        (_line()[:-3], "invalid JSON"),
        (_line(note=[{"text": "x" * 100_001}]), "100,001 characters"),
    ],
)
def test_a_bad_export_line_is_an_error_naming_file_and_line_and_the_rest_is_read(tmp_path: Path, line, message):
    for source in BULK.iterdir():
        (tmp_path / source.name).write_bytes(source.read_bytes())
    _replace_first_observation(tmp_path, line)
    found = list(read_fhir(tmp_path, default_vocabulary()))
    errors = [str(item) for item, _ in found if isinstance(item, PatientError)]
    assert len(errors) == 1 and message in errors[0], errors
    assert errors[0].startswith(f"{tmp_path / 'Observation.ndjson'}:1")
    patients = [item for item, _ in found if not isinstance(item, PatientError)]
    assert [p.id for p in patients] == ["S7-000000", "S7-000001", "S7-000002"]
    whole = [p for p, _ in read_fhir(BULK, default_vocabulary())]
    assert sum(len(p.observations) for p in patients) == sum(len(p.observations) for p in whole) - 1


def test_bundles_and_ndjson_of_bundles_are_read_within_the_limits(tmp_path: Path):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient"}}]}
    text = json.dumps(bundle)
    (tmp_path / "one.json").write_text(text[:-1] + ', "type": "batch"}', encoding="utf-8")
    ((error, _),) = read_fhir(tmp_path / "one.json", default_vocabulary())
    assert str(error).startswith(f"{tmp_path / 'one.json'}:") and "duplicate key 'type'" in str(error)
    good = json.dumps({**bundle, "entry": [{"resource": {"resourceType": "Patient", "id": "p"}}]})
    (tmp_path / "many.ndjson").write_text(f"{good}\n{text[:-2]}\n{good}\n", encoding="utf-8")
    found = [item for item, _ in read_fhir(tmp_path / "many.ndjson", default_vocabulary())]
    assert [getattr(item, "id", None) for item in found] == ["p", None, "p"]
    assert str(found[1]).startswith(f"{tmp_path / 'many.ndjson'}:2:") and "invalid JSON" in str(found[1])


# --- the one-pass mapping of the usual observation -----------------------------------------------------------


def _quantity(value: object, unit: str | None) -> dict:
    return {"value": value, "system": UCUM, "code": unit, "unit": unit}


_UNITS = st.sampled_from(["10*9/L", "g/dL", "g/L", "mm[Hg]", "", None, "grams per dl", "10*3/uL"])
_VALUES = st.sampled_from([Decimal("1.5"), 12, 0, -1, Decimal("-0"), Decimal("0.00"), True, "3", None])
_CODES = st.sampled_from(["6690-2", "718-7", "5196-1", "0000-0", "777-3"])  # wbc, hemoglobin, HBsAg, unknown


@st.composite
def _observations(draw: st.DrawFn) -> dict:
    unit = draw(_UNITS)
    resource = {
        "resourceType": "Observation",
        "id": "o1",
        "status": draw(st.sampled_from(["final", "amended", "corrected", "preliminary", "cancelled", "registered"])),
        "code": {
            "coding": [{"system": draw(st.sampled_from(["http://loinc.org", "urn:other"])), "code": draw(_CODES)}]
        },
        "effectiveDateTime": draw(st.sampled_from(["2026-10-01", "2026-10-01T08:00:00Z", "2026-13-01", "2026-10"])),
        "valueQuantity": _quantity(draw(_VALUES), unit),
    }
    if draw(st.booleans()):
        resource["valueQuantity"]["comparator"] = "<"
    ranges = draw(st.sampled_from(["none", "empty", "same", "other unit", "no unit", "not a list", "low only"]))
    limits = {
        "same": {"low": _quantity(Decimal("0.5"), unit), "high": _quantity(20, unit)},
        "other unit": {"low": _quantity(1, "mg/dL")},
        "no unit": {"high": {"value": Decimal("4.5")}},
        "low only": {"low": _quantity(draw(_VALUES), unit)},
    }
    if ranges == "empty":
        resource["referenceRange"] = []
    elif ranges in limits:
        resource["referenceRange"] = [limits[ranges]]
    for field in draw(st.sets(st.sampled_from(["effectiveDateTime", "valueQuantity", "code", "status"]))):
        if draw(st.booleans()):
            del resource[field]
    if draw(st.booleans()):
        resource["component"] = draw(st.sampled_from([[], [{"code": resource.get("code")}]]))
    return resource


def _general(resource: dict) -> tuple[list[dict], list[str], FhirStats]:
    stats = FhirStats()
    mapper = Mapper(default_vocabulary(), {}, stats)
    mapper.observation(resource)
    return mapper.lists["observations"], mapper.warnings, stats


@given(_observations())
def test_the_usual_observation_read_in_one_pass_is_what_the_general_mapping_reads(resource: dict):
    vocabulary = default_vocabulary()
    plain = plain_observation(resource, vocabulary, measures_of(vocabulary))
    if plain is not None:
        records, warnings, stats = _general(resource)
        assert (records, warnings, stats.as_dict()) == ([plain], [], {"Observation": _READ_ONE})


_READ_ONE = {"read": 1, "dropped": 0, "warned": 0}


def test_the_usual_observations_of_the_example_export_are_read_in_one_pass():
    vocabulary = default_vocabulary()
    lines = (BULK / "Observation.ndjson").read_text(encoding="utf-8").splitlines()
    resources = [json.loads(line, parse_float=Decimal) for line in lines]
    plain = [plain_observation(r, vocabulary, measures_of(vocabulary)) for r in resources]
    assert sum(p is not None for p in plain) >= 0.8 * len(resources)
    for resource, record in zip(resources, plain, strict=True):
        if record is not None:
            assert _general(resource)[0] == [record]
