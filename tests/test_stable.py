"""Laws of stable doses: the unit a dose is written in never matters, a dose change inside the window makes the
rule false, and one record with a dose covering the window makes it true."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from eligibility.engine.compiler import compile_rule
from eligibility.engine.context import EvaluationContext
from eligibility.engine.evaluator import evaluate
from eligibility.engine.truth import FALSE, TRUE, Truth
from eligibility.lang import ast
from eligibility.patient.contract import Patient
from eligibility.patient.index import index_patient

from strategies import AS_OF, VOCABULARY

# The same daily doses written per day, per week and per hour, in mg and g.
SAME = {
    "20": ({"value": "20", "unit": "mg", "per": "day"}, {"value": "0.14", "unit": "g", "per": "week"}),
    "24": ({"value": "24", "unit": "mg", "per": "day"}, {"value": "1", "unit": "mg", "per": "hour"}),
    "30": ({"value": "30", "unit": "mg", "per": "day"}, {"value": "210", "unit": "mg", "per": "week"}),
}
lengths = st.builds(
    lambda n, unit: ast.Duration(value=Decimal(n), unit=unit), st.integers(1, 8), st.sampled_from(["day", "week"])
)


def truth(rule: ast.Node, medications: list[dict], complete: bool) -> Truth:
    person = Patient.model_validate(
        {"id": "P", "medications": medications, "complete": ["medications"] if complete else []}
    )
    index = index_patient(person, VOCABULARY, AS_OF)
    return evaluate(compile_rule(rule, VOCABULARY), index, EvaluationContext(AS_OF, VOCABULARY)).truth


@st.composite
def records(draw) -> list[tuple[dict, str]]:
    """Prednisone records on edge days, with their dose's key in SAME."""
    found = []
    for _ in range(draw(st.integers(0, 3))):
        start = AS_OF - timedelta(days=draw(st.integers(0, 90)))
        entry: dict = {"code": "prednisone", "start": str(start)}
        ending = draw(st.sampled_from(["ongoing", "end", "ended"]))
        if ending == "end":
            entry["end"] = str(min(AS_OF, start + timedelta(days=draw(st.integers(0, 60)))))
        elif ending == "ended":
            entry["status"] = "ended"
        found.append((entry, draw(st.sampled_from(sorted(SAME)))))
    return found


@given(records(), lengths, st.booleans(), st.lists(st.integers(0, 1), min_size=3, max_size=3))
def test_the_unit_a_dose_is_written_in_never_matters(entries, length, complete, spelling):
    rule = ast.StableDose(concept="prednisone", lasting=length)
    plain = [entry | {"dose": SAME[key][0]} for entry, key in entries]
    respelt = [entry | {"dose": SAME[key][choice]} for (entry, key), choice in zip(entries, spelling, strict=False)]
    assert truth(rule, plain, complete) is truth(rule, respelt, complete)


@given(
    st.integers(1, 60), st.integers(0, 59), st.sampled_from(sorted(SAME)), st.sampled_from(sorted(SAME)), st.booleans()
)
def test_a_dose_change_inside_the_window_makes_it_false(days, change, before, after, complete):
    """A record of a drug from long before the window up to a day inside it, and another of the same drug from the
    next day on, with different doses (asked of the drug's class)."""
    if before == after:
        return
    change = min(change, days - 1)  # days back from the reference date: inside the window of `days` days
    switch = AS_OF - timedelta(days=change)
    first = {
        "code": "prednisone",
        "start": "2026-01-01",
        "end": str(switch - timedelta(days=1)),
        "dose": SAME[before][0],
    }
    second = {"code": "Prednisone", "start": str(switch), "dose": SAME[after][1]}
    rule = ast.StableDose(concept="systemic_corticosteroid", lasting=ast.Duration(value=Decimal(days), unit="day"))
    assert truth(rule, [first, second], complete) is FALSE


@given(lengths, st.integers(0, 30), st.sampled_from(sorted(SAME)), st.booleans())
def test_one_ongoing_record_from_before_the_window_makes_it_true(length, extra, dose, complete):
    days = int(length.value) * (7 if length.unit == "week" else 1)
    start = AS_OF - timedelta(days=days + extra)
    record = {"code": "prednisone", "start": str(start), "dose": SAME[dose][0]}
    assert truth(ast.StableDose(concept="prednisone", lasting=length), [record], complete) is TRUE


@given(st.sampled_from(sorted(SAME)), st.sampled_from(sorted(SAME)), st.booleans())
def test_two_drugs_of_a_class_each_at_its_own_dose_are_no_change(one, other, complete):
    first = {"code": "prednisone", "start": "2026-06-01", "dose": SAME[one][0]}
    second = {"code": "hydrocortisone", "start": "2026-06-01", "dose": SAME[other][1]}
    rule = ast.StableDose(concept="systemic_corticosteroid", lasting=ast.Duration(value=Decimal(4), unit="week"))
    assert truth(rule, [first, second], complete) is TRUE
