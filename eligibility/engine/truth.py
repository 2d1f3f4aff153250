"""Kleene's strong three-valued logic: true, false and unknown.

Unknown means "the data cannot decide"; it absorbs nothing that is already decided:
``false AND unknown = false`` and ``true OR unknown = true``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class Truth(Enum):
    """A three-valued truth value."""

    FALSE = 0
    UNKNOWN = 1
    TRUE = 2

    def __invert__(self) -> Truth:
        return _NOT[self]

    def __and__(self, other: Truth) -> Truth:
        return self if self.value <= other.value else other

    def __or__(self, other: Truth) -> Truth:
        return self if self.value >= other.value else other

    def as_json(self) -> bool | None:
        """``True``, ``False`` or ``None`` (for unknown)."""
        return None if self is Truth.UNKNOWN else self is Truth.TRUE

    @classmethod
    def of(cls, value: bool | None) -> Truth:
        """Truth of a Python bool, with ``None`` meaning unknown."""
        if value is None:
            return cls.UNKNOWN
        return cls.TRUE if value else cls.FALSE


_NOT = {Truth.TRUE: Truth.FALSE, Truth.FALSE: Truth.TRUE, Truth.UNKNOWN: Truth.UNKNOWN}

TRUE, FALSE, UNKNOWN = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN


def all_of(values: Iterable[Truth]) -> Truth:
    """Kleene conjunction of any number of values (true for none)."""
    result = TRUE
    for value in values:
        if value is FALSE:
            return FALSE
        if value is UNKNOWN:
            result = UNKNOWN
    return result


def any_of(values: Iterable[Truth]) -> Truth:
    """Kleene disjunction of any number of values (false for none)."""
    result = FALSE
    for value in values:
        if value is TRUE:
            return TRUE
        if value is UNKNOWN:
            result = UNKNOWN
    return result
