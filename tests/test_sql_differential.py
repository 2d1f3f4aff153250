"""The differential law: for any rules and patients, DuckDB running the compiled SQL and the in-process
evaluator agree on every clause's met, reason and outcome, and on the verdict."""

from __future__ import annotations

import os
from datetime import date

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sql_strategies import patients, rules
from sql_strategies import settings as trial_settings

from eligibility.cohort.store import StoreWriter
from eligibility.engine.compiler import compile_rule
from eligibility.engine.context import EvaluationContext
from eligibility.engine.evaluator import evaluate
from eligibility.engine.sql.compiler import SQL
from eligibility.engine.sql.query import CohortQuery, Settings
from eligibility.lang import ast
from eligibility.patient.contract import Patient
from eligibility.patient.index import index_patient
from eligibility.screen.screener import outcome, verdict
from eligibility.trials.schema import Clause

from strategies import AS_OF, VOCABULARY

CONNECTION = duckdb.connect(":memory:")  # one per module: each example replaces the tables
EXAMPLES = int(os.environ.get("SQL_DIFFERENTIAL_EXAMPLES", "0")) or {"ci": 40}.get(
    os.environ.get("HYPOTHESIS_PROFILE", "ci"), settings.default.max_examples
)


def store_of(people: list[Patient]) -> duckdb.DuckDBPyConnection:
    """The module's in-memory DuckDB record store, now holding ``people``."""
    writer = StoreWriter(VOCABULARY)
    for person in people:
        writer.add(person)
    writer.write(None, connection=CONNECTION)  # type: ignore[arg-type]
    return CONNECTION


def in_process(person: Patient, clauses: list[Clause], setting: Settings, on: date) -> list[tuple]:
    """(met, reason, outcome) per clause, evaluated in process."""
    index = index_patient(person, VOCABULARY, on)
    context = EvaluationContext(on, VOCABULARY, setting.lab_recency, setting.reference_ranges)
    found = []
    for clause in clauses:
        finding = evaluate(compile_rule(clause.rule, VOCABULARY), index, context)
        may_review = any(isinstance(n, ast.NeedsReview) for n in ast.walk(clause.rule))
        found.append((finding.truth.as_json(), finding.reason.value, outcome(clause, finding, may_review)))
    return found


def in_sql(people: list[Patient], clauses: list[Clause], setting: Settings, as_of: date | None) -> dict:
    """Rows by patient id: (met, reason, outcome) per clause and the verdict, from DuckDB."""
    query = CohortQuery(VOCABULARY, as_of, AS_OF)
    for clause in clauses:
        may_review = any(isinstance(n, ast.NeedsReview) for n in ast.walk(clause.rule))
        query.add_clause(compile_rule(clause.rule, VOCABULARY), clause.kind == "inclusion", may_review, setting)
    query.add_group(tuple(range(len(clauses))))
    connection = store_of(people)
    cursor = connection.execute(query.select().sql(dialect="duckdb"))
    names = [d[0] for d in cursor.description]
    rows = {}
    for row in cursor.fetchall():
        values = dict(zip(names, row, strict=True))
        found = [tuple(values[f"c{k}_{p}"] for p in ("met", "reason", "outcome")) for k in range(len(clauses))]
        rows[values["patient_id"]] = (found, values["v0"])
    return rows


@st.composite
def cases(draw):
    people = [Patient.model_validate(draw(patients(n))) for n in range(draw(st.integers(1, 4)))]
    clauses = [
        Clause(f"C{k}", draw(st.sampled_from(["inclusion", "exclusion"])), "", draw(rules()))
        for k in range(draw(st.integers(1, 4)))
    ]
    recency, ranges = draw(trial_settings())
    as_of = draw(st.sampled_from([None, None, AS_OF, date(2025, 3, 1)]))
    return people, clauses, Settings(recency, ranges), as_of


@settings(max_examples=EXAMPLES)
@given(cases())
def test_duckdb_agrees_with_the_evaluator_on_every_clause(case):
    people, clauses, setting, as_of = case
    rows = in_sql(people, clauses, setting, as_of)
    for person in people:
        on = as_of or person.as_of or AS_OF
        expected = in_process(person, clauses, setting, on)
        found, verdict_found = rows[person.id]
        assert found == expected, (person.id, [c.rule for c in clauses])
        assert verdict_found == verdict(o for _, _, o in expected)


def test_the_sql_stage_handles_every_node_type():
    assert SQL.unhandled() == []


@pytest.mark.parametrize(
    ("birth", "on", "rule", "met"),
    [
        ("2000-02-29", date(2018, 2, 28), "age >= 18 years", False),
        ("2000-02-29", date(2018, 3, 1), "age >= 18 years", True),
        ("2000-02-29", date(2020, 2, 29), "age >= 20 years", True),
        ("2000-01-31", date(2000, 2, 29), "age >= 1 months", False),
        ("2000-01-31", date(2000, 3, 1), "age >= 1 months", True),
    ],
)
def test_birthdays_on_29_february_and_month_ends(birth: str, on: date, rule: str, met: bool):
    from eligibility.lang.parsing import parse_rule

    person = Patient.model_validate({"id": "P", "birth_date": birth})
    clauses = [Clause("C", "inclusion", "", parse_rule(rule))]
    rows = in_sql([person], clauses, Settings(), on)
    assert rows["P"][0][0][0] is met
    assert in_process(person, clauses, Settings(), on)[0][0] is met
