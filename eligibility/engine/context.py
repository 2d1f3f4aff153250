"""What evaluation depends on besides the patient: the reference date, lab recency and reference ranges."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from eligibility.lang import ast
from eligibility.vocab.vocabulary import Vocabulary

if TYPE_CHECKING:
    from eligibility.engine.findings import Finding

DEFAULT_LAB_RECENCY = ast.Duration(value=Decimal(30), unit="day")


@dataclass(frozen=True, slots=True)
class ReferenceRange:
    """A reference range for a measure in its canonical unit, and where it came from."""

    low: Fraction | None
    high: Fraction | None
    source: str


@dataclass(frozen=True)
class EvaluationContext:
    """Everything evaluation depends on besides the patient: reference date, lab recency, reference table.

    ``memo`` (findings by plan identity) lets plans shared by many trials be evaluated once; give one only to
    a context used for a single patient, with plans that outlive it (the screener does this).
    """

    as_of: date
    vocabulary: Vocabulary
    lab_recency: ast.Duration = DEFAULT_LAB_RECENCY
    reference_ranges: Mapping[str, ReferenceRange] = field(default_factory=dict)
    memo: dict[int, Finding] | None = field(default=None, compare=False, repr=False)
