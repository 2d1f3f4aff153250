"""FHIR R4 clinical resources → contract records (observations, conditions, medications, procedures,
immunizations), one resource at a time, with a warning naming the resource and field for whatever is not read.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from dateutil.relativedelta import relativedelta

from eligibility.patient.fhir_doses import read_dose
from eligibility.patient.fhir_values import (
    FhirValueError,
    FieldTypeError,
    codings,
    described,
    expressible,
    full_date,
    full_date_or_warn,
    list_field,
    object_field,
    path_value,
    qualitative,
    quantity_unit,
    quantity_value,
    reference_key,
    text_field,
)
from eligibility.vocab.vocabulary import ConceptDef, MeasureDef, Vocabulary

if TYPE_CHECKING:
    from eligibility.patient.fhir import FhirStats

_OBSERVATION_USED = {"final", "amended", "corrected", "preliminary"}
_DROPPED = {"entered-in-error", "cancelled", "not-done"}
_MEDICATION_ENDED = {"completed", "stopped"}
_MEDICATION_ONGOING = {"active", "on-hold", "in-progress"}
_ACTIVE = {"active", "recurrence", "relapse"}
_RESOLVED = {"inactive", "remission", "resolved"}
_CONCEPTS: WeakKeyDictionary[Vocabulary, dict[tuple, list[ConceptDef]]] = WeakKeyDictionary()


class Mapper:
    """Maps one patient's resources, collecting contract records, warnings and counts."""

    def __init__(self, vocabulary: Vocabulary, shared: dict[str, dict], stats: FhirStats) -> None:
        self.vocabulary, self.shared, self.stats = vocabulary, shared, stats
        self.known = _CONCEPTS.setdefault(vocabulary, {})  # concepts of the codes met so far
        self.warnings: list[str] = []
        self.birth: dt.date | None = None
        self.lists: dict[str, list[dict]] = {
            k: [] for k in ("observations", "conditions", "medications", "procedures", "immunizations")
        }

    def records(self) -> dict[str, list[dict]]:
        """The contract's record lists (only the non-empty ones)."""
        return {k: v for k, v in self.lists.items() if v}

    # --- bookkeeping -------------------------------------------------------------------------------------
    def _warn(self, resource: dict, text: str, counted: bool = True) -> None:
        self.warnings.append(f"{_name(resource)}{text}")
        if counted:
            self.stats.warned[resource.get("resourceType", "")] += 1

    def _drop(self, resource: dict, status: str) -> None:
        self.warnings.append(f"{_name(resource)}.status: {status}; dropped")
        self.stats.dropped[resource.get("resourceType", "")] += 1

    def _read(self, resource: dict, key: str, records: list[dict]) -> None:
        self.lists[key].extend(records)
        self.stats.read[resource.get("resourceType", "")] += 1

    def _concepts(self, concept: Any, category: str, field: str) -> list[ConceptDef]:
        coded = tuple((system, code) for system, code, _ in codings(concept, f"{field}."))
        known = self.known.get((category, coded)) if coded else None
        if known is not None:
            return known
        found: dict[str, ConceptDef] = {}
        for system, code in coded:
            for item in self.vocabulary.concepts_for_code(system, code, category):
                found[item.id] = item
        if not found and isinstance(concept, dict) and concept.get("text"):
            named = self.vocabulary.concept(str(concept["text"]), category)
            if named is not None:
                found[named.id] = named
        # Several codings of one thing: keep the most specific concepts (drop those another one is a kind of).
        kept = [c for c in found.values() if not any(c.id in self.vocabulary.ancestors(o) - {o} for o in found)]
        if kept and coded and len(self.known) < 4096:  # found by its codes alone: the same for every resource
            self.known[(category, coded)] = kept
        return kept

    def _date(self, resource: dict, field: str) -> dt.date | None:
        try:
            return full_date(resource.get(field) if "." not in field else path_value(resource, field))
        except FhirValueError as exc:
            self.warnings.append(f"{_name(resource)}.{field}: {exc}; not used")
            return None

    # --- Observation -------------------------------------------------------------------------------------
    def observation(self, resource: dict) -> None:
        """Observation → one observation per measured part (blood pressure components give two)."""
        status = text_field(resource, "status") or ""
        if status in _DROPPED:
            return self._drop(resource, status)
        if status not in _OBSERVATION_USED:
            return self._warn(resource, f".status: {status!r} has no result yet; not used")
        when = self._observation_date(resource)
        if when is None:
            return self._warn(resource, ": no effective date; not used")
        if status == "preliminary":
            self._warn(resource, ".status: preliminary result, used", counted=False)
        components = list_field(resource, "component")
        parts = [("", resource)] if not components else [(f".component[{i}]", c) for i, c in enumerate(components)]
        if components and _has_value(resource):
            parts.insert(0, ("", resource))
        records = [r for place, part in parts if (r := self._part(resource, place, part, when)) is not None]
        if records:
            self._read(resource, "observations", records)
        else:
            self.stats.warned["Observation"] += 1

    def _observation_date(self, resource: dict) -> dt.date | None:
        if "effectiveDateTime" in resource:  # the usual case first
            return self._date(resource, "effectiveDateTime")
        for field in (
            "effectiveDateTime",
            "effectiveInstant",
            "effectivePeriod.start",
            "effectivePeriod.end",
            "issued",
        ):
            if path_value(resource, field) is not None:
                return self._date(resource, field)
        return None

    def _part(self, resource: dict, place: str, part: dict, when: dt.date) -> dict | None:
        try:
            return self._measurement(resource, place, part, when)
        except FieldTypeError as exc:  # this part is not read; the others are
            self.warnings.append(f"{_name(resource)}{place}.{exc.field}: {exc}; not used")
            return None

    def _measurement(self, resource: dict, place: str, part: dict, when: dt.date) -> dict | None:
        concept = object_field(part, "code")
        coded = codings(concept, "code.")
        measure = next((m for s, c, _ in coded if (m := self.vocabulary.measure_for_code(s, c))), None)
        if measure is None and not coded and isinstance(concept, dict) and concept.get("text"):
            measure = self.vocabulary.measure(str(concept["text"]))  # a code.text that names a measure
        if measure is None:
            where = f"{_name(resource)}{place}"
            self.warnings.append(f"{where}.code: {described(concept)} is not in the vocabulary; not used")
            return None
        if measure.qualitative:
            word = qualitative(part)
            if word is None:
                where = f"{_name(resource)}{place}"
                self.warnings.append(f"{where}: no positive/negative result for {measure.name}; not used")
                return None
            return {"code": measure.id, "value": word, "date": when}
        return self._quantity(resource, place, part, measure, when)

    def _quantity(self, resource: dict, place: str, part: dict, measure: MeasureDef, when: dt.date) -> dict | None:
        quantity = object_field(part, "valueQuantity")
        if quantity is None:
            self.warnings.append(f"{_name(resource)}{place}: {measure.name} has no valueQuantity; not used")
            return None
        try:
            value, unit = quantity_value(quantity), quantity_unit(quantity)
        except FhirValueError as exc:
            self.warnings.append(f"{_name(resource)}{place}.valueQuantity: {exc}; not used")
            return None
        if not expressible(unit, measure):
            shown = f"unit {quantity.get('code') or quantity.get('unit')!r}" if unit else "no unit"
            self.warnings.append(
                f"{_name(resource)}{place}.valueQuantity: {shown} cannot express {measure.name} "
                f"(in {measure.unit or 'points'}); not used"
            )
            return None
        record: dict[str, Any] = {"code": measure.id, "value": value, "unit": unit, "date": when}
        try:
            ranges = list_field(part, "referenceRange")
        except FieldTypeError as exc:  # the value is still read, without limits
            self.warnings.append(f"{_name(resource)}{place}.{exc.field}: {exc}; not used")
            ranges = []
        if ranges:
            record.update(self._range(resource, place, ranges[0], unit))
        return record

    def _range(self, resource: dict, place: str, first: dict, unit: str) -> dict:
        limits = {}
        for key in ("low", "high"):
            try:
                bound = object_field(first, key)
                if bound is None:
                    continue
                same = quantity_unit(bound) == unit if (bound.get("code") or bound.get("unit")) else True
                if same:
                    limits[key] = quantity_value(bound)
                else:
                    self.warnings.append(
                        f"{_name(resource)}{place}.referenceRange.{key}: unit differs from the value's; not used"
                    )
            except FhirValueError as exc:
                self.warnings.append(f"{_name(resource)}{place}.referenceRange.{key}: {exc}; not used")
        return limits

    # --- Condition ---------------------------------------------------------------------------------------
    def condition(self, resource: dict) -> None:
        """Condition → a condition record per concept (active, resolved, or absent when refuted)."""
        verification = _status_code(object_field(resource, "verificationStatus"), "verificationStatus.")
        if verification == "entered-in-error":
            return self._drop(resource, verification)
        concepts = self._concepts(object_field(resource, "code"), "condition", "code")
        if not concepts:
            return self._warn(
                resource, f".code: {described(resource.get('code'))} is not a condition in the vocabulary; not used"
            )
        if verification in ("unconfirmed", "provisional", "differential"):
            self._warn(resource, f".verificationStatus: {verification}; used as recorded", counted=False)
        clinical = _status_code(object_field(resource, "clinicalStatus"), "clinicalStatus.")
        onset = self._moment(resource, "onset")
        end = self._moment(resource, "abatement", end=True)
        status = (
            "absent"
            if verification == "refuted"
            else ("resolved" if clinical in _RESOLVED or (clinical is None and end is not None) else "active")
        )
        if clinical is not None and clinical not in _ACTIVE | _RESOLVED:
            self._warn(resource, f".clinicalStatus: {clinical!r} read as active", counted=False)
        record: dict[str, Any] = {"status": status}
        if onset is not None:
            record["onset"] = onset
        if end is not None and status != "absent" and (onset is None or end >= onset):
            record["end"] = end
        self._read(resource, "conditions", [{"code": c.id, **record} for c in concepts])

    def _moment(self, resource: dict, prefix: str, end: bool = False) -> dt.date | None:
        if path_value(resource, f"{prefix}DateTime") is not None:
            return self._date(resource, f"{prefix}DateTime")
        for field in dict.fromkeys((f"{prefix}Period.{'end' if end else 'start'}", f"{prefix}Period.start")):
            if path_value(resource, field) is not None:
                return self._date(resource, field)
        age = object_field(resource, f"{prefix}Age")
        if age is not None:
            return self._from_age(resource, f"{prefix}Age", age)
        if resource.get(f"{prefix}String") or resource.get(f"{prefix}Range"):
            self.warnings.append(f"{_name(resource)}.{prefix}: only a text or range is given; taken as undated")
        return None

    def _from_age(self, resource: dict, field: str, age: dict) -> dt.date | None:
        try:
            value, unit = quantity_value(age), quantity_unit(age)
        except FhirValueError as exc:
            self.warnings.append(f"{_name(resource)}.{field}: {exc}; taken as undated")
            return None
        if self.birth is None or unit != "year" or value != int(value):
            self.warnings.append(
                f"{_name(resource)}.{field}: an age needs whole years and a birth date; taken as undated"
            )
            return None
        return self.birth + relativedelta(years=int(value))

    # --- medications -------------------------------------------------------------------------------------
    def medication(self, resource: dict) -> None:
        """MedicationRequest/Statement/Administration → a medication record per ingredient concept."""
        status = text_field(resource, "status") or ""
        if status in _DROPPED or status in ("not-taken", "draft", "intended"):
            return self._drop(resource, status)
        concept = self._medication_code(resource)
        if concept is None:
            return None
        concepts = self._concepts(concept, "medication", "medication")
        if not concepts:
            return self._warn(
                resource, f".medication: {described(concept)} is not a medication in the vocabulary; not used"
            )
        start, end = self._course(resource)
        if start is not None and end is not None and end < start:
            return self._warn(resource, f": ends {end} before it starts {start}; not used")
        record: dict[str, Any] = {"start": start, "end": end}
        if end is None and status in _MEDICATION_ENDED:
            record["status"] = "ended"
        elif status not in _MEDICATION_ONGOING | _MEDICATION_ENDED:
            self._warn(resource, f".status: {status!r} read as ongoing", counted=False)
        record["dose"], why = read_dose(resource, ingredients=len(concepts))
        if why:
            self._warn(resource, f".dosage: {why}", counted=False)
        clean = {k: v for k, v in record.items() if v is not None}
        self._read(resource, "medications", [{"code": c.id, **clean} for c in concepts])

    def shared_medication(self, resource: dict) -> None:
        """A Medication resource: read as what medicationReference points to (counted, nothing to map)."""
        self.stats.read["Medication"] += 1

    def _medication_code(self, resource: dict) -> Any:
        if resource.get("medicationCodeableConcept") is not None:
            return object_field(resource, "medicationCodeableConcept")
        key = reference_key(object_field(resource, "medicationReference"))
        target = self.shared.get(key) if key else None
        if target is None:
            self._warn(resource, f".medicationReference: {key or 'missing'} is not in the file; not used")
            return None
        return target.get("code")

    def _course(self, resource: dict) -> tuple[dt.date | None, dt.date | None]:
        kind = resource.get("resourceType")
        if kind == "MedicationAdministration" and path_value(resource, "effectiveDateTime") is not None:
            day = self._date(resource, "effectiveDateTime")
            return day, day
        start = self._first(
            resource,
            ("effectivePeriod.start", "effectiveDateTime", "authoredOn", "dispenseRequest.validityPeriod.start"),
        )
        end = self._first(resource, ("effectivePeriod.end", "dispenseRequest.validityPeriod.end"))
        for i, dosage in enumerate(list_field(resource, "dosageInstruction") or list_field(resource, "dosage")):
            bounds = object_field(object_field(dosage, "timing", f"dosage[{i}].") or {}, "repeat", "timing.") or {}
            if start is None and path_value(bounds, "boundsPeriod.start"):
                start = full_date_or_warn(
                    path_value(bounds, "boundsPeriod.start"), f"{_name(resource)}.dosage", self.warnings
                )
            if end is None and path_value(bounds, "boundsPeriod.end"):
                end = full_date_or_warn(
                    path_value(bounds, "boundsPeriod.end"), f"{_name(resource)}.dosage", self.warnings
                )
            if end is None and start is not None and (duration := object_field(bounds, "boundsDuration")):
                end = self._after(resource, start, duration, i)
        return start, end

    def _after(self, resource: dict, start: dt.date, duration: dict, i: int) -> dt.date | None:
        try:
            value, unit = quantity_value(duration), quantity_unit(duration)
        except FhirValueError as exc:
            self.warnings.append(f"{_name(resource)}.dosage[{i}].boundsDuration: {exc}; not used")
            return None
        days = {"day": 1, "week": 7, "h": 1 / 24}.get(unit)
        if days is not None:
            return start + dt.timedelta(days=float(value) * days)
        if unit in ("month", "year") and value == int(value):
            return start + relativedelta(months=int(value) * (12 if unit == "year" else 1))
        self.warnings.append(f"{_name(resource)}.dosage[{i}].boundsDuration: unit {unit!r} not read")
        return None

    def _first(self, resource: dict, fields: tuple[str, ...]) -> dt.date | None:
        for field in fields:
            if path_value(resource, field) is not None:
                return self._date(resource, field)
        return None

    # --- Procedure, Immunization -------------------------------------------------------------------------
    def procedure(self, resource: dict) -> None:
        """Procedure (SNOMED CT, ICD-10-PCS, CPT) → a procedure record."""
        self._dated(
            resource,
            "code",
            "procedure",
            "procedures",
            ("performedDateTime", "performedPeriod.start", "performedPeriod.end"),
        )

    def immunization(self, resource: dict) -> None:
        """Immunization (CVX) → an immunization record; not-done is dropped."""
        self._dated(resource, "vaccineCode", "immunization", "immunizations", ("occurrenceDateTime",))

    def _dated(self, resource: dict, field: str, category: str, key: str, dates: tuple[str, ...]) -> None:
        status = text_field(resource, "status") or ""
        if status in _DROPPED:
            return self._drop(resource, status)
        concepts = self._concepts(object_field(resource, field), category, field)
        if not concepts:
            return self._warn(
                resource, f".{field}: {described(resource.get(field))} is not a {category} in the vocabulary; not used"
            )
        if status not in ("completed", ""):
            self._warn(resource, f".status: {status!r}; used as done", counted=False)
        when = self._first(resource, dates)
        if when is None:
            self._warn(resource, f": no date; used as undated ({', '.join(dates)})", counted=False)
        record = {"date": when} if when else {}
        self._read(resource, key, [{"code": c.id, **record} for c in concepts])


def _name(resource: dict) -> str:
    return f"{resource.get('resourceType', '?')}/{resource.get('id', '?')}"


def _status_code(concept: Any, place: str) -> str | None:
    found = codings(concept, place)
    return found[0][1] if found else None


def _has_value(resource: dict) -> bool:
    return any(key.startswith("value") for key in resource)
