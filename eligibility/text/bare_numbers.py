"""Thresholds written without a unit: the one unit a bare number can be read in, or none.

"Platelets > 100,000" is per µL and "platelets > 100" is 10^9/L; "fasting glucose > 7.0" is mmol/L and "> 126"
mg/dL; "glucose > 40" could be either. ``data/bare_numbers.yaml`` lists, per measure, the units labs report it in
with the range a threshold can take in each. A bare number is read in a unit only when exactly one of them makes it
plausible: an ambiguous or implausible number is left for review, never guessed.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from eligibility.inputs import read_yaml_mapping
from eligibility.resources import data_path


@lru_cache(maxsize=1)
def bare_number_units() -> dict[str, dict[str, tuple[Decimal, Decimal]]]:
    """Measure id → unit → (low, high): the readings a bare number of that measure can have."""
    data = read_yaml_mapping(data_path("bare_numbers.yaml"), "bare-number unit table")
    return {
        measure: {unit: (Decimal(str(low)), Decimal(str(high))) for unit, (low, high) in units.items()}
        for measure, units in data["measures"].items()
    }


def bare_number_unit(measure: str, value: Decimal) -> str | None:
    """The unit a unitless threshold of ``measure`` is written in, when exactly one reading is plausible."""
    readings = [unit for unit, (low, high) in bare_number_units().get(measure, {}).items() if low <= value <= high]
    return readings[0] if len(readings) == 1 else None
