"""Which of a patient's records a history rule (``has …``, ``count …``, onsets) finds: the records certainly of
its kind in its window, those that may or may not be (:mod:`eligibility.engine.unspecific`), and negations."""

from __future__ import annotations

from datetime import date

from eligibility.engine.context import EvaluationContext
from eligibility.engine.timeline import in_window
from eligibility.engine.unspecific import unspecific_concepts, unspecific_records
from eligibility.lang import ast
from eligibility.patient.index import Occurrence, PatientIndex


def negated(patient: PatientIndex, context: EvaluationContext, category: str, concept: str, active: bool) -> bool:
    """True when the patient's records say ``concept`` is absent (it or a broader concept), or, for
    ``active``, resolved."""
    negations = patient.negations.get(category)
    if not negations:
        return False
    if negations.get(concept) == "resolved" and active:
        return True
    return not _absent(patient, category, negations).isdisjoint(context.vocabulary.ancestors(concept))


def _absent(patient: PatientIndex, category: str, negations: dict[str, str]) -> frozenset[str]:
    """The concepts of ``category`` recorded as absent for the patient (memoised per patient)."""
    key = ("absent", category)
    found = patient.memo.get(key)
    if found is None:
        found = patient.memo[key] = frozenset(c for c, status in negations.items() if status == "absent")
    return found


_OPTIONS: dict[type, tuple[bool, bool]] = {}  # node type → whether it has ``active``, ``excluding``


def options(node) -> tuple[bool, tuple[str, ...]]:
    """A history node's ``active`` and ``excluding`` (False and none for node types without them)."""
    kind = type(node)
    has = _OPTIONS.get(kind)
    if has is None:
        has = _OPTIONS[kind] = (hasattr(node, "active"), hasattr(node, "excluding"))
    return (node.active if has[0] else False), (tuple(node.excluding) if has[1] else ())


def matching(
    occurrences: list[Occurrence], node, as_of: date, unsure: frozenset[str] = frozenset()
) -> tuple[list[Occurrence], bool]:
    """Occurrences that satisfy the node's status and window, and whether an undated one could (records of an
    ``unsure`` concept, which may or may not be excluded, are left to :func:`possible`)."""
    hits: list[Occurrence] = []
    undated = False
    if not occurrences:
        return hits, undated
    active, excluding = options(node)
    excluded = frozenset(excluding)
    for occurrence in occurrences:
        if active and occurrence.status != "active":
            continue
        if excluded and (occurrence.concept_ancestors & excluded or occurrence.concept in unsure):
            continue
        if occurrence.start is None:
            undated = undated or node.window is not None
            if node.window is None:
                hits.append(occurrence)
            continue
        if occurrence.end is None and occurrence.status != "active":  # ended on a day not known
            if in_window(occurrence.start, occurrence.start, as_of, node.window):
                hits.append(occurrence)
            elif in_window(occurrence.start, as_of, as_of, node.window):
                undated = True  # the unknown end decides it
            continue
        if in_window(occurrence.start, occurrence.end or as_of, as_of, node.window):
            hits.append(occurrence)
    return hits, undated


def possible(node: ast.Presence | ast.Count, patient: PatientIndex, context: EvaluationContext) -> list[Occurrence]:
    """Records of a broader or overlapping concept that would match if they were of the node's kind."""
    records = unspecific_records(patient, context.vocabulary, node.category, (node.concept,), options(node)[1])
    return [r for r in records if matching([r], node, context.as_of) != ([], False)]


def certain(node: ast.Presence | ast.Count, patient: PatientIndex, context: EvaluationContext):
    """(hits, undated) among the records certainly of the node's kind."""
    unsure = unspecific_concepts(context.vocabulary, (node.concept,), options(node)[1])[1]
    return matching(patient.occurrences(node.category, node.concept), node, context.as_of, unsure)
