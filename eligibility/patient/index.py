"""A patient normalised once for evaluation: codes resolved, values in each measure's canonical unit,
records indexed by every concept they are a kind of. Whatever cannot be used is reported as a warning that
names the entry; nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from eligibility.errors import UnitError
from eligibility.patient.contract import Condition, Medication, Patient
from eligibility.patient.doses import RecordDose, record_dose
from eligibility.vocab.units import canonical_unit, measure_factor
from eligibility.vocab.vocabulary import MeasureDef, Vocabulary

_CATEGORY_OF = {
    "conditions": "condition",
    "medications": "medication",
    "procedures": "procedure",
    "immunizations": "immunization",
    "events": "event",
}


class Reading(NamedTuple):
    """One usable observation: value in the measure's canonical unit (or a word), as written, and range (a named
    tuple, as are occurrences: immutable, and quick to make)."""

    date: date
    value: Fraction | str
    written_value: Decimal | str
    written_unit: str
    low: Fraction | None
    high: Fraction | None
    place: str


class Occurrence(NamedTuple):
    """One usable record of a concept, spanning ``[start, end]`` (``None``: undated / ongoing)."""

    concept: str
    concept_ancestors: frozenset[str]
    code: str
    start: date | None
    end: date | None
    status: str
    place: str
    dose: RecordDose | None = None  # medications: the dose, normalised (see eligibility.patient.doses)


@dataclass
class PatientIndex:
    """The normalised patient used by the evaluator (``memo`` caches per-patient derived values, e.g. age)."""

    patient: Patient
    as_of: date
    readings: dict[str, tuple[Reading, ...]] = field(default_factory=dict)
    records: dict[str, dict[str, list[Occurrence]]] = field(default_factory=dict)
    negations: dict[str, dict[str, str]] = field(default_factory=dict)
    complete: frozenset[str] = frozenset()
    warnings: list[str] = field(default_factory=list)
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def id(self) -> str:
        """The patient id."""
        return self.patient.id

    def occurrences(self, category: str, concept: str) -> list[Occurrence]:
        """Records whose concept is ``concept`` or a kind of it."""
        return self.records.get(category, {}).get(concept, [])


def index_patient(patient: Patient, vocabulary: Vocabulary, as_of: date) -> PatientIndex:
    """Normalise ``patient`` against ``vocabulary`` for screening on ``as_of``."""
    index = PatientIndex(patient=patient, as_of=as_of, complete=frozenset(_CATEGORY_OF[c] for c in patient.complete))
    index.warnings.extend(patient.warnings)  # what the conversion from another format could not read
    readings: dict[str, list[Reading]] = {}
    for position, observation in enumerate(patient.observations):
        place = f"observations[{position}] ({observation.code})"
        reading, measure = _reading(observation, place, vocabulary, index.warnings)
        if reading is not None:
            if reading.date > as_of:
                index.warnings.append(f"{place}: dated {reading.date}, after the reference date {as_of}; not used")
                continue
            readings.setdefault(measure.id, []).append(reading)
    index.readings = {k: tuple(sorted(v, key=lambda r: r.date, reverse=True)) for k, v in readings.items()}
    for attribute, category in _CATEGORY_OF.items():
        for position, record in enumerate(getattr(patient, attribute)):
            _add_record(index, vocabulary, category, f"{attribute}[{position}] ({record.code})", record)
    return index


_NUMERIC: dict[tuple[int, str, str], tuple[Vocabulary, MeasureDef, Fraction, str]] = {}
"""(id(vocabulary), code, unit) → (vocabulary, measure, factor to its unit, canonical unit) for the codes and units
already read as numbers (the entry keeps its vocabulary alive, so the id is not reused)."""


def _reading(observation, place: str, vocabulary: Vocabulary, warnings: list[str]):
    key = (id(vocabulary), observation.code, observation.unit)
    known = _NUMERIC.get(key)
    if known is not None and known[0] is vocabulary and not isinstance(observation.value, str):
        return _numeric(observation, place, known[2], known[3]), known[1]
    measure = vocabulary.measure(observation.code)
    if measure is None:
        hint = vocabulary.suggest_measures(observation.code)
        warnings.append(
            f"{place}: unknown code {observation.code!r}"
            + (f" (did you mean {', '.join(hint)}?)" if hint else "")
            + "; not used"
        )
        return None, None
    if isinstance(observation.value, str) or measure.qualitative:
        return _word_reading(observation, measure, place, warnings), measure
    factor = _factor(observation.unit, measure, place, warnings)
    if factor is None:
        return None, measure
    if len(_NUMERIC) >= 10_000:
        _NUMERIC.clear()
    _NUMERIC[key] = (vocabulary, measure, factor, canonical_unit(observation.unit))
    return _numeric(observation, place, factor, _NUMERIC[key][3]), measure


def _numeric(observation, place: str, factor: Fraction, unit: str) -> Reading:
    """A numeric observation as a reading in its measure's unit (``unit``: the unit as written, canonical)."""
    low, high = observation.low, observation.high
    return Reading(
        observation.date,
        _scaled(observation.value, factor),
        observation.value,
        unit,
        None if low is None else _scaled(low, factor),
        None if high is None else _scaled(high, factor),
        place,
    )


