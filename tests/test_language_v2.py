"""Rule language v2 (the rule side): how old a result may be (a measure's validity, ``ever``, a window), and
the laws that hold it in process and in DuckDB alike."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import duckdb
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from eligibility.cohort.store import StoreWriter
from eligibility.engine.compiler import compile_rule
from eligibility.engine.context import EvaluationContext
from eligibility.engine.evaluator import evaluate
from eligibility.engine.sql.query import CohortQuery, Settings
from eligibility.lang import ast
from eligibility.lang.parsing import parse_rule
from eligibility.patient.contract import Patient
from eligibility.patient.index import index_patient
from eligibility.vocab.vocabulary import MeasureDef, Vocabulary

from strategies import AS_OF, VOCABULARY


@cache
def _with_validity(measure_id: str, valid_for: str) -> Vocabulary:
    """The bundled vocabulary with one measure's ``valid_for`` changed."""
    measures = [
        m.model_copy(update={"valid_for": valid_for}) if m.id == measure_id else m for m in VOCABULARY.measures.values()
    ]
    return Vocabulary(measures, VOCABULARY.concepts.values())


def both_engines(vocabulary: Vocabulary, rule: str, person: dict, on: date = AS_OF) -> tuple:
    """(met, reason) in process and in DuckDB, for one rule and one patient."""
    patient = Patient.model_validate({"id": "P", **person})
    plan = compile_rule(parse_rule(rule), vocabulary)
    finding = evaluate(plan, index_patient(patient, vocabulary, on), EvaluationContext(on, vocabulary))
    writer = StoreWriter(vocabulary)
    writer.add(patient)
    connection = duckdb.connect(":memory:")
    writer.write(None, connection=connection)  # type: ignore[arg-type]
    query = CohortQuery(vocabulary, on)
    query.add_clause(plan, True, False, Settings())
    row = connection.execute(query.select().sql(dialect="duckdb")).fetchone()
    assert row is not None
    return (finding.truth.as_json(), finding.reason.value), (row[1], row[2])


@settings(max_examples=20)
@given(st.integers(1, 6), st.dates(date(2020, 1, 1), date(2030, 12, 31)))
def test_a_measures_validity_ends_exactly_at_its_edge(months: int, on: date):
    vocabulary = _with_validity("hbsag", f"{months} months")
    edge = on - relativedelta(months=months)
    for day, truth, reason in ((edge, True, "decided"), (edge - timedelta(days=1), None, "stale")):
        person = {"observations": [{"code": "hbsag", "value": "positive", "date": str(day)}]}
        in_process, in_sql = both_engines(vocabulary, "hbsag is positive", person, on)
        assert in_process == in_sql == (truth, reason)


@pytest.mark.parametrize(
    ("rule", "truth", "reason"),
    [
        ("aqp4_igg is positive", True, "decided"),  # valid for life
        ("aqp4_igg is positive ever", True, "decided"),
        ("aqp4_igg is positive within 5 years", None, "stale"),  # the rule's own window wins
        ("hbsag is positive", None, "stale"),  # the lab recency window
        ("hbsag is positive ever", True, "decided"),
    ],
)
def test_validity_ever_and_windows_agree_in_both_engines(rule: str, truth, reason: str):
    old = str(AS_OF - relativedelta(years=7))
    person = {"observations": [{"code": m, "value": "positive", "date": old} for m in ("aqp4_igg", "hbsag")]}
    in_process, in_sql = both_engines(VOCABULARY, rule, person)
    assert in_process == in_sql == (truth, reason)


def test_a_result_rule_takes_ever_or_a_window_not_both():
    window = ast.Window(op="<=", duration=ast.Duration(value=3, unit="day"))
    with pytest.raises(ValidationError, match="not both"):
        ast.Qualitative(measure="hbsag", value="positive", window=window, ever=True)


@pytest.mark.parametrize("valid_for", ["forever", "5", "3 fortnights", "ever "])
def test_a_measure_validity_must_be_ever_or_a_duration(valid_for: str):
    with pytest.raises(ValidationError, match="valid_for"):
        MeasureDef(id="x", name="x", kind="lab", valid_for=valid_for)


