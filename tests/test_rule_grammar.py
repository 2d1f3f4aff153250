"""Canonical rule text: golden parse → render cases, round trips, and exact syntax errors."""

import pytest

from eligibility import parse_rule, render
from eligibility.ast import RuleDocument
from eligibility.errors import RuleSyntaxError

from conftest import load_cases

CANONICAL = load_cases("canonical_rules.yaml")
SYNTAX_ERRORS = load_cases("rule_syntax_errors.yaml")


@pytest.mark.parametrize("case", CANONICAL, ids=[c["text"] for c in CANONICAL])
def test_canonical_form(case):
    rule = parse_rule(case["text"])
    assert rule.kind == case["kind"]
    assert render(rule) == case["canonical"]
    assert parse_rule(render(rule)) == rule


@pytest.mark.parametrize("case", CANONICAL, ids=[c["text"] for c in CANONICAL])
def test_json_round_trip(case):
    rule = parse_rule(case["text"])
    assert RuleDocument.model_validate_json(RuleDocument(rule=rule).model_dump_json()).rule == rule


@pytest.mark.parametrize("case", SYNTAX_ERRORS, ids=[c["text"] for c in SYNTAX_ERRORS])
def test_syntax_error_message(case):
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule(case["text"])
    assert str(caught.value) == case["message"]


def test_spans_locate_nodes_but_do_not_change_meaning():
    rule = parse_rule("  alc <= 0.5 10^9/L")
    assert (rule.span.start, rule.span.end) == (2, 19)
    assert rule == parse_rule("alc <= 0.5 10^9/L")


def test_and_binds_tighter_than_or():
    rule = parse_rule("a > 1 or b > 1 and c > 1")
    assert rule.kind == "any" and rule.items[1].kind == "all"
