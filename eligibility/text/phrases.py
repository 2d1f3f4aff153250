"""The phrases the criteria grammar finds: amounts, comparisons, ranges, windows, durations, age markers.

Positions are offsets into the *normalised* text (see :mod:`eligibility.freetext.normalize`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from eligibility.lang import ast

AmountKind = Literal["plain", "time", "limit", "count"]
PhraseKind = Literal["comparison", "range", "window", "duration", "bare", "age", "onset"]
# The rule language's time units, and minutes (read from text, converted to hours when drafting).
TIME_UNITS = frozenset({"minute", *ast.TIME_UNITS})


@dataclass(frozen=True, slots=True)
class Amount:
    """A number and what follows it: a unit, a time unit, a reference limit (ULN/LLN) or a count noun."""

    value: Decimal
    unit: str
    kind: AmountKind
    start: int
    end: int
    age_tail: bool = False
    repair: str | None = None
    noun: str | None = None


@dataclass(frozen=True, slots=True)
class Phrase:
    """One structured phrase of a criterion, or an age marker (``age``/``onset`` with no amounts)."""

    kind: PhraseKind
    start: int
    end: int
    op: str | None = None
    amounts: tuple[Amount, ...] = ()
    before: bool = False
    upper_op: str = "<="

    @property
    def amount(self) -> Amount:
        """The (first) amount."""
        return self.amounts[0]

    @property
    def is_time(self) -> bool:
        """True when the phrase's amounts are durations."""
        return any(a.kind == "time" for a in self.amounts)