def test_the_lifetime_tests_of_the_seed_trials_are_valid_for_life():
    lifetime = {m.id for m in VOCABULARY.measures.values() if m.valid_for == "ever"}
    assert {"aqp4_igg", "mog_igg", "oligoclonal_bands", "anca", "mpo_anca", "pr3_anca"} <= lifetime
    assert "hbsag" not in lifetime and "alt" not in lifetime


# --- records of a broader or overlapping concept ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "rule", "truth", "reason"),
    [
        ("zoster vaccine", "has immunization live_vaccine within 3 weeks", None, "unspecific"),
        ("Shingrix", "has immunization live_vaccine within 3 weeks", False, "complete"),
        ("Zostavax", "has immunization live_vaccine within 3 weeks", True, "decided"),
        ("vaccine", "has immunization bcg_vaccine", None, "unspecific"),
        ("zoster vaccine", "count immunization live_vaccine within 3 weeks >= 1", None, "unspecific"),
        ("zoster vaccine", "count immunization live_vaccine within 3 weeks <= 1", True, "decided"),
        ("zoster vaccine", "count immunization live_vaccine within 3 weeks >= 2", False, "decided"),
        ("zoster vaccine", "has immunization zoster_vaccine", True, "decided"),  # the broader query is met
    ],
)
def test_a_broader_record_leaves_a_narrower_question_open(code: str, rule: str, truth, reason: str):
    person = {"immunizations": [{"code": code, "date": "2026-10-20"}], "complete": ["immunizations"]}
    in_process, in_sql = both_engines(VOCABULARY, rule, person)
    assert in_process == in_sql == (truth, reason)


def test_shared_findings_of_patients_without_records_do_not_answer_for_a_broader_record():
    """The in-process cache answers a subtree for a patient without records of what it looks at; a record of a
    broader concept is something it looks at, so the second patient is not given the first one's answer."""
    plan = compile_rule(parse_rule("not has immunization live_vaccine and age >= 18 years"), VOCABULARY)
    context = EvaluationContext(AS_OF, VOCABULARY)
    base = {"birth_date": "1980-01-01", "complete": ["immunizations"]}
    nothing = index_patient(Patient.model_validate({"id": "a", **base}), VOCABULARY, AS_OF)
    generic = {"immunizations": [{"code": "zoster vaccine", "date": "2026-10-20"}]}
    broader = index_patient(Patient.model_validate({"id": "b", **base, **generic}), VOCABULARY, AS_OF)
    assert evaluate(plan, nothing, context).truth.as_json() is True
    finding = evaluate(plan, broader, context)
    assert finding.truth.as_json() is None
    assert finding.children[0].children[0].reason == "unspecific"


def test_a_record_that_may_be_an_exception_leaves_the_exception_open():
    person = {"conditions": [{"code": "skin cancer", "onset": "2020-10-20"}], "complete": ["conditions"]}
    rule = "has condition malignancy except basal_cell_carcinoma"
    assert both_engines(VOCABULARY, rule, person) == ((None, "unspecific"),) * 2
    person["conditions"] = [{"code": "melanoma", "onset": "2020-10-20"}]
    assert both_engines(VOCABULARY, rule, person) == ((True, "decided"),) * 2


@given(st.sampled_from(sorted(c.id for c in VOCABULARY.concepts.values() if c.category == "immunization")), st.data())
def test_under_complete_a_record_of_an_overlapping_concept_never_decides_no(recorded: str, data):
    """Law: with immunizations complete and one record of R, ``has immunization Q`` is false only when no kind
    of R is a kind of Q (R's record cannot be a Q), and true exactly when R is a kind of Q."""
    asked = data.draw(
        st.sampled_from(sorted(c.id for c in VOCABULARY.concepts.values() if c.category == "immunization"))
    )
    person = {"immunizations": [{"code": recorded, "date": "2026-10-20"}], "complete": ["immunizations"]}
    finding = evaluate(
        compile_rule(parse_rule(f"has immunization {asked}"), VOCABULARY),
        index_patient(Patient.model_validate({"id": "P", **person}), VOCABULARY, AS_OF),
        EvaluationContext(AS_OF, VOCABULARY),
    )
    may_be = bool(VOCABULARY.descendants(recorded) & VOCABULARY.descendants(asked))
    expected = True if asked in VOCABULARY.ancestors(recorded) else None if may_be else False
    assert finding.truth.as_json() is expected


