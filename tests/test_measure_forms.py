"""Measure forms of registry text (issue 12): drafted thresholds decide exactly what the text says, in any unit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility import evaluate_rule
from eligibility.engine.truth import Truth
from eligibility.lang import ast
from eligibility.text.bare_numbers import bare_number_unit, bare_number_units
from eligibility.text.parse import parse_criterion
from eligibility.text.rules import draft_rule
from eligibility.vocab.units import measure_factor
from eligibility.vocab.vocabulary import default_vocabulary

AS_OF = date(2026, 11, 1)


def _rule(text: str, kind: str = "inclusion") -> ast.Node | None:
    return draft_rule(parse_criterion(text), kind).rule


def _patient(*observations: dict) -> dict:
    return {"id": "p", "observations": [{"date": "2026-10-28", **o} for o in observations]}


def _truth(rule: ast.Node, *observations: dict) -> Truth:
    return evaluate_rule(rule, _patient(*observations), AS_OF).truth


@given(st.sampled_from(sorted(bare_number_units())), st.decimals(min_value=0, max_value=3_000_000, places=2))
def test_a_bare_number_is_read_only_in_its_one_plausible_unit(measure, value):
    units = bare_number_units()[measure]
    plausible = [unit for unit, (low, high) in units.items() if low <= value <= high]
    assert bare_number_unit(measure, value) == (plausible[0] if len(plausible) == 1 else None)


def test_every_bare_number_unit_converts_to_its_measure_or_is_refused():
    vocabulary = default_vocabulary()
    for measure_id, units in bare_number_units().items():
        measure = vocabulary.measures[measure_id]
        for unit in units:
            if {unit, measure.unit} == {"mmol/mol", "%"}:  # IFCC and NGSP HbA1c: an offset, never converted
                assert measure_factor(unit, measure.unit) is None
                continue
            assert measure_factor(unit, measure.unit, measure.molar_mass, measure.valence) is not None, unit


@pytest.mark.parametrize(
    ("per_microlitre", "per_litre"), [("Platelets >= 100,000", "Platelets >= 100"), ("ANC >= 1500", "ANC >= 1.5")]
)
def test_bare_counts_in_either_unit_are_the_same_threshold(per_microlitre, per_litre):
    small, large = _rule(per_microlitre), _rule(per_litre)
    assert isinstance(small, ast.Comparison) and isinstance(large, ast.Comparison)
    measure = default_vocabulary().measures[small.measure]
    values = [
        Fraction(rule.quantity.value) * measure_factor(rule.quantity.unit, measure.unit, None, None)
        for rule in (small, large)
    ]
    assert values[0] == values[1]


@pytest.mark.parametrize(
    ("text", "value", "unit", "met"),
    [
        ("Platelets <100 K/cumm", 99_999, "/uL", True),
        ("Platelets <100 K/cumm", 100, "10^9/L", False),
        ("Hb <8.5 g / dL", 84, "g/L", True),
        ("Hb <8.5 g / dL", 85, "g/L", False),
        ("Weigh less than 250 pounds", Decimal("113.3"), "kg", True),  # 249.8 lb
        ("Weigh less than 250 pounds", Decimal("113.5"), "kg", False),  # 250.2 lb
        ("Fasting glucose > 7.0", 127, "mg/dL", True),  # 7.05 mmol/L
        ("Fasting glucose > 7.0", 126, "mg/dL", False),  # 6.99 mmol/L
    ],
)
def test_thresholds_hold_at_the_boundary_in_another_unit(text, value, unit, met):
    rule = _rule(text)
    assert rule is not None
    measure = rule.measure if isinstance(rule, ast.Comparison) else None
    code = {"platelet_count": "PLT", "hemoglobin": "Hb", "weight": "weight", "fasting_glucose": "fasting glucose"}
    observation = {"code": code[measure], "value": float(value), "unit": unit}
    assert _truth(rule, observation) is Truth.of(met)


def test_a_limit_without_a_number_is_one_times_it_and_unknown_without_a_range():
    rule = _rule("adequate liver function: total bilirubin less than upper limit of normal (ULN)")
    assert isinstance(rule, ast.RelativeComparison) and (rule.op, rule.factor, rule.limit) == ("<", 1, "ULN")
    bilirubin = {"code": "TBIL", "value": 21.0, "unit": "umol/L"}
    assert _truth(rule, {**bilirubin, "high": 21.0}) is Truth.FALSE  # at the limit: not less than it
    assert _truth(rule, {**bilirubin, "value": 20.9, "high": 21.0}) is Truth.TRUE
    finding = evaluate_rule(rule, _patient(bilirubin), AS_OF)
    assert finding.truth is Truth.UNKNOWN and finding.reason == "no_reference_range"


@pytest.mark.parametrize(
    ("systolic", "diastolic", "met"), [(150, 95, True), (140, 90, False), (150, 85, None), (130, 95, None)]
)
def test_a_blood_pressure_pair_decides_only_where_both_readings_agree(systolic, diastolic, met):
    rule = _rule("BP >140/90 mmHg", "exclusion")
    assert rule is not None
    pressures = (
        {"code": "SBP", "value": systolic, "unit": "mmHg"},
        {"code": "DBP", "value": diastolic, "unit": "mmHg"},
    )
    assert _truth(rule, *pressures) is Truth.of(met)
