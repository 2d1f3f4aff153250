"""The patient contract written as FHIR R4 (a ``collection`` Bundle, or one resource per line for a Bulk Data
export), for tests, benchmarks and examples: what the contract can express in FHIR is written so that reading
it back gives the same patient (codes as canonical ids, units in canonical spelling).

Not expressible in FHIR, so not written: ``as_of``, ``age`` without a birth date, ``events`` and ``complete``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from eligibility.errors import UnitError
from eligibility.patient.contract import Patient
from eligibility.patient.fhir_doses import PERIOD_UNITS
from eligibility.patient.fhir_values import UCUM
from eligibility.vocab.codes import CVX, ICD10CM, ICD10PCS, LOINC, RXNORM, SNOMED
from eligibility.vocab.ucum import ucum_to_canonical
from eligibility.vocab.units import canonical_unit
from eligibility.vocab.vocabulary import Vocabulary

_SYSTEMS = {
    "condition": (SNOMED, ICD10CM),
    "medication": (RXNORM,),
    "procedure": (SNOMED, ICD10PCS),
    "immunization": (CVX,),
}
# Canonical atoms whose UCUM spelling differs (see eligibility.vocab.ucum for the other direction).
_UCUM_ATOMS = {
    "1.73m^2": "{1.73_m2}",
    "IU": "[IU]",
    "mIU": "m[IU]",
    "uIU": "u[IU]",
    "kIU": "k[IU]",
    "mmHg": "mm[Hg]",
    "cmH2O": "cm[H2O]",
    "degC": "Cel",
    "degF": "[degF]",
    "day": "d",
    "week": "wk",
    "month": "mo",
    "year": "a",
    "cells": "{cells}",
    "copies": "{copies}",
    "Eq": "eq",
    "mEq": "meq",
    "bpm": "/min",
    "lb": "[lb_av]",
    "in": "[in_i]",
    "ft": "[ft_i]",
}


def ucum_code(unit: str) -> str | None:
    """The UCUM code of a unit (any clinical spelling), or None when it has none that reads back the same."""
    canonical = canonical_unit(unit)
    match = re.match(r"^10\^(-?\d+)\*?", canonical)
    scale = f"10*{match.group(1)}" if match else ""
    parts = canonical[match.end() if match else 0 :].split("/")
    head = ".".join(a for a in (scale, _ucum_atom(parts[0]) if parts[0] else "") if a)
    code = head + "".join("/" + _ucum_atom(p) for p in parts[1:])
    try:
        return code if ucum_to_canonical(code) == canonical else None
    except UnitError:
        return None


def _ucum_atom(atom: str) -> str:
    if atom in _UCUM_ATOMS:
        return _UCUM_ATOMS[atom]
    base, _, power = atom.partition("^")
    return _UCUM_ATOMS.get(base, base) + power


def bundle(patient: Patient, vocabulary: Vocabulary) -> dict:
    """A ``collection`` Bundle holding the patient and their records."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources(patient, vocabulary)],
    }


def resources(patient: Patient, vocabulary: Vocabulary) -> list[dict]:
    """The Patient resource, then one resource per record (ids ``<patient>-<kind>-<n>``)."""
    person: dict[str, Any] = {"resourceType": "Patient", "id": patient.id}
    if patient.birth_date or patient.birth_partial:
        person["birthDate"] = str(patient.birth_date or patient.birth_partial)
    if patient.sex:
        person["gender"] = patient.sex
    subject = {"reference": f"Patient/{patient.id}"}
    found = [person]
    for n, observation in enumerate(patient.observations):
        found.append(_observation(observation, vocabulary, subject, f"{patient.id}-obs-{n}"))
    for n, condition in enumerate(patient.conditions):
        found.append(_condition(condition, vocabulary, subject, f"{patient.id}-cond-{n}"))
    for n, medication in enumerate(patient.medications):
        found.append(_medication(medication, vocabulary, subject, f"{patient.id}-med-{n}"))
    for n, record in enumerate(patient.procedures):
        found.append(
            _dated(
                "Procedure",
                "code",
                "performedDateTime",
                record,
                vocabulary,
                {"subject": subject},
                f"{patient.id}-proc-{n}",
            )
        )
    for n, record in enumerate(patient.immunizations):
        found.append(
            _dated(
                "Immunization",
                "vaccineCode",
                "occurrenceDateTime",
                record,
                vocabulary,
                {"patient": subject},
                f"{patient.id}-imm-{n}",
            )
        )
    return found


