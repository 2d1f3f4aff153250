"""Dose units and dose equivalence.

- Every dose is compared in one of two bases: ``mg/day``, or (weight-based) ``mg/kg/day``; :func:`dose_basis`
  gives a unit's basis and the exact factor to it (``1 g/week`` = 1000/7 mg/day).
- Equivalence tables (``data/equivalents.yaml``) list doses of different drugs with the same effect, so a dose of
  one drug can be expressed as a dose of another ("20 mg/day of prednisone or equivalent"). A drug is looked up by
  its concept id, else by the kind of it that the table lists (``iv_methylprednisolone_pulse`` is a
  ``methylprednisolone``).

Ratios and factors are exact (:class:`~fractions.Fraction`).
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from functools import cache, lru_cache

import yaml

from eligibility.resources import data_path
from eligibility.vocab.units import conversion_factor

DAILY = "mg/day"
DAILY_PER_KG = "mg/kg/day"
DOSE_BASES = (DAILY, DAILY_PER_KG)


@lru_cache(maxsize=1024)
def dose_basis(unit: str) -> tuple[str, Fraction] | None:
    """The basis a dose unit (canonical spelling, e.g. ``g/week``, ``mg/kg/day``) converts to and the exact factor
    to it; ``None`` when it is not a mass per time, or a mass per kg of body weight per time (``mg/kg`` must be
    written: pint alone would read it as a plain number). :class:`UnitError` when the unit cannot be read."""
    parts = unit.split("/")
    per_kg = "kg" in parts[1:]
    if per_kg:
        parts.remove("kg")
    if not parts[0]:
        return None
    factor = conversion_factor("/".join(parts), DAILY)
    if factor is None:
        return None
    return (DAILY_PER_KG if per_kg else DAILY), factor


@cache
def equivalence_groups() -> dict[str, dict[str, Fraction]]:
    """Group name → drug concept id → the dose (in the group's unit) equivalent to every other listed dose."""
    data = yaml.safe_load(data_path("equivalents.yaml").read_text(encoding="utf-8"))
    return {
        name: {drug: Fraction(str(dose)) for drug, dose in group["doses"].items()}
        for name, group in data["groups"].items()
    }


def reference_drugs() -> frozenset[str]:
    """Every drug a dose can be expressed as (``as prednisone``)."""
    return frozenset(drug for doses in equivalence_groups().values() for drug in doses)


@lru_cache(maxsize=4096)
def equivalence_ratio(ancestors: frozenset[str], reference: str) -> Fraction | None:
    """The factor turning a dose of a drug (given by the concepts it is a kind of, itself included) into the
    equivalent dose of ``reference``; ``None`` when no table lists both (or the drug's kinds disagree)."""
    for doses in equivalence_groups().values():
        if reference not in doses:
            continue
        found = {doses[concept] for concept in ancestors if concept in doses}
        if len(found) == 1:
            return doses[reference] / found.pop()
    return None


def ratios_for(concepts: Iterable[tuple[str, frozenset[str]]], reference: str) -> dict[str, Fraction]:
    """Concept id → equivalence ratio to ``reference``, for the concepts that have one."""
    found = {concept: equivalence_ratio(ancestors, reference) for concept, ancestors in concepts}
    return {concept: ratio for concept, ratio in found.items() if ratio is not None}
