"""When a condition began: the onset of the earliest matching record, and whether an earlier one is possible.

``age at onset of X`` and ``duration of condition X`` both read the onset of the *earliest* record of X (or of a
kind of X; for ``(X or Y)`` of any of them). A record of X without an onset date, or a record of a broader
concept (which may or may not be X) that is undated or earlier, means the true first onset may be earlier than
the earliest known one: a comparison is then decided only where every earlier onset gives the same answer
(``age at onset <= 17 years`` true at the known onset stays true for an earlier one; ``>= 18 years`` does not).
With no record at all, the condition is absent when recorded absent (reason ``absent``) or when conditions are
complete (reason ``complete``), unknown when only a broader record exists (``unspecific``) or nothing is known
(``missing``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eligibility.engine.findings import Reason
from eligibility.engine.truth import FALSE, TRUE, UNKNOWN, Truth
from eligibility.engine.unspecific import unspecific_records
from eligibility.patient.index import PatientIndex
from eligibility.vocab.vocabulary import Vocabulary


@dataclass(frozen=True, slots=True)
class Onset:
    """The earliest known onset of the matching records (``None`` when none has a date), and why an earlier
    one is possible (``undated`` or ``unspecific``), or ``None`` when the earliest known one is the first."""

    earliest: date | None
    earlier: Reason | None


def onset_of(patient: PatientIndex, vocabulary: Vocabulary, concepts: tuple[str, ...]) -> Onset | Reason:
    """The onset of the conditions ``concepts``, or why there is no record of them (see the module doc)."""
    records = {id(o): o for c in concepts for o in patient.occurrences("condition", c)}.values()
    unsure = unspecific_records(patient, vocabulary, "condition", concepts)
    if not records:
        if all(_recorded_absent(patient, vocabulary, c) for c in concepts):
            return Reason.ABSENT
        if unsure:
            return Reason.UNSPECIFIC
        return Reason.COMPLETE if "condition" in patient.complete else Reason.MISSING
    dated = [o.start for o in records if o.start is not None]
    earliest = min(dated) if dated else None
    if len(dated) < len(records):
        return Onset(earliest, Reason.UNDATED)
    if earliest is not None and any(o.start is None or o.start < earliest for o in unsure):
        return Onset(earliest, Reason.UNSPECIFIC)
    return Onset(earliest, None)


def _recorded_absent(patient: PatientIndex, vocabulary: Vocabulary, concept: str) -> bool:
    negations = patient.negations.get("condition", {})
    return any(negations.get(a) == "absent" for a in vocabulary.ancestors(concept))


def stable_truth(truth: Truth, op: str, later_is_larger: bool) -> bool:
    """True when ``truth`` of ``value <op> threshold`` at the earliest known onset holds for any earlier onset
    too. ``later_is_larger``: the compared value grows with the onset date (an age at onset) rather than shrinks
    (a disease duration)."""
    if truth is UNKNOWN or op in ("==", "!="):
        return False
    smaller_holds = op in ("<", "<=")  # a smaller value keeps "<" true and ">" false
    if later_is_larger:  # an earlier onset gives a smaller value
        return truth is (TRUE if smaller_holds else FALSE)
    return truth is (FALSE if smaller_holds else TRUE)
