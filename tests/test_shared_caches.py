"""The in-process caches shared across patients (shared findings, untouched subtrees, kept wording) never change
a patient's answers: screening patients in one order or the other gives each the same results."""

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility import Patient, Screener
from eligibility.output.report import brief_json, report_json
from eligibility.trials.schema import Clause, Trial

from sql_strategies import patients, rules
from strategies import AS_OF, VOCABULARY

EXAMPLES = {"ci": 40}.get(os.environ.get("HYPOTHESIS_PROFILE", "ci"), settings.default.max_examples)


@st.composite
def cases(draw) -> tuple[list[Trial], list[Patient]]:
    picked = draw(st.lists(rules(), min_size=1, max_size=4))
    trials = [
        Trial(id=f"T{i}", clauses=(Clause("C", draw(st.sampled_from(["inclusion", "exclusion"])), "text", rule),))
        for i, rule in enumerate(picked)
    ]
    people = [Patient.model_validate(draw(patients(number))) for number in range(draw(st.integers(2, 4)))]
    return trials, people


@settings(max_examples=EXAMPLES, deadline=None)
@given(cases())
def test_each_patient_gets_the_same_answers_whatever_was_screened_before(case):
    trials, people = case
    screener = Screener(trials, VOCABULARY)
    forward = [screener.screen(person, AS_OF) for person in people]
    backward = [screener.screen(person, AS_OF) for person in reversed(people)][::-1]
    for one, other in zip(forward, backward, strict=True):
        assert report_json(one) == report_json(other)
        assert brief_json(one) == brief_json(other)
