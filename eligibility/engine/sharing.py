"""Findings shared by every patient, to save work when screening many patients.

A finding without evidence says nothing about the patient beyond its plan, truth, reason and children (a
condition not on record, a review leaf, a logic node over such findings): it is made once and every patient
gets the same object, so its wording can be kept too (see :func:`is_shared`).

A subtree made only of presence, lab, review and logic nodes, for a patient with no record of any of its
concepts (nor of a kind of one), no record of a concept that may or may not be one of them (see
:mod:`eligibility.engine.unspecific`), no negation of one of them or of a broader concept and no result of its
measures, has a finding that depends only on which of its categories the patient's records are complete in:
:func:`untouched` finds it without evaluating the subtree again.

Every table keeps the objects whose ids it is keyed by alive, so an id is never reused while it is a key; the
tables are emptied when they reach their limit.
"""

from __future__ import annotations

from eligibility.engine.compiler import Plan
from eligibility.engine.findings import Finding, Reason
from eligibility.engine.truth import Truth
from eligibility.engine.unspecific import unspecific_concepts
from eligibility.lang import ast
from eligibility.patient.index import PatientIndex
from eligibility.vocab.vocabulary import Vocabulary

LIMIT = 100_000
_SHARED: dict[tuple, Finding] = {}  # (id(plan), truth, reason, id(child)...) → the finding
_SHARED_IDS: set[int] = set()  # ids of the findings in _SHARED
_STRUCTURE = (ast.Presence, ast.NeedsReview, ast.AllOf, ast.AnyOf, ast.Not)
_LABS = (ast.Comparison, ast.RelativeComparison, ast.Qualitative)
# What a subtree looks at: its marks (see _marks) and the categories it asks about.
# A mark is "kind|own|not category concept" (category "lab" with a measure for results): one string, whose hash
# Python keeps, so that comparing sets of marks is quick.
Looks = tuple[frozenset[str], frozenset[str]]
_LOOKS: dict[int, tuple[Plan, Looks | None]] = {}
_UNTOUCHED: dict[tuple[int, frozenset[str]], Finding] = {}
_NONE: frozenset[str] = frozenset()


def shared(truth: Truth, plan: Plan, reason: Reason, children: tuple[Finding, ...] = ()) -> Finding:
    """The one finding without evidence for ``plan``, ``truth``, ``reason`` and (shared) ``children``."""
    key = (id(plan), truth, reason, *[id(child) for child in children]) if children else (id(plan), truth, reason)
    found = _SHARED.get(key)
    if found is None:
        if len(_SHARED) >= LIMIT:
            _SHARED.clear()
            _SHARED_IDS.clear()
            _UNTOUCHED.clear()
        found = _SHARED[key] = Finding(truth, plan, reason, None, children)
        _SHARED_IDS.add(id(found))
    return found


def is_shared(finding: Finding) -> bool:
    """True when ``finding`` is one object shared by every patient it applies to."""
    return id(finding) in _SHARED_IDS


def shared_ids() -> set[int]:
    """The ids of the shared findings: the live set, for hot loops to test membership in (do not change it)."""
    return _SHARED_IDS


def logic(truth: Truth, plan: Plan, children: tuple[Finding, ...]) -> Finding:
    """A logic node's finding: shared when all its children are."""
    for child in children:
        if id(child) not in _SHARED_IDS:
            return Finding(truth, plan, Reason.LOGIC, None, children)
    return shared(truth, plan, Reason.LOGIC, children)


def _looks(plan: Plan, vocabulary: Vocabulary) -> Looks | None:
    """What a subtree of presence, lab, review and logic nodes looks at; None for a subtree with other nodes."""
    entry = _LOOKS.get(id(plan))
    if entry is None or entry[0] is not plan:
        if len(_LOOKS) >= LIMIT:
            _LOOKS.clear()
        entry = _LOOKS[id(plan)] = (plan, _compute_looks(plan, vocabulary))
    return entry[1]


