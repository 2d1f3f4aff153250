"""The patient JSON contract, and reading patients from a file, a folder or JSON Lines (streamed).

Reading checks form (types, dates, allowed words); what the values mean (codes, units) is checked when the
patient is normalised against the vocabulary (:mod:`eligibility.patient_index`), which reports warnings.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from eligibility.errors import Location, PatientError
from eligibility.validation import problems

if TYPE_CHECKING:
    from eligibility.vocab.vocabulary import Vocabulary

CompleteCategory = Literal["conditions", "medications", "procedures", "immunizations", "events"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Field(min_length=1)


class Observation(_Record):
    """A lab value, vital sign or score: number (or word such as ``positive``), unit, date, reference range."""

    value: Decimal | str
    unit: str = ""
    date: dt.date
    low: Decimal | None = None
    high: Decimal | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _numeric_text(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("value must be a number or a word such as positive/negative")
        if isinstance(value, str):
            try:
                return Decimal(value.strip().replace(",", "."))
            except InvalidOperation:
                return value.strip().lower()
        return value

    @field_validator("value")
    @classmethod
    def _finite(cls, value: Decimal | str) -> Decimal | str:
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValueError("value must be a finite number")
        if isinstance(value, Decimal) and value < 0:
            raise ValueError("value must not be negative")
        return value


class Condition(_Record):
    """A diagnosis: ``active``, ``resolved``, or ``absent`` (explicitly ruled out)."""

    status: Literal["active", "resolved", "absent"] = "active"
    onset: dt.date | None = None
    end: dt.date | None = None


class Medication(_Record):
    """A drug taken from ``start`` to ``end``. Without ``end`` it is ongoing, unless ``status`` is ``ended``:
    then it ended on a day that is not known (on or after ``start``, on or before the reference date)."""

    start: dt.date | None = None
    end: dt.date | None = None
    status: Literal["active", "ended"] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Medication:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class DatedRecord(_Record):
    """A procedure, immunization or event on a date."""

    date: dt.date | None = None


class Patient(BaseModel):
    """One patient, as read from JSON (see the README for the contract)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(min_length=1)
    as_of: dt.date | None = None
    birth_date: dt.date | None = None
    birth_partial: str | None = Field(default=None, pattern=r"^\d{4}(-(0[1-9]|1[0-2]))?$")
    age: int | None = Field(default=None, ge=0, le=150)
    sex: Literal["female", "male"] | None = None
    observations: tuple[Observation, ...] = ()
    conditions: tuple[Condition, ...] = ()
    medications: tuple[Medication, ...] = ()
    procedures: tuple[DatedRecord, ...] = ()
    immunizations: tuple[DatedRecord, ...] = ()
    events: tuple[DatedRecord, ...] = ()
    complete: tuple[CompleteCategory, ...] = ()
    warnings: tuple[str, ...] = ()

    @field_validator("sex", mode="before")
    @classmethod
    def _sex_word(cls, value: object) -> object:
        words = {"f": "female", "m": "male", "woman": "female", "man": "male"}
        return words.get(value.lower(), value.lower()) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _dates_make_sense(self) -> Patient:
        if self.birth_date and self.as_of and self.birth_date > self.as_of:
            raise ValueError(f"birth_date {self.birth_date} is after as_of {self.as_of}")
        if self.birth_date and self.birth_partial:
            raise ValueError("give birth_date or birth_partial, not both")
        return self

    def birth_range(self) -> tuple[dt.date, dt.date] | None:
        """Earliest and latest possible birth date (equal when ``birth_date`` is known); None when unknown."""
        if self.birth_date is not None:
            return self.birth_date, self.birth_date
        if self.birth_partial is None:
            return None
        year, _, month = self.birth_partial.partition("-")
        if not month:
            return dt.date(int(year), 1, 1), dt.date(int(year), 12, 31)
        first = dt.date(int(year), int(month), 1)
        following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return first, following - dt.timedelta(days=1)


@dataclass(frozen=True)
class PatientSource:
    """Where a patient came from: file and, for JSON Lines, the line number."""

    file: str
    line: int | None = None

    def location(self, where: str | None = None) -> Location:
        """A :class:`Location` for an error about this patient."""
        return Location(file=self.file, line=self.line, where=where)


def parse_patient(text: str, source: PatientSource) -> Patient:
    """Validate one patient from JSON text; :class:`PatientError` naming the field and the fix."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        line = (source.line or 1) + exc.lineno - 1
        raise PatientError(
            f"invalid JSON: {exc.msg}",
            location=Location(source.file, line, exc.colno),
            hint="check brackets, commas and quotes",
        ) from None
    if not isinstance(data, dict):
        raise PatientError(
            "a patient must be a JSON object",
            location=source.location(),
            hint='write {"id": ..., "observations": [...], ...}',
        )
    try:
        return Patient.model_validate(data)
    except ValidationError as exc:
        found = problems(exc)
        first = found[0]
        more = (
            f" (and {len(found) - 1} more problem(s): " + "; ".join(f"{p.place}: {p.message}" for p in found[1:]) + ")"
            if len(found) > 1
            else ""
        )
        where = first.place if first.loc else None
        raise PatientError(f"{first.message}{more}", location=source.location(where), hint=first.hint) from None


def read_patients(path: Path, vocabulary: Vocabulary | None = None) -> Iterator[Patient | PatientError]:
    """Patients from a ``.json`` file, a ``.jsonl`` file (streamed line by line) or a folder of either, or
    from FHIR R4 (a Bundle, an NDJSON file of Bundles, a folder of Bundles, a Bulk Data export folder),
    detected automatically and mapped through ``vocabulary`` (default: the bundled one).

    A bad patient yields its :class:`PatientError` in its place, so the others are still read.
    """
    path = Path(path)
    from eligibility.patient.fhir_read import is_fhir, read_fhir  # FHIR reading builds on this module

    bulk_export = path.is_dir() and (path / "Patient.ndjson").exists()
    if bulk_export or (path.is_file() and is_fhir(path)):
        from eligibility.vocab.vocabulary import default_vocabulary

        yield from (patient for patient, _ in read_fhir(path, vocabulary or default_vocabulary()))
        return
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.suffix in (".json", ".jsonl", ".ndjson"):
                yield from read_patients(child, vocabulary)
        return
    if not path.exists():
        yield PatientError("no such file", location=Location(file=str(path)), hint="check the path")
        return
    if path.suffix == ".jsonl" or str(path) == "-":
        yield from _read_lines(path)
        return
    try:
        yield parse_patient(path.read_text(encoding="utf-8"), PatientSource(str(path)))
    except PatientError as error:
        yield error


def _read_lines(path: Path) -> Iterator[Patient | PatientError]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield parse_patient(line, PatientSource(str(path), number))
            except PatientError as error:
                yield error
