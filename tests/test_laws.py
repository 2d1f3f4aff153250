"""Laws of thresholds, units, reference limits, polarity, Kleene logic, windows, ages and round trips.

Each law is checked against an oracle that does not use the code under test: thresholds and values are drawn in
the measure's canonical unit and *then* written in other units, so the expected truth is plain arithmetic.
Run longer with HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

import operator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import assume, example, given
from hypothesis import strategies as st

from eligibility import evaluate_rule
from eligibility.api import prepare_rule
from eligibility.engine.compiler import compile_rule
from eligibility.engine.evaluator import EvaluationContext, evaluate
from eligibility.engine.truth import FALSE, TRUE, UNKNOWN, Truth
from eligibility.lang import ast
from eligibility.lang.parsing import parse_rule
from eligibility.lang.render import render
from eligibility.patient.contract import Patient
from eligibility.patient.index import index_patient
from eligibility.screen.screener import outcome
from eligibility.trials.schema import Clause

from strategies import (
    AS_OF,
    CONVERTIBLE_MEASURES,
    VOCABULARY,
    canonical_values,
    expressed,
    measures,
    ops,
    patients,
    rules,
    units_of,
)

ORACLE = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def _truth(rule, patient: dict, as_of: date = AS_OF) -> Truth:
    return evaluate_rule(rule, {"id": "P", **patient}, as_of).truth


def _observation(measure: str, value, unit: str, **extra) -> dict:
    return {"observations": [{"code": measure, "value": str(value), "unit": unit, "date": str(AS_OF), **extra}]}


# --- thresholds and units ------------------------------------------------------------------------------------


@st.composite
def threshold_cases(draw):
    measure = draw(st.sampled_from(CONVERTIBLE_MEASURES))
    threshold = draw(canonical_values)
    value = draw(st.one_of(st.just(threshold), canonical_values))
    written_threshold = draw(expressed(measure, threshold))
    written_value = draw(expressed(measure, value))
    assume(written_threshold is not None and written_value is not None)
    return measure, draw(ops), threshold, written_threshold, value, written_value


@given(threshold_cases())
@example(("alc", "<=", Decimal("0.5"), (Decimal("0.5"), "10^9/L"), Decimal("0.5"), (Decimal("500"), "cells/uL")))
@example(("creatinine", ">=", Decimal(250), (Decimal("2.828"), "mg/dL"), Decimal(250), (Decimal(250), "umol/L")))
def test_threshold_equals_arithmetic_after_conversion(case):
    measure, op, threshold, (t_value, t_unit), value, (v_value, v_unit) = case
    rule = ast.Comparison(measure=measure, op=op, quantity=ast.Quantity(value=t_value, unit=t_unit))
    assert _truth(rule, _observation(measure, v_value, v_unit)) is Truth.of(ORACLE[op](value, threshold))


@given(measures, canonical_values, st.data())
def test_unit_invariance(measure, value, data):
    first = data.draw(expressed(measure, value))
    second = data.draw(expressed(measure, value))
    assume(first is not None and second is not None)
    unit, _ = data.draw(st.sampled_from(units_of(measure)))
    rule = ast.Comparison(
        measure=measure, op=data.draw(ops), quantity=ast.Quantity(value=data.draw(canonical_values), unit=unit)
    )
    assert _truth(rule, _observation(measure, *first)) is _truth(rule, _observation(measure, *second))


@given(measures, ops, st.integers(1, 10), st.integers(0, 5000), st.integers(1, 500))
def test_times_uln_is_exactly_value_against_k_times_high(measure, op, k, value, high):
    unit = VOCABULARY.measures[measure].unit
    rule = ast.RelativeComparison(measure=measure, op=op, factor=Decimal(k), limit="ULN")
    assert _truth(rule, _observation(measure, value, unit, high=str(high))) is Truth.of(ORACLE[op](value, k * high))


# --- polarity and logic ------------------------------------------------------------------------------------------


def _finding(rule, patient: dict):
    resolved = prepare_rule(rule)
    index = index_patient(Patient.model_validate({"id": "P", **patient}), VOCABULARY, AS_OF)
    return evaluate(compile_rule(resolved, VOCABULARY), index, EvaluationContext(AS_OF, VOCABULARY))


@given(rules(), patients())
def test_polarity(rule, patient):
    finding = _finding(rule, patient)
    inclusion = outcome(Clause("C", "inclusion", "t", rule), finding)
    exclusion = outcome(Clause("C", "exclusion", "t", rule), finding)
    flipped = {"pass": "fail", "fail": "pass", "unknown": "unknown", "review": "review"}
    assert exclusion == flipped[inclusion]


@given(rules(4), rules(4), rules(4), patients())
def test_kleene_laws(a, b, c, patient):
    t = {
        name: _finding(rule, patient).truth
        for name, rule in (
            ("ab", ast.AllOf(items=(a, b))),
            ("ba", ast.AllOf(items=(b, a))),
            ("a_or_b", ast.AnyOf(items=(a, b))),
            ("b_or_a", ast.AnyOf(items=(b, a))),
            ("ab_c", ast.AllOf(items=(ast.AllOf(items=(a, b)), c))),
            ("a_bc", ast.AllOf(items=(a, ast.AllOf(items=(b, c))))),
            ("not_ab", ast.Not(item=ast.AllOf(items=(a, b)))),
            ("nota_or_notb", ast.AnyOf(items=(ast.Not(item=a), ast.Not(item=b)))),
            ("not_not_a", ast.Not(item=ast.Not(item=a))),
            ("a", a),
        )
    }
    assert t["ab"] is t["ba"] and t["a_or_b"] is t["b_or_a"]
    assert t["ab_c"] is t["a_bc"]
    assert t["not_ab"] is t["nota_or_notb"]
    assert t["not_not_a"] is t["a"]


# --- implication --------------------------------------------------------------------------------------------------

SEX_FEMALE = ast.Sex(value="female")  # true, false or unknown by the sex on record
HBSAG_POSITIVE = ast.Qualitative(measure="hbsag", value="positive")
_SEX_FOR = {TRUE: {"sex": "female"}, FALSE: {"sex": "male"}, UNKNOWN: {}}
_HBSAG_FOR = {
    TRUE: {"observations": [{"code": "hbsag", "value": "positive", "date": str(AS_OF)}]},
    FALSE: {"observations": [{"code": "hbsag", "value": "negative", "date": str(AS_OF)}]},
    UNKNOWN: {},
}


# Kleene's implication written out (rows: the condition; columns: the consequence).
IMPLIES = {
    (TRUE, TRUE): TRUE,
    (TRUE, FALSE): FALSE,
    (TRUE, UNKNOWN): UNKNOWN,
    (FALSE, TRUE): TRUE,
    (FALSE, FALSE): TRUE,
    (FALSE, UNKNOWN): TRUE,
    (UNKNOWN, TRUE): TRUE,
    (UNKNOWN, FALSE): UNKNOWN,
    (UNKNOWN, UNKNOWN): UNKNOWN,
}


@pytest.mark.parametrize("a", [TRUE, FALSE, UNKNOWN], ids=str)
@pytest.mark.parametrize("b", [TRUE, FALSE, UNKNOWN], ids=str)
def test_implication_truth_table_is_kleene_not_a_or_b(a: Truth, b: Truth):
    patient = {**_SEX_FOR[a], **_HBSAG_FOR[b]}
    rule = ast.Implies(condition=SEX_FEMALE, then=HBSAG_POSITIVE)
    finding = _finding(rule, patient)
    assert [c.truth for c in finding.children] == [a, b]
    assert finding.truth is IMPLIES[a, b]


@given(rules(4), rules(4), patients())
def test_implication_equals_not_a_or_b(a, b, patient):
    implied = _finding(ast.Implies(condition=a, then=b), patient).truth
    assert implied is _finding(ast.AnyOf(items=(ast.Not(item=a), b)), patient).truth


@st.composite
def patients_and_more(draw):
    """A patient, and the same patient with data added where there was none (nothing contradicted)."""
    patient = draw(patients())
    extended = {**patient, "observations": list(patient.get("observations", []))}
    present = {o["code"] for o in extended["observations"]}
    for measure in draw(st.lists(measures, max_size=4, unique=True)):
        if measure not in present:
            extended["observations"].append(
                {
                    "code": measure,
                    "value": str(draw(canonical_values)),
                    "unit": VOCABULARY.measures[measure].unit,
                    "date": str(AS_OF),
                    "high": "10",
                }
            )
    extended["events"] = list(patient.get("events", [])) + [
        {"code": "relapse", "date": str(AS_OF - timedelta(days=draw(st.integers(0, 900))))}
        for _ in range(draw(st.integers(0, 2)))
    ]
    if "sex" not in patient and draw(st.booleans()):
        extended["sex"] = draw(st.sampled_from(["female", "male"]))
    return patient, extended


@given(rules(), patients_and_more())
def test_adding_data_only_resolves_unknowns(rule, pair):
    before, after = (_finding(rule, p).truth for p in pair)
    assert before is UNKNOWN or after is before


# --- windows and ages --------------------------------------------------------------------------------------------


@given(
    st.integers(1, 24),
    st.sampled_from(["day", "week", "month", "year"]),
    st.dates(date(2020, 1, 1), date(2030, 12, 31)),
)
def test_window_edge_flips_exactly_there(amount, unit, as_of):
    window = ast.Window(op="<=", duration=ast.Duration(value=Decimal(amount), unit=unit))
    rule = ast.Presence(category="event", concept="relapse", window=window)
    step = {
        "day": relativedelta(days=amount),
        "week": relativedelta(weeks=amount),
        "month": relativedelta(months=amount),
        "year": relativedelta(years=amount),
    }[unit]
    edge = as_of - step
    inside = {"events": [{"code": "relapse", "date": str(edge)}], "complete": ["events"]}
    outside = {"events": [{"code": "relapse", "date": str(edge - timedelta(days=1))}], "complete": ["events"]}
    assert _truth(rule, inside, as_of) is TRUE
    assert _truth(rule, outside, as_of) is FALSE


@given(st.dates(date(1930, 1, 1), date(2010, 12, 31)), st.integers(1, 90))
@example(date(2008, 2, 29), 18)
def test_age_changes_exactly_on_the_birthday(birth, years):
    birthday = birth + relativedelta(years=years)
    if (birth.month, birth.day) == (2, 29) and (birthday.month, birthday.day) != (2, 29):
        birthday = birthday + timedelta(days=1)  # born on 29 February: 1 March in common years
    rule = ast.Age(op=">=", duration=ast.Duration(value=Decimal(years), unit="year"))
    patient = {"birth_date": str(birth)}
    assert _truth(rule, patient, birthday - timedelta(days=1)) is FALSE
    assert _truth(rule, patient, birthday) is TRUE


# --- round trips ---------------------------------------------------------------------------------------------------


@given(rules())
def test_render_then_parse_is_the_same_rule(rule):
    assert parse_rule(render(rule)) == rule


@given(rules())
def test_json_round_trip(rule):
    document = ast.RuleDocument(rule=rule)
    assert ast.RuleDocument.model_validate_json(document.model_dump_json()).rule == rule
