"""Units: the one pint registry, clinical unit spellings, and exact conversion factors.

Unit text is first put in a canonical spelling (``"×10⁹/L"`` → ``"10^9/L"``, ``"μmol/l"`` → ``"umol/L"``,
``"mL/min/1.73 m²"`` → ``"mL/min/1.73m^2"``), then read by pint. Magnitudes are exact rationals
(:class:`~fractions.Fraction`), so a boundary written in one unit equals the same boundary written in another,
through any conversion (500 cells/µL == 0.5 10^9/L; 2.828 mg/dL creatinine == 250 µmol/L).
Conversions between mass and amount of substance need the analyte's molar mass (pint's ``chemistry``
context); conversions between equivalents and moles need its valence (the ``ionic`` context defined here).
Factors are computed once per (from, to, analyte) and cached, so evaluation never touches the registry.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from typing import Any

import pint

from eligibility.errors import UnitError
from eligibility.inputs import MAX_UNIT_EXPONENT, MAX_UNIT_LENGTH
from eligibility.resources import data_path

_registry: pint.UnitRegistry | None = None


def unit_registry() -> pint.UnitRegistry:
    """The project's single pint registry (built on first use; building takes a few tenths of a second)."""
    global _registry
    if _registry is None:
        ureg: pint.UnitRegistry = pint.UnitRegistry(non_int_type=Fraction)
        ureg.load_definitions(str(data_path("units.txt")))
        _registry = ureg
    return _registry


