"""Reading FHIR R4 data types: dates, references, codings, quantities and qualitative results.

Each reader returns the value or ``None`` and, for what cannot be read, a short problem text that the caller
turns into a warning naming the resource and the field.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from eligibility.errors import UnitError
from eligibility.vocab.ucum import ucum_to_canonical
from eligibility.vocab.units import canonical_unit, measure_factor
from eligibility.vocab.vocabulary import MeasureDef

UCUM = "http://unitsofmeasure.org"
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T.*)?$")
POSITIVE = {"positive", "pos", "detected", "reactive", "present"}
NEGATIVE = {"negative", "neg", "not detected", "nondetected", "non-reactive", "nonreactive", "absent"}
# SNOMED CT qualifier values and HL7 v3 interpretation codes for positive and negative results.
_CODED_WORDS = {
    "10828004": "positive",
    "260385009": "negative",
    "260373001": "positive",
    "260415000": "negative",
    "11214006": "positive",
    "131194007": "negative",
    "POS": "positive",
    "NEG": "negative",
    "DET": "positive",
    "ND": "negative",
}


class FhirValueError(ValueError):
    """A value that is present but cannot be read (an impossible date, an unknown unit)."""


def parse_date(text: Any) -> tuple[dt.date | None, str]:
    """A FHIR date or dateTime → (date, precision) with precision ``day``, ``month`` or ``year``.

    The date part is taken as written (a dateTime's local date). An impossible date is a
    :class:`FhirValueError`; a missing one is ``(None, "")``.
    """
    if text is None:
        return None, ""
    if isinstance(text, str) and len(text) >= 10 and text[10:11] in ("", "T"):
        try:
            return dt.date.fromisoformat(text[:10]), "day"  # the common case, read in C
        except ValueError:
            pass
    match = _DATE.match(text) if isinstance(text, str) else None
    if match is None:
        raise FhirValueError(f"{text!r} is not a FHIR date")
    year, month, day = match.group(1), match.group(2), match.group(3)
    try:
        value = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise FhirValueError(f"{text!r} is not a real date") from None
    return value, "day" if day else ("month" if month else "year")


def full_date(text: Any) -> dt.date | None:
    """A date with a day, or None when absent; a date without a day is a :class:`FhirValueError`."""
    value, precision = parse_date(text)
    if value is not None and precision != "day":
        raise FhirValueError(f"{text!r} has no day")
    return value


def reference_key(reference: Any) -> str | None:
    """``Patient/123`` → ``Patient/123``; ``urn:uuid:…`` kept; an absolute URL keeps its last two parts."""
    if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
        return None
    text = reference["reference"].strip()
    if text.startswith("urn:") or text.startswith("#"):
        return text
    if text.count("/") == 1 and not text.startswith("/") and not text.endswith("/"):
        return text  # the usual Type/id: what the general reading below gives too
    parts = [p for p in text.split("/") if p]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return "/".join(parts[-2:]) if len(parts) >= 2 else text


def codings(concept: Any, place: str = "") -> list[tuple[str, str, str]]:
    """(system, code, display) of every coding of a CodeableConcept (at ``place``, for a
    :class:`FieldTypeError` when ``coding`` is not a list of objects)."""
    if not isinstance(concept, dict):
        return []
    found = []
    for coding in list_field(concept, "coding", place):
        if coding.get("code"):
            found.append((str(coding.get("system", "")), str(coding["code"]), str(coding.get("display", ""))))
    return found


def described(concept: Any) -> str:
    """A CodeableConcept as text for a warning: its codings, or its text."""
    shown = [
        f"{system.rsplit('/', 1)[-1] or '?'} {code}" + (f" {display!r}" if display else "")
        for system, code, display in codings(concept)
    ]
    if shown:
        return ", ".join(shown)
    return repr(concept.get("text", "")) if isinstance(concept, dict) else "no code"


def quantity_unit(quantity: dict) -> str:
    """The canonical spelling of a Quantity's unit: its UCUM ``code``, else its ``unit`` text.

    :class:`FhirValueError` when neither can be read.
    """
    key = (quantity.get("code"), quantity.get("system"), quantity.get("unit"))
    found = _UNITS.get(key) if all(part is None or type(part) is str for part in key) else None
    if found is None:
        found = _unit(*key)
        if len(_UNITS) < 4096 and all(part is None or type(part) is str for part in key):
            _UNITS[key] = found  # the same few units on every observation: read once
    if isinstance(found, FhirValueError):
        raise FhirValueError(*found.args)
    return found


_UNITS: dict[tuple[Any, Any, Any], str | FhirValueError] = {}


def _unit(code: Any, system: Any, text: Any) -> str | FhirValueError:
    for field, value in (("code", code), ("system", system), ("unit", text)):
        if value is not None and type(value) is not str:
            return FhirValueError(f"{field} is {json_kind(value)}, not text")
    try:
        if code and (system in (None, UCUM)):
            return ucum_to_canonical(str(code))
        return canonical_unit(str(text or code or ""))
    except UnitError as exc:
        return FhirValueError(exc.message)


def known_unit(quantity: dict) -> str | None:
    """:func:`quantity_unit`, or None when the unit cannot be read (no warning wanted: the caller falls back)."""
    try:
        found = _UNITS.get((quantity.get("code"), quantity.get("system"), quantity.get("unit")))
    except TypeError:  # a unit field that is not text
        found = None
    if type(found) is str:
        return found
    try:
        return quantity_unit(quantity)
    except FhirValueError:
        return None


def expressible(unit: str, measure: MeasureDef) -> bool:
    """Whether a value in ``unit`` can be converted to ``measure``'s unit (exactly)."""
    return _expressible(unit, measure.unit, measure.molar_mass, measure.valence)


@lru_cache(maxsize=4096)
def _expressible(unit: str, target: str, molar_mass: Decimal | None, valence: int | None) -> bool:
    try:
        return measure_factor(unit, target, molar_mass, valence) is not None  # exact and pure: cached
    except UnitError:  # a spelling outside UCUM that is not one of ours either
        return False


def quantity_value(quantity: dict) -> Decimal:
    """A Quantity's value as an exact Decimal; :class:`FhirValueError` for none, a comparator, or a negative."""
    if quantity.get("comparator"):
        raise FhirValueError(f"value {quantity.get('comparator')}{quantity.get('value')} is a bound, not a value")
    raw = quantity.get("value")
    if type(raw) is Decimal:  # JSON is read with decimal numbers
        value = raw
    elif isinstance(raw, bool) or raw is None:
        raise FhirValueError("quantity has no value")
    else:
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise FhirValueError(f"value {raw!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise FhirValueError(f"value {raw} is not a finite non-negative number")
    return value


def qualitative(resource: dict) -> str | None:
    """``positive`` / ``negative`` from valueCodeableConcept, valueString or interpretation; else None."""
    for _, code, display in codings(object_field(resource, "valueCodeableConcept"), "valueCodeableConcept."):
        word = _CODED_WORDS.get(code) or _word(display)
        if word:
            return word
    concept = resource.get("valueCodeableConcept")
    if isinstance(concept, dict) and _word(concept.get("text")):
        return _word(concept.get("text"))
    if isinstance(resource.get("valueString"), str):
        return _word(resource["valueString"])
    if isinstance(resource.get("valueBoolean"), bool):
        return "positive" if resource["valueBoolean"] else "negative"
    for i, interpretation in enumerate(list_field(resource, "interpretation")):
        for _, code, _ in codings(interpretation, f"interpretation[{i}]."):
            if code in _CODED_WORDS:
                return _CODED_WORDS[code]
    return None


def result_word(code: Any, text: Any) -> str | None:
    """``positive`` / ``negative`` from a coded result (SNOMED CT qualifier or HL7 interpretation code) or its
    words; None when neither says."""
    return _CODED_WORDS.get(str(code)) if code is not None and str(code) in _CODED_WORDS else _word(text)


def _word(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    key = text.strip().lower().rstrip(".")
    return "positive" if key in POSITIVE else "negative" if key in NEGATIVE else None


# --- typed fields: a field of the wrong JSON type is a FieldTypeError naming the field ---------------------


class FieldTypeError(FhirValueError):
    """A field whose JSON type is not the one FHIR gives it (a list where text is expected, …)."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        super().__init__(f"{json_kind(value)} where {expected} is expected")
        self.field = field


def json_kind(value: Any) -> str:
    """The JSON type of a value, in words (``a list``, ``an object``, ``text``, …)."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else "a number"


def text_field(data: dict, field: str, place: str = "") -> str | None:
    """``data[field]`` when it is text, None when absent; :class:`FieldTypeError` for another JSON type."""
    value = data.get(field)
    if value is None or type(value) is str:
        return value
    raise FieldTypeError(place + field, value, "text")


def object_field(data: dict, field: str, place: str = "") -> dict | None:
    """``data[field]`` when it is an object, None when absent; :class:`FieldTypeError` for another JSON type."""
    value = data.get(field)
    if value is None or type(value) is dict:
        return value
    raise FieldTypeError(place + field, value, "an object")


def list_field(data: dict, field: str, place: str = "", items: type = dict) -> list:
    """``data[field]`` when it is a list of ``items`` (objects by default), ``[]`` when absent;
    :class:`FieldTypeError` for another JSON type, or an item of another type."""
    value = data.get(field)
    if value is None:
        return []
    if type(value) is not list:
        raise FieldTypeError(place + field, value, "a list")
    for i, item in enumerate(value):
        if type(item) is not items:
            raise FieldTypeError(f"{place}{field}[{i}]", item, "an object" if items is dict else "text")
    return value


def patient_reference(resource: dict) -> str | None:
    """The reference to the patient a resource is about (``subject`` or ``patient``)."""
    return reference_key(resource.get("subject")) or reference_key(resource.get("patient"))


def full_date_or_warn(text: Any, place: str, warnings: list[str]) -> dt.date | None:
    """A full date, or None with a warning when it is impossible or has no day."""
    try:
        return full_date(text)
    except FhirValueError as exc:
        warnings.append(f"{place}: {exc}; not used")
        return None


def path_value(data: Any, path: str) -> Any:
    """The value at a dotted path; :class:`FieldTypeError` when a step on the way is not an object."""
    if "." not in path:
        return data.get(path) if isinstance(data, dict) else None
    parts = path.split(".")
    for step, part in enumerate(parts):
        if data is None:
            return None
        if type(data) is not dict:
            raise FieldTypeError(".".join(parts[:step]), data, "an object")
        data = data.get(part)
    return data
