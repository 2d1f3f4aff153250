"""What an undecided finding needs: the data that would decide it, or that only a person can.

This is the engine's knowledge (which leaf lacks which data); :mod:`eligibility.output.explain` words it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from eligibility.engine.findings import DoseEvidence, Finding, Reason
from eligibility.engine.sharing import is_shared
from eligibility.engine.truth import UNKNOWN
from eligibility.engine.validity import any_date, own_window
from eligibility.lang import ast
from eligibility.lang.dispatch import NodeDispatch

NeedKind = Literal[
    "result",
    "reference_range",
    "birth_date",
    "onset",
    "sex",
    "record",
    "record_date",
    "record_kind",
    "dose",
    "baseline",
]


@dataclass(frozen=True, slots=True)
class Need:
    """One piece of data that would decide an unknown leaf.

    ``subject`` is the measure or concept id; ``category`` the record category for records; ``limit`` ULN/LLN
    for reference ranges; ``window`` the window a result or record must fall in, when the rule (or, for a
    result, the measure's validity) sets one; ``any_date`` that a result of any date would do (a lifetime test).
    """

    kind: NeedKind
    subject: str = ""
    category: str | None = None
    limit: str | None = None
    window: ast.Window | None = None
    any_date: bool = False


# A leaf's needs follow from its plan (node, measure) and its reason only: handlers must not read the evidence,
# so that what a leaf needs can be worked out once per plan and reason (see leaf_needs).
DIAGNOSE: NodeDispatch[Callable[[ast.Node, Finding], list[Need]]] = NodeDispatch("diagnose")
_LEAF_NEEDS: dict[tuple[int, Reason], tuple[object, tuple[Need, ...]]] = {}  # (id(plan), reason) → (plan, needs)
_LEAF_NEEDS_LIMIT = 100_000
_REVIEW_ONLY: dict[int, tuple[Finding, bool]] = {}  # id(shared finding) → (finding, review only?)


def needs(finding: Finding) -> list[Need]:
    """The data that would decide an unknown finding (empty when decided or when only review is left)."""
    found: dict[Need, None] = {}
    for leaf in unknown_leaves(finding):
        found.update(dict.fromkeys(leaf_needs(leaf)))
    return list(found)


def unknown_leaves(finding: Finding, into: list[Finding] | None = None) -> list[Finding]:
    """The unknown leaves under ``finding`` (itself when it is one), in order."""
    into = [] if into is None else into
    if finding.truth is UNKNOWN:
        if finding.children:
            for child in finding.children:
                unknown_leaves(child, into)
        else:
            into.append(finding)
    return into


def leaf_needs(leaf: Finding) -> tuple[Need, ...]:
    """What an unknown leaf needs (nothing for a review leaf), worked out once per plan and reason: the tuple
    returned is the same object for the same plan and reason."""
    if leaf.reason is Reason.REVIEW:
        return ()
    plan, key = leaf.plan, (id(leaf.plan), leaf.reason)
    cached = _LEAF_NEEDS.get(key)
    if cached is None or cached[0] is not plan:  # the entry keeps its plan alive, so the id is not reused
        if len(_LEAF_NEEDS) >= _LEAF_NEEDS_LIMIT:
            _LEAF_NEEDS.clear()
        cached = _LEAF_NEEDS[key] = (plan, tuple(DIAGNOSE[type(plan.node)](plan.node, leaf)))
    return cached[1]


def review_only(finding: Finding) -> bool:
    """True when a finding is unknown only because part of it needs a person's review."""
    if finding.truth is not UNKNOWN:
        return False
    if not is_shared(finding):
        return not _needs_data(finding)
    entry = _REVIEW_ONLY.get(id(finding))  # a shared finding: worked out once
    if entry is None or entry[0] is not finding:  # the entry keeps the finding alive: its id is not reused
        if len(_REVIEW_ONLY) >= _LEAF_NEEDS_LIMIT:
            _REVIEW_ONLY.clear()
        entry = _REVIEW_ONLY[id(finding)] = (finding, not _needs_data(finding))
    return entry[1]


def _needs_data(finding: Finding) -> bool:
    """True when some unknown leaf under ``finding`` would be decided by data (what :func:`needs` lists)."""
    if finding.truth is not UNKNOWN:
        return False
    if finding.children:
        return any(_needs_data(child) for child in finding.children)
    return finding.reason is not Reason.REVIEW


@DIAGNOSE.register(ast.Comparison, ast.RelativeComparison, ast.Qualitative)
def _lab(node: ast.Node, finding: Finding) -> list[Need]:
    assert isinstance(node, ast.Comparison | ast.RelativeComparison | ast.Qualitative)
    name = finding.plan.measure.id if finding.plan.measure else node.measure
    if finding.reason is Reason.NO_REFERENCE_RANGE and isinstance(node, ast.RelativeComparison):
        return [Need("reference_range", name, limit=node.limit)]
    window, lifetime = own_window(node, finding.plan.measure), any_date(node, finding.plan.measure)
    return [Need("result", name, window=window, any_date=lifetime)]


@DIAGNOSE.register(ast.Age)
def _age(node: ast.Node, finding: Finding) -> list[Need]:
    return [Need("birth_date")]


@DIAGNOSE.register(ast.AgeAtOnset, ast.DiseaseDuration)
def _onset(node: ast.Node, finding: Finding) -> list[Need]:
    assert isinstance(node, ast.AgeAtOnset | ast.DiseaseDuration)
    if finding.reason in (Reason.MISSING_BIRTH, Reason.AGE_UNCERTAIN):
        return [Need("birth_date")]
    kind: NeedKind = "record_kind" if finding.reason is Reason.UNSPECIFIC else "onset"
    return [Need(kind, concept, category="condition") for concept in node.concepts]


@DIAGNOSE.register(ast.Sex)
def _sex(node: ast.Node, finding: Finding) -> list[Need]:
    return [Need("sex")]


@DIAGNOSE.register(ast.Presence, ast.Count)
def _records(node: ast.Node, finding: Finding) -> list[Need]:
    assert isinstance(node, ast.Presence | ast.Count)
    kinds: dict[Reason, NeedKind] = {Reason.UNDATED: "record_date", Reason.UNSPECIFIC: "record_kind"}
    kind = kinds.get(finding.reason, "record")
    return [Need(kind, node.concept, category=node.category, window=node.window)]


@DIAGNOSE.register(ast.NeedsReview, ast.AllOf, ast.AnyOf, ast.Not, ast.Implies)
def _structural(node: ast.Node, finding: Finding) -> list[Need]:
    # Review leaves need a person; logic nodes are diagnosed through their children (see needs()).
    return []


# --- language v2: doses and treatment courses ------------------------------------------------------------


@DIAGNOSE.register(ast.DoseComparison)
def _dose(node: ast.Node, finding: Finding) -> list[Need]:
    """A dose on the records that lack one, the body weight a weight-based dose needs, or the record itself."""
    assert isinstance(node, ast.DoseComparison)
    if finding.reason is Reason.UNDATED:
        return [Need("record_date", node.concept, category="medication", window=node.window)]
    evidence = finding.evidence
    if finding.reason is not Reason.NO_DOSE or not isinstance(evidence, DoseEvidence):
        return [Need("record", node.concept, category="medication", window=node.window)]
    found = [Need("result", finding.plan.measure.id)] if evidence.weight_missing and finding.plan.measure else []
    if any(occurrence.dose is None for occurrence, _ in evidence.doses):
        found.append(Need("dose", node.concept, category="medication", window=node.window))
    if node.lasting is not None and any(value is not None for _, value in evidence.doses):
        found.append(Need("record_date", node.concept, category="medication", window=node.window))  # its end
    return found or [Need("dose", node.concept, category="medication", window=node.window)]


@DIAGNOSE.register(ast.DoseTiming, ast.CourseLength)
def _dose_timing(node: ast.Node, finding: Finding) -> list[Need]:
    """The dates of the drug's records (a course's start and end), or its full history (records that may be
    missing)."""
    assert isinstance(node, ast.DoseTiming | ast.CourseLength)
    kind: NeedKind = "record_date" if finding.reason is Reason.UNDATED else "record"
    return [Need(kind, node.concept, category="medication", window=node.window)]


@DIAGNOSE.register(ast.Trend)
def _trend(node: ast.Node, finding: Finding) -> list[Need]:
    """A result on or before the window's first day (``baseline``), one after it (``result`` in the window), or
    both."""
    assert isinstance(node, ast.Trend)
    name = finding.plan.measure.id if finding.plan.measure else node.measure
    baseline, latest = Need("baseline", name, window=node.window), Need("result", name, window=node.window)
    if finding.reason is Reason.NO_BASELINE:
        return [baseline]
    if finding.reason is Reason.MISSING:
        return [baseline, latest]
    return [latest]


@DIAGNOSE.register(ast.StableDose)
def _stable_dose(node: ast.Node, finding: Finding) -> list[Need]:
    """The dose of the drug's records, their dates, or its full history over the window."""
    assert isinstance(node, ast.StableDose)
    kinds: dict[Reason, NeedKind] = {Reason.NO_DOSE: "dose", Reason.UNDATED: "record_date"}
    window = ast.Window(op="<=", duration=node.lasting)
    return [Need(kinds.get(finding.reason, "record"), node.concept, category="medication", window=window)]
