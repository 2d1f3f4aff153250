"""FHIR R4 resources of one patient → the patient contract (:class:`eligibility.patient.contract.Patient`).

Every resource is either mapped or reported: what is not read becomes a warning naming the resource type, id
and field (kept in the patient's ``warnings``), and :class:`FhirStats` counts per resource type how many were
read, dropped (entered in error, cancelled, not done, refuted duplicates) or warned about. The mapping rules are
listed in the README ("Reading FHIR").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from eligibility.errors import Location, PatientError
from eligibility.patient.contract import Patient
from eligibility.patient.fhir_plain import measures_of, plain_observation
from eligibility.patient.fhir_records import Mapper
from eligibility.patient.fhir_values import (
    FhirValueError,
    FieldTypeError,
    full_date_or_warn,
    parse_date,
    patient_reference,
)
from eligibility.validation import problems
from eligibility.vocab.vocabulary import Vocabulary

SHARED_TYPES = {"Medication", "Organization", "Practitioner", "PractitionerRole", "Location", "Substance"}


@dataclass
class FhirStats:
    """Per resource type: resources read (used), dropped (on purpose) and warned about (not read)."""

    read: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    warned: Counter = field(default_factory=Counter)

    def add(self, other: FhirStats) -> None:
        """Add another patient's counts."""
        self.read.update(other.read)
        self.dropped.update(other.dropped)
        self.warned.update(other.warned)

    def as_dict(self) -> dict[str, dict[str, int]]:
        """``{type: {"read": n, "dropped": n, "warned": n}}``, sorted by type."""
        types = sorted(set(self.read) | set(self.dropped) | set(self.warned))
        return {t: {"read": self.read[t], "dropped": self.dropped[t], "warned": self.warned[t]} for t in types}


@dataclass
class PatientResources:
    """One patient's resources, and the shared ones (Medication, …) references may point to."""

    patient: dict
    resources: list[dict]
    shared: dict[str, dict]
    source: str


def fhir_patient(group: PatientResources, vocabulary: Vocabulary) -> tuple[Patient, FhirStats]:
    """The contract patient of one patient's resources, with the conversion's counts.

    :class:`PatientError` (naming the file and the Patient resource) when the Patient itself cannot be read.
    """
    stats = FhirStats()
    mapper = Mapper(vocabulary, group.shared, stats)
    document = _person(group.patient, group.source, mapper)
    mapper.birth = document.get("birth_date")
    stats.read["Patient"] += 1
    handlers: dict[str, Callable[[dict], None]] = {
        "Observation": mapper.observation,
        "Condition": mapper.condition,
        "MedicationRequest": mapper.medication,
        "MedicationStatement": mapper.medication,
        "MedicationAdministration": mapper.medication,
        "Procedure": mapper.procedure,
        "Immunization": mapper.immunization,
        "Medication": mapper.shared_medication,
    }
    ignored: dict[str, list[str]] = {}
    observations, measures, plain = mapper.lists["observations"], measures_of(vocabulary), 0
    for resource in group.resources:
        kind = resource.get("resourceType", "")
        if kind == "Observation" and (record := plain_observation(resource, vocabulary, measures)) is not None:
            observations.append(record)  # the usual shape, read in one pass (nothing to warn about)
            plain += 1
            continue
        handler = handlers.get(kind)
        if handler is None:
            ignored.setdefault(kind, []).append(str(resource.get("id", "?")))
            stats.warned[kind] += 1
            continue
        _guarded(handler, resource, mapper)
    if plain:
        stats.read["Observation"] += plain
    for kind, ids in sorted(ignored.items()):
        mapper.warnings.append(f"{kind}: {len(ids)} resource(s) not read (not used for screening): {', '.join(ids)}")
    document.update(mapper.records())
    document["warnings"] = mapper.warnings
    try:
        return Patient.model_validate(document), stats
    except ValidationError as exc:
        found = problems(exc)[0]
        raise PatientError(
            f"Patient/{document['id']}: {found.message}",
            location=Location(group.source, where=found.place),
            hint=found.hint,
        ) from None


_WRONG_SHAPE = (TypeError, AttributeError, KeyError, IndexError, ValueError, ArithmeticError)


def _guarded(handler: Callable[[dict], None], resource: dict, mapper: Mapper) -> None:
    """Map one resource; a field of the wrong JSON type makes it a warning naming the resource and the field."""
    name = f"{resource.get('resourceType')}/{resource.get('id', '?')}"
    try:
        handler(resource)
    except FieldTypeError as exc:
        mapper.warnings.append(f"{name}.{exc.field}: {exc}; not used")
        mapper.stats.warned[resource["resourceType"]] += 1
    except _WRONG_SHAPE as exc:  # a shape no typed field read foresaw: still a warning, never a traceback
        mapper.warnings.append(f"{name}: cannot be read ({type(exc).__name__}: {exc}); not used")
        mapper.stats.warned[resource["resourceType"]] += 1


