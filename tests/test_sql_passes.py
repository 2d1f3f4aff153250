"""The batch query's shape: however many clauses and trials a batch holds, each record table is read by one
grouped pass (observations by two: the newest readings, then their values), joined to the patients once."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlglot import exp

from eligibility.cohort.plan import plan_batches
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
    assert counted["observations"] == 2
    for table in ("conditions", "medications", "immunizations", "negations", "patients", "completeness"):
        assert counted[table] == 1, table


def test_more_trials_add_columns_not_passes(screener):
    one = next(plan_batches(screener, None, AS_OF, ("MESEMS-Karolinska",)))
    every = next(plan_batches(screener, None, AS_OF))
    assert reads(every.query)["conditions"] == reads(one.query)["conditions"] == 1
    assert len(every.query.sql()) > 2 * len(one.query.sql())
