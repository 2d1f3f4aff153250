"""Quantities and durations written as text in rule files and options (``"40 U/L"``, ``"30 days"``), read
within the input limits."""

from __future__ import annotations

import re
from decimal import Decimal

from eligibility.errors import RuleFileError
from eligibility.inputs import check_duration, check_number
from eligibility.lang import ast
from eligibility.vocab.units import canonical_unit

_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(.*?)\s*$")


def parse_quantity(text: str) -> ast.Quantity:
    """``"40 U/L"`` → Quantity; :class:`EligibilityError` if it is not a number with an optional unit."""
    match = _QUANTITY.match(str(text))
    if not match:
        raise RuleFileError(f"expected a number with a unit, got {text!r}", hint="write e.g. `40 U/L`")
    try:
        value = check_number(Decimal(match.group(1)))
    except ValueError as exc:
        raise RuleFileError(str(exc), hint="see the limits on input in the README") from None
    return ast.Quantity(value=value, unit=canonical_unit(match.group(2)))


def parse_duration(text: str) -> ast.Duration:
    """``"30 days"`` → Duration."""
    quantity = parse_quantity(text)
    unit = quantity.unit
    if unit not in ast.TIME_UNITS:
        raise RuleFileError(
            f"expected a duration such as `30 days`, got {text!r}", hint="use hours, days, weeks, months or years"
        )
    try:
        check_duration(quantity.value, unit)
    except ValueError as exc:
        raise RuleFileError(str(exc), hint="see the limits on input in the README") from None
    return ast.Duration(value=quantity.value, unit=unit)