# --- spelling -------------------------------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
# Lower-cased atom → canonical spelling. Anything not listed is kept as written and left to pint.
_ATOMS = {
    "l": "L",
    "dl": "dL",
    "ml": "mL",
    "ul": "uL",
    "nl": "nL",
    "fl": "fL",
    "cl": "cL",
    "g": "g",
    "mg": "mg",
    "ug": "ug",
    "mcg": "ug",
    "ng": "ng",
    "pg": "pg",
    "kg": "kg",
    "mol": "mol",
    "mmol": "mmol",
    "umol": "umol",
    "nmol": "nmol",
    "pmol": "pmol",
    "eq": "Eq",
    "meq": "mEq",
    "u": "U",
    "iu": "IU",
    "miu": "mIU",
    "ku": "kU",
    "kiu": "kIU",
    "mu": "mU",
    "min": "min",
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "s": "s",
    "sec": "s",
    "ms": "ms",
    "msec": "ms",
    "d": "day",
    "day": "day",
    "days": "day",
    "wk": "week",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "mo": "month",
    "year": "year",
    "years": "year",
    "yr": "year",
    "yrs": "year",
    "y": "year",
    "m": "m",
    "cm": "cm",
    "mm": "mm",
    "um": "um",
    "m2": "m^2",
    "m^2": "m^2",
    "mm2": "mm^2",
    "mm3": "mm^3",
    "mm^3": "mm^3",
    "cm3": "cm^3",
    "cm^3": "cm^3",
    "mmhg": "mmHg",
    "cmh2o": "cmH2O",
    "kpa": "kPa",
    "bpm": "bpm",
    "%": "%",
    "percent": "%",
    "cells": "cells",
    "cell": "cells",
    "copies": "copies",
    "copy": "copies",
    "24h": "24h",
    "1.73m2": "1.73m^2",
    "1.73m^2": "1.73m^2",
    "1.73": "1.73m^2",
    "lb": "lb",
    "lbs": "lb",
    "in": "in",
    "inch": "in",
    "ft": "ft",
}
# Canonical atom → pint expression, where the two differ.
_PINT_ATOMS = {
    "1.73m^2": "standard_bsa",
    "%": "percent",
    "cells": "cell",
    "h": "hour",
    "bpm": "1/minute",
    "cmH2O": "cmH2O",
    "copies": "copy",
    "24h": "day",
}
_SCALE = re.compile(r"^(?:[x×*]\s*)?10\s*(?:\^|\*\*|\*|e|E)\s*(-?\d+)\s*")
_LEADING_X = re.compile(r"^(?:[x×*]\s*)+")
_SUPERSCRIPT_POWER = re.compile(r"10([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
# Cell counts written with SI prefixes on "per litre": G/L is 10^9/L, T/L is 10^12/L.
_SI_COUNT = {"G/L": "10^9/L", "T/L": "10^12/L", "G/l": "10^9/L", "T/l": "10^12/L"}


@lru_cache(maxsize=4096)
def canonical_unit(text: str) -> str:
    """The canonical spelling of a unit as written (``""`` for none); cached (labs repeat a few spellings).

    >>> canonical_unit("×10⁹/L"), canonical_unit("mg/dl"), canonical_unit("mL/min/1.73 m²")
    ('10^9/L', 'mg/dL', 'mL/min/1.73m^2')
    """
    raw = _SUPERSCRIPT_POWER.sub(lambda m: "10^" + m.group(1).translate(_SUPERSCRIPTS), text)
    raw = unicodedata.normalize("NFKC", raw).translate(_SUPERSCRIPTS)
    raw = raw.replace("µ", "u").replace("μ", "u").replace("·", "*").strip()
    if not raw:
        return ""
    scale = ""
    match = _SCALE.match(raw)
    if match:
        scale = f"10^{match.group(1)}"
        raw = raw[match.end() :]
    raw = _LEADING_X.sub("", raw)
    raw = _SI_COUNT.get(raw.replace(" ", ""), raw)
    raw = re.sub(r"1\.73\s*m", "1.73m", raw)
    raw = unicodedata.normalize("NFKC", re.sub(r"\s+", "", raw))  # removed spaces can leave marks to compose
    parts = raw.split("/")
    atoms = [_ATOMS.get(p.lower(), p) if p else "" for p in parts]
    body = "/".join(atoms)
    if scale and body and not body.startswith("/"):
        return f"{scale}*{body}"
    return f"{scale}{body}"


def pint_expression(unit: str) -> tuple[Fraction, str]:
    """A canonical unit spelling as (scale, pint unit expression)."""
    scale = Fraction(1)
    match = re.match(r"^10\^(-?\d+)\*?", unit)
    if match:
        scale = Fraction(10) ** int(match.group(1))
        unit = unit[match.end() :]
    if unit.startswith("/"):
        unit = "1" + unit
    parts = unit.split("/")
    expr = "/".join(_PINT_ATOMS.get(p, p).replace("^", "**") for p in parts)
    return scale, expr or "dimensionless"


@lru_cache(maxsize=4096)
def parse_unit(unit: str) -> tuple[Fraction, pint.Unit]:
    """Read a canonical unit spelling into (scale, pint unit); :class:`UnitError` when pint cannot."""
    _check_unit_size(unit)
    scale, expr = pint_expression(unit)
    try:
        parsed = unit_registry().parse_units(expr)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError, TypeError) as exc:
        raise UnitError(
            f"unknown unit {unit!r}",
            hint="write the unit as e.g. 10^9/L, g/dL, umol/L, mL/min/1.73m^2, %, mmHg, U/L",
        ) from exc
    except Exception as exc:  # pint raises assorted errors for odd text (e.g. tokenizer errors)
        raise UnitError(f"unknown unit {unit!r}", hint="check the spelling of the unit") from exc
    return scale, parsed


_POWERS = re.compile(r"(?:\^|\*\*|[eE])\s*([+-]?\d+)|(\d{7,})")


def _check_unit_size(unit: str) -> None:
    """Refuse units beyond the input limits before pint reads them (pint is quadratic in the length of the
    text, and ``10^99999999`` or ``L^99999999`` would be computed exactly)."""
    if len(unit) > MAX_UNIT_LENGTH:
        raise UnitError(
            f"the unit has {len(unit)} characters; at most {MAX_UNIT_LENGTH} are read",
            hint="write the unit as e.g. 10^9/L, g/dL, umol/L",
        )
    for match in _POWERS.finditer(unit):
        if match.group(2) or abs(int(match.group(1))) > MAX_UNIT_EXPONENT:
            raise UnitError(
                f"unit {unit[:20]!r} has a power or number beyond the limit (powers up to {MAX_UNIT_EXPONENT})",
                hint="write the unit as e.g. 10^9/L, g/dL, umol/L",
            )


