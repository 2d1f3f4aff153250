"""The same patient as contract JSON and as FHIR: JSON → FHIR → patient gives back the original (for what the
contract can express in FHIR), and every example patient gets the same verdicts from FHIR as from its JSON."""

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility.patient.contract import Patient
from eligibility.patient.fhir import fhir_patient
from eligibility.patient.fhir_read import bundle_groups
from eligibility.patient.fhir_write import bundle
from eligibility.resources import bundled_rules_dir
from eligibility.screen.screener import Screener
from eligibility.trials.load import load_trials

from conftest import ROOT
from strategies import AS_OF, NUMERIC_MEASURES, VOCABULARY, canonical_values, dates, units_of

NOT_IN_FHIR = ("as_of", "age", "events", "complete")


def through_fhir(patient: Patient) -> Patient:
    text = json.dumps(bundle(patient, VOCABULARY))
    (group,) = bundle_groups(json.loads(text, parse_float=__import__("decimal").Decimal), "generated.json")
    found, _ = fhir_patient(group, VOCABULARY)
    return found


def _ids(category: str) -> list[str]:
    return sorted(c.id for c in VOCABULARY.concepts.values() if c.category == category)


QUALITATIVE = sorted(m.id for m in VOCABULARY.measures.values() if m.qualitative)
recent = st.integers(0, 400).map(lambda n: AS_OF - timedelta(days=n))


@st.composite
def observations(draw):
    if draw(st.booleans()):
        measure = draw(st.sampled_from(QUALITATIVE))
        return {
            "code": measure,
            "value": draw(st.sampled_from(VOCABULARY.measures[measure].values)),
            "date": draw(recent),
        }
    measure = draw(st.sampled_from(NUMERIC_MEASURES))
    unit, _ = draw(st.sampled_from(units_of(measure)))
    record = {"code": measure, "value": draw(canonical_values), "unit": unit, "date": draw(recent)}
    if draw(st.booleans()):
        record["high"] = draw(canonical_values)
    return record


@st.composite
def conditions(draw):
    status = draw(st.sampled_from(["active", "resolved", "absent"]))
    record = {"code": draw(st.sampled_from(_ids("condition"))), "status": status}
    if draw(st.booleans()):
        record["onset"] = draw(dates)
        if status == "resolved" and draw(st.booleans()):
            record["end"] = record["onset"] + timedelta(days=draw(st.integers(0, 900)))
    return record


@st.composite
def medications(draw):
    record = {"code": draw(st.sampled_from(_ids("medication")))}
    if draw(st.booleans()):
        record["start"] = draw(dates)
    if draw(st.booleans()):
        record["end"] = record.get("start", date(1990, 1, 1)) + timedelta(days=draw(st.integers(0, 900)))
    elif draw(st.booleans()):
        record["status"] = "ended"
    if draw(st.booleans()):  # a dose, written as FHIR dosage once per period and read back
        value, unit = draw(st.sampled_from([("20", "mg"), ("0.5", "g"), ("2.5", "mg/kg"), ("250", "ug")]))
        record["dose"] = {"value": value, "unit": unit, "per": draw(st.sampled_from(["hour", "day", "week"]))}
    return record


def dated(category: str):
    return st.builds(
        lambda c, d: {"code": c, **({"date": d} if d else {})}, st.sampled_from(_ids(category)), st.none() | dates
    )


@st.composite
def fhir_patients(draw) -> Patient:
    data = {
        "id": "P-1",
        "sex": draw(st.sampled_from(["female", "male", None])),
        "observations": draw(st.lists(observations(), max_size=5)),
        "conditions": draw(st.lists(conditions(), max_size=4)),
        "medications": draw(st.lists(medications(), max_size=4)),
        "procedures": draw(st.lists(dated("procedure"), max_size=3)),
        "immunizations": draw(st.lists(dated("immunization"), max_size=3)),
    }
    birth = draw(st.sampled_from(["day", "month", "year", None]))
    when = draw(st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31)))
    if birth == "day":
        data["birth_date"] = when
    elif birth:
        data["birth_partial"] = when.isoformat()[: 7 if birth == "month" else 4]
    return Patient.model_validate({k: v for k, v in data.items() if v is not None})


@given(fhir_patients())
def test_json_to_fhir_to_patient_gives_back_the_original(patient):
    back = through_fhir(patient)
    undated = sum(r.date is None for r in (*patient.procedures, *patient.immunizations))
    partial = patient.birth_partial is not None
    assert len(back.warnings) == undated + partial
    assert all("no date; used as undated" in w or "birthDate" in w for w in back.warnings)
    assert back.model_dump(exclude={"warnings"}) == patient.model_dump(exclude={"warnings"})


EXAMPLES = sorted((ROOT / "examples" / "patients").glob("*.json"))
SCREENER = Screener(load_trials([bundled_rules_dir()]))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_patients_get_the_same_verdicts_from_fhir_as_from_json(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))
    on = date.fromisoformat(data["as_of"])
    equivalent = Patient.model_validate({k: v for k, v in data.items() if k not in NOT_IN_FHIR})
    from_fhir = through_fhir(Patient.model_validate(data))
    assert from_fhir.warnings == ()

    def outcomes(patient):
        report = SCREENER.screen(patient, fallback=on)
        return [(r.label, r.verdict, [(c.clause.id, c.outcome) for c in r.clauses]) for r in report.results]

    assert outcomes(from_fhir) == outcomes(equivalent)
