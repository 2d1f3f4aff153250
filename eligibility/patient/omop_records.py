"""OMOP CDM rows → contract records, one person at a time, with a warning naming the table and row id for
whatever is not read.

Concept ids are read through the ``concept`` table: its ``vocabulary_id`` and ``concept_code`` give a code of a
terminology the vocabulary binds (LOINC, SNOMED, ICD10CM, RxNorm, CVX, CPT4, ICD10PCS); the standard concept is
tried first, then the source concept, then the source value as a name or code. Units come from the unit
concept's UCUM code, else ``unit_source_value`` in any clinical spelling.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from eligibility.errors import Location, PatientError, UnitError
from eligibility.inputs import check_number
from eligibility.patient.fhir_values import result_word
from eligibility.vocab.codes import CPT, CVX, ICD10CM, ICD10PCS, LOINC, RXNORM, SNOMED
from eligibility.vocab.ucum import ucum_to_canonical
from eligibility.vocab.units import canonical_unit, measure_factor
from eligibility.vocab.vocabulary import ConceptDef, MeasureDef, Vocabulary

SYSTEMS = {
    "LOINC": LOINC,
    "SNOMED": SNOMED,
    "ICD10CM": ICD10CM,
    "RxNorm": RXNORM,
    "CVX": CVX,
    "CPT4": CPT,
    "ICD10PCS": ICD10PCS,
}
MALE, FEMALE = "8507", "8532"  # OMOP gender concepts
_UNKNOWN_GENDER = {"", "0", "8551", "8570", "8521"}  # no matching concept, unknown, ambiguous, other
Row = dict[str, Any]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


class PersonMapper:
    """Maps one person's OMOP rows to the contract's fields, collecting warnings."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.warnings: list[str] = []
        self.lists: dict[str, list[dict]] = {
            k: [] for k in ("observations", "conditions", "medications", "procedures", "immunizations", "events")
        }

    # --- the person --------------------------------------------------------------------------------------
    def person(self, row: Row, source: str) -> dict:
        """The contract's id, sex, birth and ``as_of`` (the end of the last observation period)."""
        pid = str(row["person_id"])
        data: dict[str, Any] = {"id": pid}
        gender = _text(row.get("gender_concept_id"))
        if gender in (MALE, FEMALE):
            data["sex"] = "male" if gender == MALE else "female"
        elif gender not in _UNKNOWN_GENDER:
            self.warnings.append(f"person {pid}: gender_concept_id {gender} is not 8507 or 8532; sex not used")
        data.update(self._birth(row, pid, source))
        end = self.date(row, "observation_period_end", f"observation_period of person {pid}")
        if end is not None:
            data["as_of"] = end
        return data

    def _birth(self, row: Row, pid: str, source: str) -> dict:
        parts = [_text(row.get(k)) for k in ("year_of_birth", "month_of_birth", "day_of_birth")]
        if not parts[0]:
            self.warnings.append(f"person {pid}: no year_of_birth; age not known")
            return {}
        try:
            year, month, day = (int(Decimal(p)) if p else None for p in parts)
            assert year is not None
            if month is not None and day is not None:
                return {"birth_date": dt.date(year, month, day)}
            if month is not None:
                dt.date(year, month, 1)
                return {"birth_partial": f"{year:04d}-{month:02d}"}
            dt.date(year, 1, 1)
            return {"birth_partial": f"{year:04d}"}
        except (ValueError, InvalidOperation, ArithmeticError):
            raise PatientError(
                f"year/month/day_of_birth {'/'.join(parts)} is not a date",
                location=Location(file=source, where=f"person {pid}"),
                hint="correct the birth fields of the person row",
            ) from None

    # --- helpers -----------------------------------------------------------------------------------------
    def date(self, row: Row, field: str, where: str) -> dt.date | None:
        """A date column (a date, or the date part of a timestamp), or None with a warning when impossible."""
        text = _text(row.get(field))
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            self.warnings.append(f"{where}: {field} {text!r} is not a date; not used")
            return None

    def _codes(self, row: Row) -> list[tuple[str, str]]:
        """(system, code) of the standard concept, then the source concept, where their vocabulary is bound."""
        found = []
        for prefix in ("c", "s"):
            system = SYSTEMS.get(_text(row.get(f"{prefix}_vocabulary")))
            code = _text(row.get(f"{prefix}_code"))
            if system and code:
                found.append((system, code))
        return found

    def measure(self, row: Row) -> MeasureDef | None:
        """The measure a row is about, or None."""
        for system, code in self._codes(row):
            measure = self.vocabulary.measure_for_code(system, code)
            if measure is not None:
                return measure
        source = _text(row.get("source_value"))
        return self.vocabulary.measure(source) if source else None

    def concepts(self, row: Row, category: str) -> list[ConceptDef]:
        """The most specific concepts of ``category`` a row stands for (a drug product: each ingredient)."""
        found: dict[str, ConceptDef] = {}
        for system, code in self._codes(row):
            for concept in self.vocabulary.concepts_for_code(system, code, category):
                found[concept.id] = concept
            if found:
                break
        source = _text(row.get("source_value"))
        if not found and source and (named := self.vocabulary.concept(source, category)) is not None:
            found[named.id] = named
        ancestors = self.vocabulary.ancestors
        return [c for c in found.values() if not any(c.id in ancestors(o) - {o} for o in found)]

    def unread(self, where: str, row: Row, what: str) -> None:
        """Warn that a row's concept is not ``what`` in the vocabulary."""
        self.warnings.append(f"{where}: {described(row)} is not {what} in the vocabulary; not used")

    # --- values ------------------------------------------------------------------------------------------
    def number(self, row: Row, field: str, where: str) -> Decimal | None:
        """A non-negative number within the limits, or None (with a warning when present but unusable)."""
        text = _text(row.get(field))
        if not text:
            return None
        try:
            value = check_number(Decimal(text))
        except (InvalidOperation, ValueError):
            self.warnings.append(f"{where}: {field} {text!r} is not a usable number; not used")
            return None
        if value < 0:
            self.warnings.append(f"{where}: {field} {text} is negative; not used")
            return None
        return value

    def unit(self, row: Row, where: str) -> str | None:
        """The canonical unit: the unit concept's UCUM code, else ``unit_source_value``; None when unreadable."""
        code, text = _text(row.get("u_code")), _text(row.get("unit_source"))
        try:
            if code and _text(row.get("u_vocabulary")) == "UCUM":
                return ucum_to_canonical(code)
            return canonical_unit(text)
        except UnitError:
            self.warnings.append(f"{where}: unit {code or text!r} is not a known unit; not used")
            return None

    def result(self, row: Row, measure: MeasureDef, where: str, when: dt.date) -> dict | None:
        """An observation record from a measurement or observation row, or None with a warning."""
        if measure.qualitative:
            word = result_word(_text(row.get("v_code")), _text(row.get("v_name")))
            word = word or result_word(None, _text(row.get("value_text")))
            if word is None:
                self.warnings.append(f"{where}: no positive/negative result for {measure.name}; not used")
                return None
            return {"code": measure.id, "value": word, "date": when}
        value = self.number(row, "value_as_number", where)
        if value is None:
            if not _text(row.get("value_as_number")):
                self.warnings.append(f"{where}: {measure.name} has no value_as_number; not used")
            return None
        unit = self.unit(row, where)
        if unit is None:
            return None
        try:
            factor = measure_factor(unit, measure.unit, measure.molar_mass, measure.valence)
        except UnitError:
            factor = None
        if factor is None:
            shown = f"unit {unit!r}" if unit else "no unit"
            self.warnings.append(f"{where}: {shown} cannot express {measure.name} (in {measure.unit}); not used")
            return None
        record: dict[str, Any] = {"code": measure.id, "value": value, "unit": unit, "date": when}
        low, high = self.number(row, "range_low", where), self.number(row, "range_high", where)
        if low is not None and high is not None and low > high:
            self.warnings.append(f"{where}: range_low {low} is above range_high {high}; range not used")
            low = high = None
        record.update({k: v for k, v in (("low", low), ("high", high)) if v is not None})
        return record


