"""FHIR R4 dosage → a medication record's dose (``{"value", "unit", "per"}``), only where it is clear-cut.

A dose is read from the one dosage of a MedicationRequest (``dosageInstruction``) or MedicationStatement
(``dosage``) that gives one ``doseAndRate.doseQuantity`` (a mass, or a mass per kg) and a plain
``timing.repeat`` (``frequency`` times per ``period`` ``periodUnit``, unit h, d or wk; no maxima, no ranges).
Anything else (several dosages, a dose range, "as needed", a timing code, a dose per m² …) gives no dose and a
warning: the record is still read, and a rule on its dose is unknown, never decided.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from eligibility.errors import UnitError
from eligibility.patient.fhir_values import FhirValueError, quantity_unit, quantity_value
from eligibility.vocab.doses import dose_basis

PERIOD_UNITS = {"h": "hour", "d": "day", "wk": "week"}
_UNCLEAR_TIMING = ("frequencyMax", "periodMax", "when", "timeOfDay", "dayOfWeek", "offset", "count", "countMax")


def read_dose(resource: dict, ingredients: int = 1) -> tuple[dict | None, str | None]:
    """(dose, why not): the dose of a medication resource of ``ingredients`` ingredients, or ``None`` and the
    reason (``None`` for no dosage)."""
    dose, why = _read_dose(resource)
    if dose is not None and ingredients > 1:
        return None, "one dose for several ingredients; dose not read"
    return dose, why


def _read_dose(resource: dict) -> tuple[dict | None, str | None]:
    dosages = resource.get("dosageInstruction") or resource.get("dosage")
    if not dosages or resource.get("resourceType") == "MedicationAdministration":
        return None, None
    if not isinstance(dosages, list) or len(dosages) != 1 or not isinstance(dosages[0], dict):
        return None, "several dosages; dose not read"
    try:
        return _dose(dosages[0]), None
    except FhirValueError as why:
        return None, f"{why}; dose not read"


def _dose(dosage: dict) -> dict:
    if dosage.get("asNeededBoolean") or "asNeededCodeableConcept" in dosage:
        raise FhirValueError("taken as needed")
    rates = dosage.get("doseAndRate") or []
    quantities = [r["doseQuantity"] for r in rates if isinstance(r, dict) and isinstance(r.get("doseQuantity"), dict)]
    if len(rates) != 1 or len(quantities) != 1:
        raise FhirValueError("no single doseQuantity")
    amount, unit = quantity_value(quantities[0]), quantity_unit(quantities[0])
    if not unit:
        raise FhirValueError("the dose has no unit")
    repeat = (dosage.get("timing") or {}).get("repeat")
    if not isinstance(repeat, dict) or "code" in (dosage.get("timing") or {}):
        raise FhirValueError("no plain timing.repeat")
    if any(key in repeat for key in _UNCLEAR_TIMING) or repeat.get("periodUnit") not in PERIOD_UNITS:
        raise FhirValueError("timing is not a plain frequency per hour, day or week")
    frequency, period = repeat.get("frequency", 1), repeat.get("period")
    if not isinstance(frequency, int) or isinstance(frequency, bool) or frequency < 1 or period in (None, 0):
        raise FhirValueError("timing has no frequency and period")
    value = _exact(amount * frequency, Decimal(str(period)))
    per = PERIOD_UNITS[repeat["periodUnit"]]
    try:
        readable = value > 0 and dose_basis(f"{unit}/{per}") is not None
    except UnitError:
        readable = False
    if not readable:
        raise FhirValueError(f"dose {amount} {unit} is not a mass or a mass per kg")
    return {"value": value, "unit": unit, "per": per}


def _exact(numerator: Decimal, denominator: Decimal) -> Decimal:
    """``numerator / denominator`` when it is an exact decimal; :class:`FhirValueError` otherwise."""
    with localcontext() as context:
        context.prec = 60
        value = numerator / denominator
        if value * denominator != numerator or len(value.normalize().as_tuple().digits) > 30:
            raise FhirValueError("the dose per period is not an exact decimal")
    return value.normalize() if value != value.to_integral_value() else value.to_integral_value()
