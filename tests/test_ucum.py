"""UCUM codes read into the canonical unit spelling, with exact factors and the project's meanings."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility.errors import UnitError
from eligibility.vocab.ucum import ucum_to_canonical
from eligibility.vocab.units import canonical_unit, conversion_factor, is_known_unit, measure_factor
from eligibility.vocab.vocabulary import default_vocabulary

from conftest import load_cases

CASES = load_cases("ucum_units.yaml")


@pytest.mark.parametrize("case", CASES, ids=[c["ucum"] for c in CASES])
def test_ucum_code_reads_to_canonical_spelling_and_converts_exactly(case):
    canonical = ucum_to_canonical(case["ucum"])
    assert canonical == case["canonical"]
    assert canonical_unit(canonical) == canonical  # the spelling the rest of the project uses
    assert is_known_unit(canonical)
    if "measure" in case:
        measure = default_vocabulary().measures[case["measure"]]
        factor = measure_factor(canonical, measure.unit, measure.molar_mass, measure.valence)
        assert factor == (None if case["factor"] is None else Fraction(case["factor"]))


@pytest.mark.parametrize("bad", ["mg /dL", "foo", "mg/", "(mg", "10*x", "mg//dL", "m g", "{score", "3.5/L", "10*3/ul/"])
def test_text_that_is_not_ucum_is_a_unit_error_naming_it(bad):
    with pytest.raises(UnitError) as raised:
        ucum_to_canonical(bad)
    assert repr(bad) in str(raised.value)


def test_offset_units_convert_to_nothing_but_themselves():
    assert conversion_factor("degF", "degC") is None
    assert conversion_factor("degC", "degC") == 1


PREFIXES = {"k": 3, "d": -1, "c": -2, "m": -3, "u": -6, "n": -9, "p": -12, "f": -15}
ATOMS = ["g", "L", "mol", "m", "s", "[IU]", "U", "eq"]


@given(st.sampled_from(sorted(PREFIXES)), st.sampled_from(ATOMS), st.sampled_from(ATOMS), st.integers(-3, 3))
def test_prefixes_scale_exactly_and_division_inverts(prefix, top, bottom, power):
    """Law: prefix·atom is 10^prefix atoms; a/b·10^n is 10^n times a/b; read the same as the canonical unit."""
    base = ucum_to_canonical(top)
    prefixed = ucum_to_canonical(prefix + top)
    assert conversion_factor(prefixed, base) == Fraction(10) ** PREFIXES[prefix]
    quotient = f"10*{power}.{prefix}{top}/{bottom}" if top != bottom else f"10*{power}.{prefix}{top}"
    plain = f"{top}/{bottom}" if top != bottom else top
    expected = Fraction(10) ** (power + PREFIXES[prefix])
    assert conversion_factor(ucum_to_canonical(quotient), ucum_to_canonical(plain)) == expected
