"""Doses of medication records, normalised once: every readable dose becomes an exact amount in one of two
bases, ``mg/day`` or (weight-based) ``mg/kg/day``, so rules compare doses without touching the unit registry.

A dose that cannot be read (a unit that is neither a mass nor a mass per body weight, e.g. ``mg/m^2`` or ``IU``)
is reported as a warning naming the record and left unknown: a rule on it is then unknown, never decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from eligibility.errors import UnitError
from eligibility.patient.contract import Dose
from eligibility.vocab.doses import dose_basis
from eligibility.vocab.units import canonical_unit, format_number


@dataclass(frozen=True, slots=True)
class RecordDose:
    """A record's dose in its basis (``mg/day`` or ``mg/kg/day``) and as written (``20 mg/day``)."""

    value: Fraction
    basis: str
    written: str


def dose_unit(dose: Dose) -> str:
    """The unit of a dose with its period, in canonical spelling: ``mg/day``, ``mg/kg/day``, ``g/week``."""
    return canonical_unit(f"{dose.unit}/{dose.per}")


def record_dose(dose: Dose, place: str, warnings: list[str]) -> RecordDose | None:
    """A contract dose normalised to its basis, or ``None`` with a warning when its unit cannot be read."""
    unit = dose_unit(dose)
    try:
        found = dose_basis(unit)
    except UnitError:
        found = None
    written = f"{format_number(dose.value)} {dose.unit}/{dose.per}"
    if found is None:
        warnings.append(
            f"{place}: dose {written} is neither a mass nor a mass per kg of body weight per time; dose not used"
        )
        return None
    basis, factor = found
    return RecordDose(Fraction(dose.value) * factor, basis, written)
