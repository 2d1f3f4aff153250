"""The clinical audit of the seed trials (issue 11), pinned clause by clause (tests/data/seed_audit_cases.yaml)."""

from __future__ import annotations

from datetime import date

import pytest

from eligibility import Patient, Screener, evaluate_rule, load_trials
from eligibility.engine.truth import Truth
from eligibility.resources import bundled_rules_dir

from conftest import load_cases

AS_OF = date(2026, 11, 1)
CASES = load_cases("seed_audit_cases.yaml") + load_cases("seed_course_cases.yaml")  # audit; trends and courses
CLAUSE_CASES = [c for c in CASES if "clause" in c]
RULE_CASES = [c for c in CASES if "rule" in c]
SCREENER = Screener(load_trials([bundled_rules_dir()]))


def clause_outcome(case: dict) -> str:
    """The outcome of the case's clause for the case's patient."""
    trial, clause_id = case["clause"].split("/", 1)
    patient = Patient.model_validate({"id": "audit", "as_of": AS_OF.isoformat(), **case["patient"]})
    report = SCREENER.screen(patient, trial_ids=[trial])
    outcomes = {c.clause.id: c.outcome for result in report.results for c in result.clauses}
    return outcomes[clause_id]


def test_every_case_is_a_clause_or_a_rule_case():
    assert len(CLAUSE_CASES) + len(RULE_CASES) == len(CASES)
    assert len({c["name"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CLAUSE_CASES, ids=[c["name"] for c in CLAUSE_CASES])
def test_seed_clause(case):
    assert clause_outcome(case) == case["outcome"]


@pytest.mark.parametrize("case", RULE_CASES, ids=[c["name"] for c in RULE_CASES])
def test_vocabulary_fix(case):
    finding = evaluate_rule(case["rule"], {"id": "audit", **case["patient"]}, AS_OF)
    assert finding.truth is Truth.of(case["truth"])