def _scaled(value: Decimal, factor: Fraction) -> Fraction:
    """``value`` in the measure's unit, exactly (the ratio of integers, reduced by :class:`Fraction`)."""
    numerator, denominator = value.as_integer_ratio()
    return Fraction(numerator * factor.numerator, denominator * factor.denominator)


def _word_reading(observation, measure: MeasureDef, place: str, warnings: list[str]) -> Reading | None:
    if not measure.qualitative:
        warnings.append(f"{place}: {measure.name} needs a number, got {observation.value!r}; not used")
        return None
    if not isinstance(observation.value, str) or observation.value not in (measure.values or ()):
        allowed = ", ".join(measure.values or ())
        warnings.append(f"{place}: {measure.name} takes one of {allowed}, got {observation.value!r}; not used")
        return None
    return Reading(observation.date, observation.value, observation.value, "", None, None, place)


def _factor(unit: str, measure: MeasureDef, place: str, warnings: list[str]) -> Fraction | None:
    written = canonical_unit(unit)
    try:
        factor = measure_factor(written, measure.unit, measure.molar_mass, measure.valence)
    except UnitError:
        warnings.append(f"{place}: unknown unit {unit!r}; not used")
        return None
    if factor is None:
        shown = f"unit {unit!r}" if unit else "no unit"
        warnings.append(f"{place}: {shown} cannot express {measure.name} (in {measure.unit or 'points'}); not used")
    return factor


def _add_record(index: PatientIndex, vocabulary: Vocabulary, category: str, place: str, record) -> None:
    concept = vocabulary.concept(record.code, category)
    if concept is None:
        hint = vocabulary.suggest_concepts(record.code, category)
        index.warnings.append(
            f"{place}: unknown {category} {record.code!r}"
            + (f" (did you mean {', '.join(hint)}?)" if hint else "")
            + "; not used"
        )
        return
    start, end, status = _span(record)
    if status in ("absent", "resolved"):
        index.negations.setdefault(category, {})
        if index.negations[category].get(concept.id) != "absent":
            index.negations[category][concept.id] = status
        if status == "absent":
            return
    if start is not None and start > index.as_of:
        index.warnings.append(f"{place}: dated {start}, after the reference date {index.as_of}; not used")
        return
    dose = record.dose if isinstance(record, Medication) else None
    normalised = None if dose is None else record_dose(dose, place, index.warnings)
    occurrence = Occurrence(
        concept.id, vocabulary.ancestors(concept.id), record.code, start, end, status, place, normalised
    )
    by_concept = index.records.setdefault(category, {})
    for ancestor in vocabulary.ancestors(concept.id):
        by_concept.setdefault(ancestor, []).append(occurrence)


def _span(record) -> tuple[date | None, date | None, str]:
    if isinstance(record, Condition):
        end = record.end if record.end else (record.onset if record.status == "resolved" else None)
        return record.onset, end, record.status
    if isinstance(record, Medication):  # ended with no end date: resolved, end unknown (None)
        return record.start, record.end, "active" if record.end is None and record.status != "ended" else "resolved"
    return record.date, record.date, "active"
