"""The patient JSON contract, and reading patients from a file, a folder or JSON Lines (streamed).

Reading checks form (types, dates, allowed words); what the values mean (codes, units) is checked when the
patient is normalised against the vocabulary (:mod:`eligibility.patient_index`), which reports warnings.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from eligibility.errors import EligibilityError, Location, PatientError
from eligibility.inputs import check_number, load_json, open_binary, read_lines, read_text
from eligibility.validation import problems

if TYPE_CHECKING:
    from eligibility.vocab.vocabulary import Vocabulary

CompleteCategory = Literal["conditions", "medications", "procedures", "immunizations", "events"]
PATIENT_SUFFIXES = (".json", ".jsonl", ".ndjson")  # compared without case


def _date_text(value: object) -> object:
    """Dates are written as text: a bare number (``as_of: 0``) is not read as seconds since 1970."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        raise ValueError("write dates as YYYY-MM-DD text")
    return value


Date = Annotated[dt.date, BeforeValidator(_date_text)]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Field(min_length=1)


class Observation(_Record):
    """A lab value, vital sign or score: number (or word such as ``positive``), unit, date, reference range."""

    value: Decimal | str
    unit: str = ""
    date: Date
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

    @field_validator("value", "low", "high")
    @classmethod
    def _finite(cls, value: Decimal | str | None, info: ValidationInfo) -> Decimal | str | None:
        if isinstance(value, Decimal):
            check_number(value)
            if value < 0:
                raise ValueError(f"{info.field_name} must not be negative")
        return value

    @model_validator(mode="after")
    def _range_ordered(self) -> Observation:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"the reference range is reversed: low {self.low} is above high {self.high}")
        return self


class Condition(_Record):
    """A diagnosis: ``active``, ``resolved``, or ``absent`` (explicitly ruled out)."""

    status: Literal["active", "resolved", "absent"] = "active"
    onset: Date | None = None
    end: Date | None = None


class Dose(BaseModel):
    """How much of a drug is taken: ``value`` ``unit`` per ``per`` (20 mg/day; 3 mg/kg/day; 1 g/week).

    ``unit`` is a mass (``mg``, ``g``, ``ug``) or a mass per body weight (``mg/kg``); what it means is checked when
    the patient is normalised (a dose that cannot be read is reported and left unknown)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    value: Decimal
    unit: str = Field(min_length=1, max_length=40)
    per: Literal["hour", "day", "week"] = "day"

    @field_validator("value")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        check_number(value)
        if value <= 0:
            raise ValueError("a dose must be above zero")
        return value


class Medication(_Record):
    """A drug taken from ``start`` to ``end``. Without ``end`` it is ongoing, unless ``status`` is ``ended``:
    then it ended on a day that is not known (on or after ``start``, on or before the reference date).
    ``dose`` is the (daily, weekly or hourly) dose, when known."""

    start: Date | None = None
    end: Date | None = None
    status: Literal["active", "ended"] | None = None
    dose: Dose | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Medication:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class DatedRecord(_Record):
    """A procedure, immunization or event on a date."""

    date: Date | None = None


class Patient(BaseModel):
    """One patient, as read from JSON (see the README for the contract)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(min_length=1)
    as_of: Date | None = None
    birth_date: Date | None = None
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
    """Validate one patient from JSON text; :class:`EligibilityError` naming the place and the fix."""
    data = load_json(text, source.file, source.line, PatientError)
    if not isinstance(data, dict):
        raise PatientError(
            "a patient must be a JSON object",
            location=source.location(),
            hint='write {"id": ..., "observations": [...], ...}',
        )
    return validate_patient(data, source)


def validate_patient(data: object, source: PatientSource) -> Patient:
    """A patient from already-read data (a mapping); :class:`PatientError` naming the field and the fix."""
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


def patient_files(folder: Path) -> list[Path]:
    """The patient files directly in ``folder`` (``.json``, ``.jsonl``, ``.ndjson`` in any case), sorted; a file
    reached twice (through links) is listed once, and links to folders are not followed."""
    files, seen = [], set()
    for child in sorted(folder.iterdir()):
        if child.suffix.lower() not in PATIENT_SUFFIXES or not child.is_file():
            continue
        real = child.resolve()
        if real not in seen:
            seen.add(real)
            files.append(child)
    return files


def is_many(path: Path) -> bool:
    """True when ``path`` holds any number of patients: a folder, JSON Lines, ``-`` (standard input), or a
    DuckDB file (OMOP tables)."""
    return str(path) == "-" or path.is_dir() or path.suffix.lower() in (".jsonl", ".ndjson", ".duckdb", ".db")


def read_patients(path: Path | str, vocabulary: Vocabulary | None = None) -> Iterator[Patient | EligibilityError]:
    """Patients from a ``.json`` file, a JSON Lines file (``.jsonl``/``.ndjson``, streamed line by line), ``-``
    (JSON Lines on standard input) or a folder of such files; or from FHIR R4 (a Bundle, an NDJSON file of
    Bundles, a folder of Bundles, a Bulk Data export folder) or the OMOP CDM (a folder of OMOP tables, a DuckDB
    file), detected automatically and mapped through ``vocabulary`` (default: the bundled one).

    A bad patient yields its :class:`EligibilityError` in its place, so the others are still read.
    """
    path = Path(path)
    from eligibility.patient.fhir_read import is_fhir, read_fhir  # FHIR and OMOP reading build on this module
    from eligibility.patient.omop import is_omop, read_omop

    try:
        if is_omop(path):
            from eligibility.vocab.vocabulary import default_vocabulary

            yield from read_omop(path, vocabulary or default_vocabulary())
            return
        if path.suffix.lower() in (".duckdb", ".db"):
            raise PatientError(
                "not an OMOP CDM database: it has no person table",
                location=Location(file=str(path)),
                hint="screen a record store with --engine duckdb --db FILE; OMOP input needs person and concept",
            )
        if (path.is_dir() and (path / "Patient.ndjson").exists()) or (path.is_file() and is_fhir(path)):
            from eligibility.vocab.vocabulary import default_vocabulary

            yield from (patient for patient, _ in read_fhir(path, vocabulary or default_vocabulary()))
            return
        if path.is_dir():
            files = patient_files(path)
            if not files:
                raise PatientError(
                    "no patient files in the folder",
                    location=Location(file=str(path)),
                    hint="patient files end in .json, .jsonl or .ndjson",
                )
            for child in files:
                yield from read_patients(child, vocabulary)
            return
        if is_many(path):
            yield from _read_lines(path)
            return
        yield parse_patient(read_text(path, "patient file", PatientError), PatientSource(str(path)))
    except EligibilityError as error:
        yield error
    except OSError as error:  # a folder that cannot be listed
        yield PatientError(f"cannot read: {error.strerror}", location=Location(file=str(path)), hint="check the path")


def _read_lines(path: Path) -> Iterator[Patient | EligibilityError]:
    name = "<stdin>" if str(path) == "-" else str(path)
    handle = open_binary(path, PatientError)
    try:
        for number, line in read_lines(handle, name, PatientError):
            if isinstance(line, EligibilityError):
                yield line
                continue
            try:
                yield parse_patient(line, PatientSource(name, number))
            except EligibilityError as error:
                yield error
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