def is_known_unit(unit: str) -> bool:
    """True when pint can read ``unit`` (in canonical spelling)."""
    try:
        parse_unit(unit)
    except UnitError:
        return False
    return True


@lru_cache(maxsize=8192)
def conversion_factor(
    source: str, target: str, molar_mass: Decimal | None = None, valence: int | None = None
) -> Fraction | None:
    """Exact factor ``f`` such that ``value [source] * f = value' [target]``; ``None`` if impossible.

    ``molar_mass`` (g/mol) and ``valence`` enable the analyte-specific contexts.
    """
    source_scale, source_unit = parse_unit(source)
    target_scale, target_unit = parse_unit(target)
    ureg = unit_registry()
    quantity = ureg.Quantity(source_scale / target_scale, source_unit)
    contexts: list[str] = []
    params: dict[str, Any] = {}
    if molar_mass is not None:
        contexts.append("chemistry")
        params["mw"] = ureg.Quantity(Fraction(str(molar_mass)), "g/mol")
    if valence is not None:
        contexts.append("ionic")
        params["valence"] = Fraction(valence)
    try:
        result = quantity.to(target_unit, *contexts, **params) if contexts else quantity.to(target_unit)
        origin = ureg.Quantity(Fraction(0), source_unit).to(target_unit, *contexts, **params)
    except (pint.errors.DimensionalityError, pint.errors.OffsetUnitCalculusError, InvalidOperation, ZeroDivisionError):
        return None
    if origin.magnitude != 0:  # offset units (degC, degF) have no conversion factor
        return None
    return Fraction(result.magnitude)


def dimension_name(unit: str) -> str:
    """A readable name of a unit's physical dimension, for error messages."""
    _, parsed = parse_unit(unit)
    dimensionality = str(parsed.dimensionality)
    return "dimensionless" if dimensionality == "dimensionless" else dimensionality


def as_decimal(value: Decimal | Fraction | int | float) -> Decimal:
    """A number as a Decimal (a rational with a non-terminating expansion to 28 significant digits)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(str(value))


def format_number(value: Decimal | Fraction | int | float) -> str:
    """A number as plain decimal text with no exponent and no trailing zeros (``500``, ``0.5``)."""
    number = as_decimal(value)
    if number == number.to_integral_value():
        return format(number.to_integral_value(), "f")
    return format(number, "f").rstrip("0")  # not normalize(): it rounds to the context's 28 digits


def format_quantity(value: Decimal | Fraction | int | float, unit: str) -> str:
    """``value`` and ``unit`` as canonical quantity text (``0.5 10^9/L``, ``55 %``, ``3``)."""
    number = format_number(value)
    return f"{number} {unit}" if unit else number


def measure_factor(
    unit: str, target: str, molar_mass: Decimal | None = None, valence: int | None = None
) -> Fraction | None:
    """Exact factor from ``unit`` to a measure's canonical unit ``target``; ``None`` when impossible.

    Scores and percentages are read as points: a bare number and a number with ``%`` mean the same thing for a
    measure kept in ``%`` (LVEF 55 is 55 %) or in points (Karnofsky 70 % is 70).
    """
    if unit == target or (unit in ("", "%") and target in ("", "%")):
        return Fraction(1)
    if not unit or {unit, target} == _OFFSET_SCALES:
        return None
    return conversion_factor(unit, target, molar_mass, valence)


# HbA1c in IFCC mmol/mol and in NGSP %: two scales related by an offset (48 mmol/mol is 6.5 %), which pint would
# convert as a ratio (48 mmol/mol = 4.8 %): never converted.
_OFFSET_SCALES = {"mmol/mol", "%"}