def _person(resource: dict, source: str, mapper: Mapper) -> dict[str, Any]:
    ident = resource.get("id")
    if not ident or type(ident) is not str:
        raise PatientError(
            "a Patient resource has no id" if not ident else f"Patient id {ident!r} is not text",
            location=Location(source),
            hint="give the Patient an id (text)",
        )
    document: dict[str, Any] = {"id": ident}
    place = f"Patient/{ident}"
    try:
        birth, precision = parse_date(resource.get("birthDate"))
    except FhirValueError as exc:
        raise PatientError(
            f"{place}.birthDate: {exc}",
            location=Location(source, where=place),
            hint="write the birth date as YYYY-MM-DD, YYYY-MM or YYYY",
        ) from None
    if birth is not None:
        if precision == "day":
            document["birth_date"] = birth
        else:
            document["birth_partial"] = resource["birthDate"][: 4 if precision == "year" else 7]
            mapper.warnings.append(
                f"{place}.birthDate: {resource['birthDate']!r} has no day; ages are computed "
                "over every possible birthday"
            )
    gender = resource.get("gender")
    if gender in ("male", "female"):
        document["sex"] = gender
    elif gender is not None:
        mapper.warnings.append(f"{place}.gender: {gender!r} is not read (sex clauses stay unknown)")
    _deceased(resource, place, mapper)
    return document


def _deceased(resource: dict, place: str, mapper: Mapper) -> None:
    if resource.get("deceasedBoolean") is True:
        mapper.warnings.append(f"{place}.deceasedBoolean: the patient is deceased")
    elif resource.get("deceasedDateTime"):
        when = full_date_or_warn(resource["deceasedDateTime"], f"{place}.deceasedDateTime", mapper.warnings)
        if when is not None:
            mapper.warnings.append(f"{place}.deceasedDateTime: the patient died on {when}")


def patients_from_resources(entries: Iterable[tuple[str | None, dict]], source: str) -> list[PatientResources]:
    """Group a bundle's resources by patient (through subject/patient references); shared resources aside.

    ``entries`` are (fullUrl, resource). :class:`PatientError` when there is no Patient resource or a resource
    refers to a patient that is not there (a broken reference), naming the resource.
    """
    patients: dict[str, PatientResources] = {}
    keyed: dict[str, dict] = {}
    pending: list[tuple[str, dict]] = []
    unowned: list[dict] = []
    for full_url, resource in entries:
        kind, ident = resource.get("resourceType"), resource.get("id")
        if ident is not None:
            keyed[f"{kind}/{ident}"] = resource
        if full_url:
            keyed[full_url] = resource
        if kind == "Patient":
            if type(ident) is not str:
                raise PatientError(f"Patient id {ident!r} is not text", location=Location(source), hint="give it an id")
            patients[f"Patient/{ident}"] = PatientResources(resource, [], keyed, source)
            continue
        owner = patient_reference(resource)
        if owner is not None:
            pending.append((owner, resource))
        else:
            unowned.append(resource)
    if not patients:
        raise PatientError(
            "no Patient resource",
            location=Location(source),
            hint="a FHIR bundle or export needs the Patient resource of each patient",
        )
    for owner, resource in pending:
        found = keyed.get(owner)
        key = f"Patient/{found.get('id')}" if found and found.get("resourceType") == "Patient" else owner
        if key not in patients:
            where = f"{resource.get('resourceType')}/{resource.get('id', '?')}"
            raise PatientError(
                f"{where} refers to {owner}, which is not in the file",
                location=Location(source, where=where),
                hint="include the patient's Patient resource, or correct the reference",
            )
        patients[key].resources.append(resource)
    _attach_unowned(unowned, patients, source)
    return list(patients.values())


def _attach_unowned(unowned: list[dict], patients: dict[str, PatientResources], source: str) -> None:
    """Resources naming no patient belong to the only patient of a bundle; with several patients only shared
    resources (Medication, Organization, …) may name none."""
    if len(patients) == 1:
        next(iter(patients.values())).resources.extend(unowned)
        return
    for resource in unowned:
        if resource.get("resourceType") not in SHARED_TYPES:
            where = f"{resource.get('resourceType')}/{resource.get('id', '?')}"
            raise PatientError(
                f"{where} names no patient, and the file holds several",
                location=Location(source, where=where),
                hint="give it a subject (or patient)",
            )
