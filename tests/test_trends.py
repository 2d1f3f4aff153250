"""Laws of trends: reversing which way is better swaps "improved" and "worsened" for a strict change, equal values
are neither, "not" is Kleene negation, and a missing result leaves a trend unknown, never false."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from eligibility.engine.compiler import compile_rule
from eligibility.engine.context import EvaluationContext
from eligibility.engine.evaluator import evaluate
from eligibility.engine.findings import Finding
from eligibility.engine.truth import FALSE, UNKNOWN
from eligibility.lang import ast
from eligibility.patient.contract import Patient
from eligibility.patient.index import index_patient
from eligibility.vocab.vocabulary import Vocabulary

from strategies import AS_OF, VOCABULARY

REVERSED = Vocabulary(
    [m.model_copy(update={"better": "higher"}) if m.id == "mrs" else m for m in VOCABULARY.measures.values()],
    VOCABULARY.concepts.values(),
)
scores = st.sampled_from(["0", "1", "2", "2.5", "3", "4", "5", "6"])
days_ago = st.integers(0, 120)
windows = st.builds(
    lambda n, unit: ast.Window(op="<=", duration=ast.Duration(value=Decimal(n), unit=unit)),
    st.integers(1, 12),
    st.sampled_from(["day", "week", "month"]),
)


def finding(rule: ast.Trend, readings: list[tuple[str, int]], vocabulary: Vocabulary = VOCABULARY) -> Finding:
    observations = [{"code": "mrs", "value": v, "date": str(AS_OF - timedelta(days=d))} for v, d in readings]
    index = index_patient(Patient.model_validate({"id": "P", "observations": observations}), vocabulary, AS_OF)
    return evaluate(compile_rule(rule, vocabulary), index, EvaluationContext(AS_OF, vocabulary))


def trend(change: str, window: ast.Window, negated: bool = False) -> ast.Trend:
    return ast.Trend(measure="mrs", change=change, negated=negated, window=window)


@given(st.lists(st.tuples(scores, days_ago), max_size=5), windows, st.sampled_from(["improved", "worsened"]))
def test_reversing_the_better_direction_swaps_improved_and_worsened(readings, window, change):
    other = "worsened" if change == "improved" else "improved"
    assert finding(trend(change, window), readings).truth is finding(trend(other, window), readings, REVERSED).truth


@given(scores, st.integers(40, 120), st.integers(0, 27))
def test_equal_values_are_neither_improved_nor_worsened(score, before, after):
    window = ast.Window(op="<=", duration=ast.Duration(value=Decimal(4), unit="week"))
    readings = [(score, before), (score, after)]
    for change in ("improved", "worsened"):
        assert finding(trend(change, window), readings).truth is FALSE
        assert finding(trend(change, window, negated=True), readings).truth is not FALSE


@given(st.lists(st.tuples(scores, days_ago), max_size=5), windows, st.sampled_from(["improved", "worsened"]))
def test_not_improved_is_the_kleene_negation_of_improved(readings, window, change):
    plain, negated = finding(trend(change, window), readings), finding(trend(change, window, negated=True), readings)
    assert negated.truth is ~plain.truth
    assert negated.reason is plain.reason


@given(st.lists(st.tuples(scores, days_ago), max_size=4), st.booleans(), st.sampled_from(["improved", "worsened"]))
def test_results_on_one_side_of_the_window_start_only_leave_the_trend_unknown(readings, early, change):
    """With 4 weeks, the window's first day is 28 days back: results at 28 days or more are baselines only."""
    window = ast.Window(op="<=", duration=ast.Duration(value=Decimal(4), unit="week"))
    moved = [(v, d + 28 if early else d % 28) for v, d in readings]
    for negated in (False, True):
        found = finding(trend(change, window, negated), moved)
        assert found.truth is UNKNOWN
        assert found.reason == ("missing" if not moved else "stale" if early else "no_baseline")