def described(row: Row) -> str:
    """A row's concept for a warning: its id, vocabulary, code and name, or its source value."""
    parts = []
    for prefix, label in (("c", "concept"), ("s", "source concept")):
        ident = _text(row.get(f"{prefix}_id"))
        if ident and ident != "0":
            vocabulary, code, name = (_text(row.get(f"{prefix}_{k}")) for k in ("vocabulary", "code", "name"))
            inner = f" ({vocabulary} {code}{f' {name!r}' if name else ''})" if vocabulary or code else ""
            parts.append(f"{label} {ident}{inner}")
    source = _text(row.get("source_value"))
    if source:
        parts.append(f"source value {source!r}")
    return ", ".join(parts) or "no concept"


class RecordMapper(PersonMapper):
    """Maps the clinical tables' rows (``measurement``, ``observation``, ``condition_occurrence``,
    ``drug_exposure``, ``procedure_occurrence``) to contract records."""

    def add(self, table: str, row: Row) -> None:
        """Read one row of ``table`` into the record lists (or warn)."""
        getattr(self, table)(row, f"{table} {row['row_id']}")

    def measurement(self, row: Row, where: str) -> None:
        """A measurement → an observation record."""
        when = self.date(row, "measurement_date", where)
        measure = self.measure(row)
        if measure is None:
            return self.unread(where, row, "a measure")
        if when is None:
            return self.warnings.append(f"{where}: no measurement_date; not used")
        record = self.result(row, measure, where, when)
        if record is not None:
            self.lists["observations"].append(record)

    def observation(self, row: Row, where: str) -> None:
        """An observation → a result when it names a measure, else a record of the concept's category
        (a condition, an event, …)."""
        when = self.date(row, "observation_date", where)
        if when is None:
            return self.warnings.append(f"{where}: no observation_date; not used")
        measure = self.measure(row)
        if measure is not None:
            record = self.result(row, measure, where, when)
            if record is not None:
                self.lists["observations"].append(record)
            return None
        for category in ("condition", "event", "procedure", "immunization", "medication"):
            concepts = self.concepts(row, category)
            if concepts:
                return self._dated(category, concepts, when, None)
        return self.unread(where, row, "a measure or concept")

    def condition_occurrence(self, row: Row, where: str) -> None:
        """A condition occurrence → a condition, resolved when it has an end date."""
        concepts = self.concepts(row, "condition")
        if not concepts:
            return self.unread(where, row, "a condition")
        start = self.date(row, "condition_start_date", where)
        end = self._end(row, "condition_end_date", start, where)
        self._dated("condition", concepts, start, end)

    def drug_exposure(self, row: Row, where: str) -> None:
        """A drug exposure → a medication per ingredient, or an immunization for a vaccine (CVX)."""
        start = self.date(row, "drug_exposure_start_date", where)
        for category in ("medication", "immunization"):
            concepts = self.concepts(row, category)
            if concepts:
                end = self._end(row, "drug_exposure_end_date", start, where) if category == "medication" else None
                return self._dated(category, concepts, start, end)
        return self.unread(where, row, "a medication or vaccine")

    def procedure_occurrence(self, row: Row, where: str) -> None:
        """A procedure occurrence → a procedure."""
        concepts = self.concepts(row, "procedure")
        if not concepts:
            return self.unread(where, row, "a procedure")
        self._dated("procedure", concepts, self.date(row, "procedure_date", where), None)

    def _end(self, row: Row, field: str, start: dt.date | None, where: str) -> dt.date | None:
        end = self.date(row, field, where)
        if end is not None and start is not None and end < start:
            self.warnings.append(f"{where}: {field} {end} is before the start {start}; end not used")
            return None
        return end

    def _dated(self, category: str, concepts: list[ConceptDef], start: dt.date | None, end: dt.date | None) -> None:
        for concept in concepts:
            if category == "condition":
                record: dict[str, Any] = {"code": concept.id, "status": "resolved" if end else "active"}
                record.update({k: v for k, v in (("onset", start), ("end", end)) if v is not None})
            elif category == "medication":
                record = {"code": concept.id, **{k: v for k, v in (("start", start), ("end", end)) if v is not None}}
            else:
                record = {"code": concept.id, **({"date": start} if start is not None else {})}
            self.lists[f"{category}s"].append(record)
