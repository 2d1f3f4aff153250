"""Findings: the truth of one plan node for one patient, a typed reason, and typed evidence.

The reason says *why* the truth is what it is; the evidence is what was used (a lab reading, an age, records).
Both are data: wording them is :mod:`eligibility.output.explain`'s job. Findings and the commonest evidence are
named tuples: immutable like frozen dataclasses, and several times quicker to make (screening makes many).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple

from eligibility.engine.compiler import Plan
from eligibility.engine.truth import Truth
from eligibility.patient.index import Occurrence, Reading


class Reason(StrEnum):
    """Why a finding has its truth value. Values are the codes written in reports and SQL results."""

    DECIDED = "decided"  # the data decided the node
    LOGIC = "logic"  # an and/or/not combined its children
    MISSING = "missing"  # no usable record of what the node needs
    STALE = "stale"  # only results older than the recency window
    NO_REFERENCE_RANGE = "no_reference_range"  # x ULN / x LLN with no limit anywhere
    UNDATED = "undated"  # a record without a date, and the node has a window
    INCOMPLETE_COUNT = "incomplete_count"  # an open-world count that the records do not settle
    AGE_UNCERTAIN = "age_uncertain"  # only an age is known, and the unknown birthday matters
    MISSING_BIRTH = "missing_birth"  # age at onset: onset known, birth date and age not
    UNRESOLVED = "unresolved"  # the rule's unit cannot be converted to the measure's
    ABSENT = "absent"  # the condition is recorded as absent
    NEGATED = "negated"  # recorded as absent (or resolved, for an "active" node)
    COMPLETE = "complete"  # not on record, and the category is complete
    REVIEW = "review"  # only a person can judge
    UNSPECIFIC = "unspecific"  # a record of a broader concept (generic "zoster vaccine"): it may be this kind or not
    NO_DOSE = "no_dose"  # a record that could decide a dose node has no usable dose (or weight, or equivalent)
    OPEN_HISTORY = "open_history"  # first/last dose: an unrecorded dose could change it (category not complete)
    NO_BASELINE = "no_baseline"  # trend: no result on or before the window's first day to compare with


UNKNOWN_REASONS = frozenset(
    {
        Reason.MISSING,
        Reason.STALE,
        Reason.NO_REFERENCE_RANGE,
        Reason.UNDATED,
        Reason.INCOMPLETE_COUNT,
        Reason.AGE_UNCERTAIN,
        Reason.MISSING_BIRTH,
        Reason.UNRESOLVED,
        Reason.REVIEW,
        Reason.UNSPECIFIC,
        Reason.NO_DOSE,
        Reason.OPEN_HISTORY,
        Reason.NO_BASELINE,
    }
)


class LabEvidence(NamedTuple):
    """The reading a lab node used (or, when stale, the newest reading it could not use)."""

    reading: Reading


class LimitEvidence(NamedTuple):
    """The reading an ``x ULN``/``x LLN`` node used, the limit in the measure's unit and where it came from."""

    reading: Reading
    limit: Fraction
    source: str


class AgeEvidence(NamedTuple):
    """The youngest and oldest possible age on the day that mattered (equal when the birth date is known)."""

    low: Decimal
    high: Decimal
    onset: date | None = None  # for age at onset: the onset used


@dataclass(frozen=True, slots=True)
class OnsetEvidence:
    """An onset date found when the age at that date could not be worked out."""

    onset: date


@dataclass(frozen=True, slots=True)
class DurationEvidence:
    """The onset a disease duration was counted from, and the completed time from it to the reference date."""

    onset: date
    elapsed: Decimal


class SexEvidence(NamedTuple):
    """The sex on record."""

    sex: str


class RecordsEvidence(NamedTuple):
    """The records that matched a history or count node."""

    records: tuple[Occurrence, ...]


@dataclass(frozen=True, slots=True)
class DoseEvidence:
    """The records a dose node used, each with its dose in the rule's basis and drug (``None`` when unknown), and
    the body-weight reading a weight-based dose was converted with (``weight_missing``: one was needed, none
    usable)."""

    doses: tuple[tuple[Occurrence, Fraction | None], ...]
    weight: Reading | None = None
    weight_missing: bool = False


@dataclass(frozen=True, slots=True)
class CourseEvidence:
    """When the first or last dose was, as the records on file place it: between ``low`` and ``high`` (equal when
    known; ``low`` is ``None`` when it may be any earlier day), and the records used."""

    low: date | None
    high: date
    records: tuple[Occurrence, ...]


@dataclass(frozen=True, slots=True)
class TrendEvidence:
    """The results a trend compared: the newest on or before the window's first day (``baseline``) and the newest
    after it (``latest``), either ``None`` when there is none; ``start`` is the window's first day."""

    baseline: Reading | None
    latest: Reading | None
    start: date | None


Evidence = (
    LabEvidence
    | LimitEvidence
    | AgeEvidence
    | OnsetEvidence
    | SexEvidence
    | RecordsEvidence
    | DurationEvidence
    | DoseEvidence
    | CourseEvidence
    | TrendEvidence
)


class Finding(NamedTuple):
    """The truth of one plan node for one patient, why, and the evidence used (a named tuple: immutable, and
    quick to make, as screening makes many)."""

    truth: Truth
    plan: Plan
    reason: Reason
    evidence: Evidence | None = None
    children: tuple[Finding, ...] = ()
