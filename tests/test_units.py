"""Units: canonical spellings (golden file), exact conversions, and clear errors."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from eligibility.errors import UnitError
from eligibility.vocab.units import (
    canonical_unit,
    conversion_factor,
    format_number,
    is_known_unit,
    measure_factor,
    parse_unit,
)

from conftest import load_cases

SPELLINGS = load_cases("unit_spellings.yaml")


@pytest.mark.parametrize("written", list(SPELLINGS))
def test_canonical_spelling(written):
    canonical = canonical_unit(written)
    assert canonical == SPELLINGS[written]
    assert is_known_unit(canonical)


@pytest.mark.parametrize(
    "source,target,value,expected",
    [
        ("cells/uL", "10^9/L", "500", "0.5"),
        ("/mm^3", "10^9/L", "1500", "1.5"),
        ("10^3/uL", "10^9/L", "1", "1"),
        ("g/dL", "g/L", "9", "90"),
        ("mL/min/1.73m^2", "mL/min/1.73m^2", "30", "30"),
        ("U/L", "IU/L", "40", "40"),
        ("week", "day", "4", "28"),
    ],
)
def test_exact_conversions(source, target, value, expected):
    assert Fraction(value) * conversion_factor(source, target) == Fraction(expected)


def test_creatinine_needs_its_molar_mass():
    assert conversion_factor("umol/L", "mg/dL") is None
    factor = conversion_factor("umol/L", "mg/dL", Decimal("113.12"))
    assert 250 * factor == Fraction("2.828")
    assert Fraction("2.828") * conversion_factor("mg/dL", "umol/L", Decimal("113.12")) == 250


def test_calcium_equivalents_use_valence():
    assert conversion_factor("mEq/L", "mmol/L", None, 2) == Fraction(1, 2)


def test_incompatible_units_have_no_factor():
    assert conversion_factor("mg/dL", "10^9/L") is None
    assert conversion_factor("mL/min", "mL/min/1.73m^2") is None


def test_points_and_percent_are_interchangeable_for_scores():
    assert measure_factor("", "%") == 1 and measure_factor("%", "") == 1
    assert measure_factor("", "g/L") is None


def test_unknown_unit_is_a_clear_error():
    with pytest.raises(UnitError) as caught:
        parse_unit("furlongs/fortnightz")
    assert str(caught.value) == (
        "unknown unit 'furlongs/fortnightz'\n"
        "  fix: write the unit as e.g. 10^9/L, g/dL, umol/L, mL/min/1.73m^2, %, mmHg, U/L"
    )


@pytest.mark.parametrize(
    "value,text",
    [(Decimal("500"), "500"), (Decimal("0.50"), "0.5"), (Decimal("5E+2"), "500"), (Decimal("1.250"), "1.25")],
)
def test_number_format(value, text):
    assert format_number(value) == text


@given(st.text(max_size=16))
@example("·×")  # a stray sign before a multiplication sign: the first pass left the ×
@example("o ´")  # a removed space let a combining accent compose only on the second pass
def test_canonical_spelling_is_idempotent(text):
    once = canonical_unit(text)
    assert canonical_unit(once) == once