def _concept(name: str, category: str, vocabulary: Vocabulary) -> dict:
    concept = vocabulary.concept(name, category)
    if concept is None:
        return {"text": name}
    for system in _SYSTEMS[category]:
        codes = [
            c
            for c in vocabulary.codes.codes_of(system, concept.id)
            if [x.id for x in vocabulary.concepts_for_code(system, c, category)] == [concept.id]
        ]
        if codes:
            return {"coding": [{"system": system, "code": codes[0]}], "text": concept.id}
    return {"text": concept.id}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _quantity(value: Decimal, unit: str) -> dict:
    code = ucum_code(unit)
    quantity: dict[str, Any] = {"value": _number(value), "unit": unit}
    if code is not None:
        quantity.update(system=UCUM, code=code)
    return quantity


def _observation(observation, vocabulary: Vocabulary, subject: dict, ident: str) -> dict:
    measure = vocabulary.measure(observation.code)
    code = measure.loinc if measure and measure.loinc else None
    if measure and not code:
        code = next(iter(vocabulary.codes.codes_of(LOINC, measure.id)), None)
    concept = {"coding": [{"system": LOINC, "code": code}]} if code else {"text": observation.code}
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "code": concept,
        "subject": subject,
        "effectiveDateTime": observation.date.isoformat(),
    }
    if isinstance(observation.value, str):
        resource["valueString"] = observation.value
        return resource
    resource["valueQuantity"] = _quantity(observation.value, observation.unit)
    limits = {k: _quantity(v, observation.unit) for k in ("low", "high") if (v := getattr(observation, k)) is not None}
    if limits:
        resource["referenceRange"] = [limits]
    return resource


def _condition(condition, vocabulary: Vocabulary, subject: dict, ident: str) -> dict:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": ident,
        "subject": subject,
        "code": _concept(condition.code, "condition", vocabulary),
    }
    if condition.status == "absent":
        resource["verificationStatus"] = {"coding": [{"code": "refuted"}]}
    else:
        resource["clinicalStatus"] = {"coding": [{"code": condition.status}]}
    _put_date(resource, "onsetDateTime", condition.onset)
    _put_date(resource, "abatementDateTime", condition.end)
    return resource


def _medication(medication, vocabulary: Vocabulary, subject: dict, ident: str) -> dict:
    ended = medication.status == "ended" or medication.end is not None
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": ident,
        "status": "completed" if ended else "active",
        "subject": subject,
        "medicationCodeableConcept": _concept(medication.code, "medication", vocabulary),
    }
    period = {k: v.isoformat() for k, v in (("start", medication.start), ("end", medication.end)) if v}
    if period:
        resource["effectivePeriod"] = period
    if medication.dose is not None:
        resource["dosage"] = write_dosage(medication.dose)
    return resource


def write_dosage(dose) -> list[dict]:
    """The FHIR ``dosage`` of a contract dose (once per period), which ``fhir_doses.read_dose`` reads back."""
    period = next(code for code, word in PERIOD_UNITS.items() if word == dose.per)
    timing = {"repeat": {"frequency": 1, "period": 1, "periodUnit": period}}
    return [{"timing": timing, "doseAndRate": [{"doseQuantity": _quantity(dose.value, dose.unit)}]}]


def _dated(kind: str, field: str, when: str, record, vocabulary: Vocabulary, owner: dict, ident: str) -> dict:
    category = "procedure" if kind == "Procedure" else "immunization"
    resource = {
        "resourceType": kind,
        "id": ident,
        "status": "completed",
        **owner,
        field: _concept(record.code, category, vocabulary),
    }
    _put_date(resource, when, record.date)
    return resource


def _put_date(resource: dict, field: str, value: dt.date | None) -> None:
    if value is not None:
        resource[field] = value.isoformat()
