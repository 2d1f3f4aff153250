"""Evaluation semantics pinned by golden cases (tests/data/evaluation_cases.yaml)."""

from __future__ import annotations

from datetime import date

import pytest

from eligibility import evaluate_rule
from eligibility.engine.truth import Truth
from eligibility.output.explain import explain, missing

from conftest import load_cases

CASES = load_cases("evaluation_cases.yaml")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_case(case):
    patient = {"id": "case", **case["patient"]}
    finding = evaluate_rule(case["rule"], patient, case.get("as_of", date(2026, 11, 1)))
    assert finding.truth is Truth.of(case["truth"])
    if "reason" in case:
        assert finding.reason == case["reason"]
    if "explanation" in case:
        assert explain(finding) == case["explanation"]
    if "missing" in case:
        assert missing(finding) == case["missing"]
