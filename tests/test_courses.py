"""Laws of first and last doses: window edges fall where the calendar puts them, and with one dose on a known day
in a complete history, "first dose", "last dose" and "has medication" agree on every window."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from eligibility.engine.compiler import compile_rule
from eligibility.engine.context import EvaluationContext
from eligibility.engine.evaluator import evaluate
from eligibility.engine.truth import Truth
from eligibility.lang import ast
from eligibility.patient.contract import Patient
from eligibility.patient.index import index_patient

from strategies import AS_OF, VOCABULARY

WINDOW_OPS = ("<", "<=", ">", ">=")
HOLDS = {"<=": lambda e, n: e <= n, "<": lambda e, n: e < n, ">=": lambda e, n: e >= n, ">": lambda e, n: e > n}


def truth(rule: ast.Node, medications: list[dict], complete: bool = True) -> Truth:
    person = Patient.model_validate(
        {"id": "P", "medications": medications, "complete": ["medications"] if complete else []}
    )
    index = index_patient(person, VOCABULARY, AS_OF)
    return evaluate(compile_rule(rule, VOCABULARY), index, EvaluationContext(AS_OF, VOCABULARY)).truth


def window(op: str, days: int, unit: str = "day") -> ast.Window:
    return ast.Window(op=op, duration=ast.Duration(value=Decimal(days), unit=unit))


@given(st.sampled_from(WINDOW_OPS), st.integers(1, 60), st.integers(-1, 1), st.sampled_from(["first", "last"]))
def test_day_windows_edge_exactly_at_the_elapsed_days(op, days, offset, which):
    elapsed = days + offset
    day = str(AS_OF - timedelta(days=elapsed))
    rule = ast.DoseTiming(which=which, concept="rituximab", window=window(op, days))
    found = truth(rule, [{"code": "rituximab", "start": day, "end": day}])
    assert found is Truth.of(HOLDS[op](elapsed, days))


@given(
    st.sampled_from(WINDOW_OPS),
    st.integers(1, 13),
    st.sampled_from(["day", "week", "month", "year"]),
    st.integers(0, 800),
)
def test_one_dose_on_a_known_day_first_last_and_presence_agree(op, amount, unit, elapsed):
    day = str(AS_OF - timedelta(days=elapsed))
    records = [{"code": "rituximab", "start": day, "end": day}]
    span = window(op, amount, unit)
    presence = truth(ast.Presence(category="medication", concept="rituximab", window=span), records)
    for which in ("first", "last"):
        assert truth(ast.DoseTiming(which=which, concept="rituximab", window=span), records) is presence


@given(st.sampled_from(WINDOW_OPS), st.integers(1, 90), st.integers(0, 400), st.integers(0, 400))
def test_a_further_dose_never_makes_the_first_later_or_the_last_earlier(op, days, first, gap):
    """Adding a later record keeps the first dose and moves the last one: first-dose truth is unchanged, and the
    last dose is then the later record's day."""
    early, late = AS_OF - timedelta(days=first + gap), AS_OF - timedelta(days=first)
    one = [{"code": "rituximab", "start": str(early), "end": str(early)}]
    both = [*one, {"code": "RTX", "start": str(late), "end": str(late)}]
    span = window(op, days)
    first_rule = ast.DoseTiming(which="first", concept="rituximab", window=span)
    last_rule = ast.DoseTiming(which="last", concept="rituximab", window=span)
    assert truth(first_rule, both) is truth(first_rule, one)
    assert truth(last_rule, both) is truth(last_rule, both[1:])


# --- course length without a dose ---------------------------------------------------------------------------


@given(st.integers(0, 800), st.integers(1, 30), st.sampled_from(["day", "week", "month", "year"]), st.booleans())
def test_an_ongoing_course_lasts_until_the_reference_date_and_an_ended_one_until_its_end(elapsed, amount, unit, ended):
    """A course from ``start`` lasts ``n`` units exactly when its last day reaches start + n units - 1 day (first
    and last day included), for an ongoing record (up to the reference date) and one with an end alike."""
    from dateutil.relativedelta import relativedelta

    start = AS_OF - timedelta(days=elapsed)
    record = {"code": "fingolimod", "start": str(start)} | ({"end": str(AS_OF)} if ended else {})
    length = ast.Duration(value=Decimal(amount), unit=unit)
    months = {"month": 1, "year": 12}.get(unit)
    after = start + (
        relativedelta(months=amount * months) if months else timedelta(days=amount * (7 if unit == "week" else 1))
    )
    expected = AS_OF >= after - timedelta(days=1)
    assert truth(ast.CourseLength(concept="fingolimod", lasting=length), [record]) is Truth.of(expected)


@given(st.integers(0, 800), st.integers(1, 24))
def test_a_course_ended_on_a_day_not_known_is_decided_only_where_every_end_agrees(elapsed, months):
    start = AS_OF - timedelta(days=elapsed)
    rule = ast.CourseLength(concept="fingolimod", lasting=ast.Duration(value=Decimal(months), unit="month"))
    found = truth(rule, [{"code": "fingolimod", "start": str(start), "status": "ended"}])
    ongoing = truth(rule, [{"code": "fingolimod", "start": str(start)}])
    single_day = truth(rule, [{"code": "fingolimod", "start": str(start), "end": str(start)}])
    assert found is (ongoing if ongoing is single_day else Truth.of(None))
