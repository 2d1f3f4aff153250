"""The "what to order next" ranking: grouped needs, counted per undetermined trial, tightest window."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility import Patient, Screener, load_trials, read_patients
from eligibility.engine.diagnosis import needs
from eligibility.lang import ast
from eligibility.output.next_steps import need_key, next_steps, tightest
from eligibility.patient.synth import Synthesizer
from eligibility.resources import bundled_rules_dir

from conftest import DATA, ROOT

FIXTURE = Screener(load_trials([DATA / "next_steps"]))
BUNDLED = Screener(load_trials([bundled_rules_dir()]))
EXAMPLES = list(read_patients(ROOT / "examples" / "patients"))
AS_OF = date(2026, 11, 1)
SYNTH = Synthesizer(7, AS_OF)


def _steps(patient: dict) -> list:
    return next_steps(FIXTURE.screen(Patient.model_validate(patient), AS_OF))


def _window(op: str, value: int, unit: str) -> ast.Window:
    return ast.Window(op=op, duration=ast.Duration(value=value, unit=unit))


def test_ranked_by_trials_then_trials_settled_then_clauses():
    steps = _steps({"id": "p", "birth_date": "1980-01-01", "sex": "female"})
    assert [(s.kind, s.subject) for s in steps] == [
        ("record", "hiv_infection"),
        ("result", "alc"),
        ("result", "hemoglobin"),
    ]
    hiv, alc, hemoglobin = steps
    assert hiv.trials == ("A", "C", "E") and len(hiv.clauses) == 3 and hiv.settles == ("E/y",)
    assert alc.trials == ("A", "B") and alc.settles == ("B",)  # D is ineligible: its ALC is not counted
    assert hemoglobin.trials == ("C", "E") and hemoglobin.settles == ()


def test_the_tightest_window_is_the_one_to_order_in():
    hiv, alc, hemoglobin = _steps({"id": "p", "birth_date": "1980-01-01", "sex": "female"})
    assert alc.what == "ALC result within 7 days"  # B's own window beats A's 30-day recency
    assert hemoglobin.what == "hemoglobin result within 14 days"  # E's lab_recency beats C's default
    assert hiv.window is None and hiv.what == "condition HIV infection"
    assert alc.text == "ALC result within 7 days: helps decide 2 trials (2 clauses; alone settles 1)"


def test_data_on_record_leaves_the_list():
    steps = _steps(
        {
            "id": "p",
            "birth_date": "1980-01-01",
            "sex": "female",
            "observations": [{"code": "ALC", "value": 2, "unit": "10^9/L", "date": "2026-10-30"}],
            "complete": ["conditions"],
        }
    )
    assert [s.subject for s in steps] == ["hemoglobin"]


def test_tightest_prefers_the_latest_start_and_ignores_ago_windows():
    windows = [_window("<=", 3, "month"), _window(">=", 1, "week"), _window("<=", 60, "day")]
    assert tightest(windows, AS_OF) == _window("<=", 60, "day")
    assert tightest([_window(">=", 1, "week")], AS_OF) is None


def _check_laws(report) -> None:
    """Every need of an undetermined trial is listed under it; ineligible trials count for nothing; the ranking
    never rises; a trial is settled only by a step that names it."""
    steps = next_steps(report)
    listed = {(s.kind, s.subject, s.category, s.limit): s for s in steps}
    for result in report.results:
        for clause in result.unknown:
            for need in needs(clause.finding):
                if result.verdict == "undetermined":
                    assert (result.trial.id, clause.clause.id) in listed[need_key(need)].clauses
    ranks = [(len(s.trials), len(s.settles), len(s.clauses)) for s in steps]
    assert ranks == sorted(ranks, reverse=True)
    undetermined = {r.trial.id for r in report.results if r.verdict == "undetermined"}
    assert all(set(s.trials) <= undetermined for s in steps)
    assert all(label.split("/")[0] in s.trials for s in steps for label in s.settles)


@pytest.mark.parametrize("patient", EXAMPLES, ids=lambda p: p.id)
def test_laws_on_the_example_patients(patient):
    _check_laws(BUNDLED.screen(patient))


@given(st.integers(min_value=0, max_value=10**6))
def test_laws_on_synthetic_patients(number: int):
    _check_laws(BUNDLED.screen(Patient.model_validate(SYNTH.patient(number))))