# --- onset: age at onset and disease duration --------------------------------------------------------------------


def _in_process(rule: str, person: dict, on: date = AS_OF):
    patient = Patient.model_validate({"id": "P", **person})
    plan = compile_rule(parse_rule(rule), VOCABULARY)
    return evaluate(plan, index_patient(patient, VOCABULARY, on), EvaluationContext(on, VOCABULARY))


@given(st.dates(date(1990, 1, 1), date(2020, 12, 31)), st.integers(1, 20))
def test_a_disease_duration_reaches_n_years_exactly_on_the_anniversary(onset: date, years: int):
    anniversary = onset + relativedelta(years=years)
    if (onset.month, onset.day) == (2, 29) and (anniversary.month, anniversary.day) != (2, 29):
        anniversary += timedelta(days=1)  # begun on 29 February: a year is complete on 1 March in common years
    person = {"conditions": [{"code": "multiple_sclerosis", "onset": str(onset)}]}
    rule = f"duration of condition multiple_sclerosis >= {years} years"
    assert _in_process(rule, person, anniversary - timedelta(days=1)).truth.as_json() is False
    assert _in_process(rule, person, anniversary).truth.as_json() is True


@given(st.lists(st.dates(date(1990, 1, 1), date(2026, 10, 31)), min_size=1, max_size=4), st.integers(10, 40))
def test_age_at_onset_is_the_age_at_the_earliest_record(onsets: list[date], years: int):
    birth = date(1985, 5, 17)
    codes = ("autoimmune_encephalitis", "autoimmune_cerebellitis")
    person = {
        "birth_date": str(birth),
        "conditions": [{"code": codes[k % 2], "onset": str(d)} for k, d in enumerate(onsets)],
        "complete": ["conditions"],
    }
    first = min(onsets)
    expected = relativedelta(first, birth).years >= years
    rule = f"age at onset of (autoimmune_encephalitis or autoimmune_cerebellitis) >= {years} years"
    assert _in_process(rule, person).truth.as_json() is expected


@pytest.mark.parametrize(
    ("rule", "conditions", "truth", "reason"),
    [
        (
            "age at onset of autoimmune_encephalitis >= 18 years",
            [("autoimmune_encephalitis", "2017-06-01")],
            False,
            "decided",
        ),
        ("age at onset of autoimmune_encephalitis >= 18 years", [], False, "complete"),
        ("age at onset of autoimmune_encephalitis >= 18 years", [("autoimmune_encephalitis", None)], None, "undated"),
        (
            "age at onset of autoimmune_encephalitis >= 18 years",
            [("autoimmune_disease", "2019-01-01")],
            None,
            "unspecific",
        ),
        (
            "duration of condition multiple_sclerosis >= 2 years",
            [("multiple_sclerosis", "2024-11-01")],
            True,
            "decided",
        ),
        (
            "duration of condition multiple_sclerosis >= 2 years",
            [("multiple_sclerosis", "2024-11-02")],
            False,
            "decided",
        ),
        (
            "duration of condition multiple_sclerosis >= 2 years",
            [("multiple_sclerosis", "2025-01-01"), ("multiple_sclerosis", None)],
            None,
            "undated",
        ),
        (
            "duration of condition multiple_sclerosis <= 2 years",
            [("multiple_sclerosis", "2019-01-01"), ("multiple_sclerosis", None)],
            False,
            "decided",
        ),
    ],
)
def test_onset_rules_agree_in_both_engines(rule: str, conditions: list, truth, reason: str):
    records = [{"code": code, **({"onset": onset} if onset else {})} for code, onset in conditions]
    person = {"birth_date": "2000-01-01", "conditions": records, "complete": ["conditions"]}
    in_process, in_sql = both_engines(VOCABULARY, rule, person)
    assert in_process == in_sql == (truth, reason)