def _compute_looks(plan: Plan, vocabulary: Vocabulary) -> Looks | None:
    node = plan.node
    if isinstance(node, _LABS):  # without a reading of its measure a lab node is unknown, the same for all
        return frozenset({_mark("kind", "lab", plan.measure.id if plan.measure else "")}), _NONE
    if not isinstance(node, _STRUCTURE):
        return None
    if isinstance(node, ast.Presence):
        return _presence_marks(node, vocabulary), frozenset({node.category})
    marks: set[str] = set()
    categories: set[str] = set()
    for child in plan.children:
        looks = _looks(child, vocabulary)
        if looks is None:
            return None
        marks |= looks[0]
        categories |= looks[1]
    return frozenset(marks), frozenset(categories)


def _mark(how: str, category: str, concept: str) -> str:
    return f"{how} {category} {concept}"


def _presence_marks(node: ast.Presence, vocabulary: Vocabulary) -> frozenset[str]:
    """A presence node looks at records of a kind of its concept, records whose own concept may or may not be
    one (:mod:`eligibility.engine.unspecific`), and negations of its concept or of a broader one."""
    broader = unspecific_concepts(vocabulary, (node.concept,), node.excluding)[0]
    category = node.category
    return frozenset(
        [_mark("kind", category, node.concept)]
        + [_mark("own", category, concept) for concept in broader]
        + [_mark("not", category, concept) for concept in vocabulary.ancestors(node.concept)]
    )


def _marks(patient: PatientIndex) -> frozenset[str]:
    """What the patient has data of: ``kind`` for each concept a record is a kind of (and each measure with
    results), ``own`` for each record's own concept, ``not`` for each concept recorded as absent or resolved."""
    marks = [_mark("kind", "lab", measure) for measure in patient.readings]
    for category, by_concept in patient.records.items():
        marks += [_mark("kind", category, concept) for concept in by_concept]
        marks += [_mark("own", category, r.concept) for records in by_concept.values() for r in records]
    marks += [_mark("not", category, concept) for category, by in patient.negations.items() for concept in by]
    found = patient.memo["marks"] = frozenset(marks)
    return found


def _quiet(plan: Plan, patient: PatientIndex, vocabulary: Vocabulary) -> Looks | None:
    """What ``plan`` looks at, when it is a subtree of presence, lab, review and logic nodes and the patient has
    no data it looks at (then its finding depends only on the patient's complete categories); else None."""
    entry = _LOOKS.get(id(plan))
    looks = entry[1] if entry is not None and entry[0] is plan else _looks(plan, vocabulary)
    if looks is None:
        return None
    marks = patient.memo.get("marks")
    if marks is None:
        marks = _marks(patient)
    return looks if looks[0].isdisjoint(marks) else None


def touches(plan: Plan, patient: PatientIndex, vocabulary: Vocabulary) -> bool:
    """False when the finding of ``plan`` depends only on the patient's complete categories (see :func:`untouched`)."""
    return _quiet(plan, patient, vocabulary) is None


def untouched(
    plan: Plan, patient: PatientIndex, vocabulary: Vocabulary
) -> tuple[Finding | None, tuple[int, frozenset[str]] | None]:
    """(the known finding, or None; the key to keep it under with :func:`keep`, or None when the patient has
    data the subtree looks at, or the subtree has other nodes)."""
    looks = _quiet(plan, patient, vocabulary)
    if looks is None:
        return None, None
    key = (id(plan), looks[1] & patient.complete if patient.complete else _NONE)
    return _UNTOUCHED.get(key), key


def keep(key: tuple[int, frozenset[str]] | None, finding: Finding) -> Finding:
    """Remember the finding of an untouched subtree under ``key`` (when it is shared); returns it."""
    if key is not None and id(finding) in _SHARED_IDS:
        _UNTOUCHED[key] = finding  # the finding keeps its plan alive, so the key's id is not reused
    return finding
