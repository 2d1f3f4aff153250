"""The limits on input (eligibility/inputs.py, README "Limits on input"): beyond them a clear error naming the
place, within them a result; never a hang, a recursion error or an overflow. Each case was one of those."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from eligibility import EligibilityError, evaluate_rule, parse_rule, read_trial, render
from eligibility.engine.timeline import birth_range_for_age, in_window
from eligibility.errors import RuleFileError, UnitError
from eligibility.inputs import MAX_DURATION_YEARS, MAX_RULE_DEPTH, MAX_UNIT_LENGTH
from eligibility.lang import ast
from eligibility.output.explain import explain
from eligibility.patient.synth import Synthesizer
from eligibility.trials.load import load_reference_table, parse_duration
from eligibility.vocab.units import canonical_unit, parse_unit


def _window(op: str, value: int, unit: str) -> ast.Window:
    return ast.Window(op=op, duration=ast.Duration(value=Decimal(value), unit=unit))


@pytest.mark.parametrize(
    ("op", "value", "unit", "expected"),
    [("<=", 1, "month", True), ("<=", 200, "year", True), (">=", 1, "month", False), (">", 200, "year", False)],
)
def test_windows_reaching_before_year_1(op: str, value: int, unit: str, expected: bool):
    on = date(1, 1, 5)
    assert in_window(date(1, 1, 3), date(1, 1, 3), on, _window(op, value, unit)) is expected


def test_an_age_that_reaches_before_year_1_is_unknown():
    assert birth_range_for_age(150, date(100, 1, 1)) is None
    finding = evaluate_rule("age >= 18 years", {"id": "x", "age": 150, "as_of": "0100-01-01"}, date(100, 1, 1))
    assert finding.truth.name == "UNKNOWN"


def test_patients_near_year_1_and_9999_are_screened():
    patient = {
        "id": "x",
        "birth_date": "0001-01-01",
        "events": [{"code": "relapse", "date": "0001-01-03"}],
        "observations": [{"code": "ALC", "value": 1, "unit": "10^9/L", "date": "9999-12-31"}],
    }
    for rule in ("count event relapse within 12 months >= 1", "alc <= 0.5 10^9/L within 200 years"):
        evaluate_rule(rule, patient, date(1, 1, 5))
        evaluate_rule(rule, patient, date(9999, 12, 31))


def test_synthetic_patients_need_a_reference_date_after_year_200():
    with pytest.raises(EligibilityError, match="from 0200-01-01 on"):
        Synthesizer(1, date(1, 1, 1))
    assert len(list(Synthesizer(1, date(200, 1, 1)).patients(20))) == 20


@pytest.mark.parametrize(
    "text",
    [f"has event relapse within {MAX_DURATION_YEARS * 12 + 1} months", "age >= 100000 years", "alc < 1" + "0" * 50],
)
def test_rule_numbers_and_durations_beyond_the_limits(text: str):
    with pytest.raises(EligibilityError, match=r"limit|digits"):
        parse_rule(text)


def test_recency_beyond_the_limit():
    assert parse_duration(f"{MAX_DURATION_YEARS} years").value == MAX_DURATION_YEARS
    with pytest.raises(RuleFileError, match="longer than the limit of 200 years"):
        parse_duration("999999999 years")


def test_rules_at_the_depth_limit_render_and_explain():
    deep = "not " * MAX_RULE_DEPTH + "sex is female"
    rule = parse_rule(deep)
    assert render(rule) == deep
    assert rule.model_dump_json()
    explain(evaluate_rule(deep, {"id": "x", "sex": "male"}, date(2026, 1, 1)))
    with pytest.raises(EligibilityError, match=f"more than {MAX_RULE_DEPTH} deep"):
        parse_rule("not " * (MAX_RULE_DEPTH + 1) + "sex is female")
    with pytest.raises(EligibilityError, match="more than"):
        parse_rule("not " * 2_000 + "sex is female")
    with pytest.raises(EligibilityError, match="at most 10,000 are read"):
        parse_rule("not " * 100_000 + "sex is female")


@pytest.mark.parametrize("unit", ["10^99999999/L", "L^99999999", "1e999999/L", "g" * 30_000, "/" * 1_000_000])
def test_hostile_units_are_refused_quickly(unit: str):
    started = time.perf_counter()
    with pytest.raises(UnitError):
        parse_unit(canonical_unit(unit))
    assert time.perf_counter() - started < 1


def test_units_within_the_limits_still_read():
    assert parse_unit(canonical_unit("10^-12/L"))[0] == Decimal("1e-12")
    assert len("mL/min/1.73m^2") < MAX_UNIT_LENGTH and parse_unit("mL/min/1.73m^2")


def test_deep_yaml_is_an_error_not_a_crash():
    text = "id: A\ncriteria: " + "[" * 100_000 + "]" * 100_000 + "\n"
    trial, errors = read_trial(text, "deep.yaml")
    assert trial is None and "nested more than 64 deep" in str(errors[0]) and errors[0].location.line == 2


def test_reversed_reference_ranges_are_refused(tmp_path: Path):
    text = (
        "id: A\nreference_ranges:\n  alt: {low: 40 U/L, high: 7 U/L}\n"
        "criteria:\n  - {id: I1, kind: inclusion, text: x}\n"
    )
    trial, errors = read_trial(text, "a.yaml")
    assert trial is None and "the range of alt is reversed" in str(errors[0])
    table = tmp_path / "site.yaml"
    table.write_text("alt: {low: 40 U/L, high: 7 U/L}\nast: {high: -15 U/L}\n")
    with pytest.raises(EligibilityError) as caught:
        load_reference_table(table)
    assert "reversed" in str(caught.value) and "expected a number with a unit, got '-15 U/L'" in str(caught.value)


@pytest.mark.parametrize(
    ("prefix", "problem"),
    [("%FOO bar\n---\n", "nested more than"), ("x: \u2028", "invalid YAML"), ("x: \x85", "invalid YAML")],
    ids=["unknown-directive", "line-separator", "next-line"],
)
def test_yaml_nesting_is_measured_with_the_parser_that_reads_the_file(prefix: str, problem: str):
    # libyaml stops at these prefixes, the pure-Python reader does not: the depth must be measured on the
    # reader's own events, else 2,000 nested brackets overflow the Python stack (found by the fuzz law).
    text = prefix + "[" * 2000 + "]" * 2000
    trial, errors = read_trial(text, "deep.yaml", None)
    assert trial is None
    assert [(type(e), e.location.file, problem in e.message) for e in errors] == [(RuleFileError, "deep.yaml", True)]


def test_a_control_character_in_a_rule_file_is_an_error_naming_the_file():
    trial, errors = read_trial("\x00", "nul.yaml", None)
    assert trial is None
    assert [(type(e), e.location.file) for e in errors] == [(RuleFileError, "nul.yaml")]
