"""The batch query's shape: however many clauses and trials a batch holds, each record table is read by one
grouped pass (observations by two: the newest readings, then their values), joined to the patients once. A dose
rule is the one exception: a record's dose may need the patient's body weight, a value from another table, so each
distinct dose rule reads medications in a relation of its own, beside one newest-weight relation."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlglot import exp

from eligibility.cohort.plan import plan_batches
from eligibility.lang import ast
from eligibility.resources import bundled_rules_dir
from eligibility.screen.batch import ScreenSetup

AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def screener():
    return ScreenSetup((bundled_rules_dir(),)).build()


def reads(query: exp.Select) -> Counter:
    """How often each stored table is named in the query."""
    return Counter(table.name for table in query.find_all(exp.Table))


def test_every_seed_trial_in_one_query_reads_each_record_table_once(screener):
    batches = list(plan_batches(screener, None, AS_OF))
    assert len(batches) == 1  # the default batch holds the five seed trials
    (batch,) = batches
    assert batch.clause_count > 150
    counted = reads(batch.query)
    doses = {node for trial in screener.trials for node in _nodes(trial) if isinstance(node, ast.DoseComparison)}
    assert len(doses) >= 2  # ChiCTR2600127018 I3 and I4a
    stable = {node for trial in screener.trials for node in _nodes(trial) if isinstance(node, ast.StableDose)}
    assert len(stable) >= 2  # ChiCTR2600127018 I4a and I4c
    assert counted["medications"] == 1 + len(doses) + len(stable)  # each a relation of its own
    assert counted["observations"] == 2 + 2  # the readings pass, their values, and the weight (rank, then row)
    for table in ("conditions", "immunizations", "negations", "patients", "completeness"):
        assert counted[table] == 1, table


def _nodes(trial) -> list[ast.Node]:
    return [node for clause in trial.clauses for node in ast.walk(clause.rule)]


def test_more_trials_add_columns_not_passes(screener):
    one = next(plan_batches(screener, None, AS_OF, ("MESEMS-Karolinska",)))
    every = next(plan_batches(screener, None, AS_OF))
    assert reads(every.query)["conditions"] == reads(one.query)["conditions"] == 1
    assert len(every.query.sql()) > 2 * len(one.query.sql())
