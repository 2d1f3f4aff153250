"""The usual Observation, mapped in one pass: what :meth:`eligibility.patient.fhir_records.Mapper.observation`
makes of it, for the shape nearly every observation of an export has.

That shape: status final, amended or corrected; a full ``effectiveDateTime``; no components; a coding of a
numeric measure; a ``valueQuantity`` with a non-negative number (no comparator) in a unit that can express the
measure; reference limits (if any) in that same unit. Anything else, and anything the general mapping would warn
about, gives ``None``: the general mapping then reads the resource, with its warnings. A property test checks
that both give the same records.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from eligibility.patient.fhir_values import expressible, known_unit
from eligibility.vocab.vocabulary import MeasureDef, Vocabulary

Measures = dict[tuple[str, str], MeasureDef | None]
_UNKNOWN = object()
_MEASURES: WeakKeyDictionary[Vocabulary, Measures] = WeakKeyDictionary()
_day = dt.date.fromisoformat


def measures_of(vocabulary: Vocabulary) -> Measures:
    """The measures of the codes met so far (a lookup kept for each vocabulary, for :func:`plain_observation`)."""
    return _MEASURES.setdefault(vocabulary, {})


def plain_observation(resource: dict, vocabulary: Vocabulary, measures: Measures) -> dict[str, Any] | None:
    """The contract observation of ``resource`` when it is in the usual shape; otherwise None."""
    status, when = resource.get("status"), resource.get("effectiveDateTime")
    if (status != "final" and status != "amended" and status != "corrected") or resource.get("component") is not None:
        return None
    if type(when) is not str or len(when) < 10 or when[10:11] not in ("", "T"):
        return None  # the general mapping reads the other spellings of a date
    try:
        day = _day(when[:10])
    except ValueError:
        return None
    measure = _measure(resource.get("code"), vocabulary, measures)
    quantity = resource.get("valueQuantity")
    if measure is None or measure.qualitative or type(quantity) is not dict:
        return None
    value, unit = _value(quantity), known_unit(quantity)
    if value is None or unit is None or not expressible(unit, measure):
        return None
    record: dict[str, Any] = {"code": measure.id, "value": value, "unit": unit, "date": day}
    ranges = resource.get("referenceRange")
    if ranges is not None:
        if type(ranges) is not list or any(type(item) is not dict for item in ranges):
            return None  # the general mapping warns about the field
    if ranges:
        for key in ("low", "high"):
            bound = ranges[0].get(key)
            if bound is None:
                continue
            if type(bound) is not dict:
                return None
            limit = _value(bound)
            if limit is None or ((bound.get("code") or bound.get("unit")) and known_unit(bound) != unit):
                return None
            record[key] = limit
    return record


def _measure(concept: Any, vocabulary: Vocabulary, measures: Measures) -> MeasureDef | None:
    """The measure of the first coding that names one (as the general mapping takes it)."""
    if type(concept) is not dict or type(listed := concept.get("coding")) is not list:
        return None  # no coding, or one the general mapping warns about
    if any(type(coding) is not dict for coding in listed):
        return None
    for coding in listed:
        if coding.get("code"):
            system, code = coding.get("system", ""), coding["code"]
            if type(system) is not str or type(code) is not str:
                found = vocabulary.measure_for_code(str(system), str(code))
            elif (found := measures.get((system, code), _UNKNOWN)) is _UNKNOWN:  # type: ignore[arg-type]
                found = vocabulary.measure_for_code(system, code)
                if len(measures) < 4096:  # the same few codes on every observation: looked up once
                    measures[(system, code)] = found
            if found is not None:
                return found
    return None


def _value(quantity: dict) -> Decimal | None:
    """A Quantity's value when it is a plain non-negative number (as quantity_value reads it); else None."""
    raw = quantity.get("value")
    if quantity.get("comparator"):
        return None
    if type(raw) is int:
        return Decimal(raw) if raw >= 0 else None
    return raw if type(raw) is Decimal and raw.is_finite() and raw >= 0 else None
