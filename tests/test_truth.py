"""Kleene's strong three-valued tables, cell by cell."""

import pytest

from eligibility.engine.truth import FALSE, TRUE, UNKNOWN, all_of, any_of

T, F, U = TRUE, FALSE, UNKNOWN
AND = {(T, T): T, (T, F): F, (T, U): U, (F, T): F, (F, F): F, (F, U): F, (U, T): U, (U, F): F, (U, U): U}
OR = {(T, T): T, (T, F): T, (T, U): T, (F, T): T, (F, F): F, (F, U): U, (U, T): T, (U, F): U, (U, U): U}


@pytest.mark.parametrize("pair", list(AND))
def test_and_table(pair):
    assert (pair[0] & pair[1]) is AND[pair]
    assert all_of(pair) is AND[pair]


@pytest.mark.parametrize("pair", list(OR))
def test_or_table(pair):
    assert (pair[0] | pair[1]) is OR[pair]
    assert any_of(pair) is OR[pair]


def test_not_table():
    assert (~T, ~F, ~U) == (F, T, U)


def test_empty_conjunction_and_disjunction():
    assert all_of([]) is T and any_of([]) is F


def test_json_values():
    assert (T.as_json(), F.as_json(), U.as_json()) == (True, False, None)
