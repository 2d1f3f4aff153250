"""What an undecided finding needs: the data that would decide it, or that only a person can.

This is the engine's knowledge (which leaf lacks which data); :mod:`eligibility.output.explain` words it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from eligibility.engine.findings import DoseEvidence, Finding, Reason
from eligibility.engine.truth import UNKNOWN
from eligibility.lang import ast
from eligibility.lang.dispatch import NodeDispatch

NeedKind = Literal["result", "reference_range", "birth_date", "onset", "sex", "record", "record_date", "dose"]


@dataclass(frozen=True, slots=True)
class Need:
    """One piece of data that would decide an unknown leaf.

    ``subject`` is the measure or concept id; ``category`` the record category for records; ``limit`` ULN/LLN
    for reference ranges; ``window`` the window a result or record must fall in, when the rule sets one.
    """

    kind: NeedKind
    subject: str = ""
    category: str | None = None
    limit: str | None = None
    window: ast.Window | None = None


DIAGNOSE: NodeDispatch[Callable[[ast.Node, Finding], list[Need]]] = NodeDispatch("diagnose")


def needs(finding: Finding) -> list[Need]:
    """The data that would decide an unknown finding (empty when decided or when only review is left)."""
    if finding.truth is not UNKNOWN:
        return []
    if finding.children:
        return list(dict.fromkeys(need for child in finding.children for need in needs(child)))
    if finding.reason is Reason.REVIEW:
        return []
    return DIAGNOSE[type(finding.plan.node)](finding.plan.node, finding)


def review_only(finding: Finding) -> bool:
    """True when a finding is unknown only because part of it needs a person's review."""
    return finding.truth is UNKNOWN and not _needs_data(finding)


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
    return [Need("result", name, window=node.window)]


@DIAGNOSE.register(ast.Age)
def _age(node: ast.Node, finding: Finding) -> list[Need]:
    return [Need("birth_date")]


@DIAGNOSE.register(ast.AgeAtOnset)
def _age_at_onset(node: ast.Node, finding: Finding) -> list[Need]:
    assert isinstance(node, ast.AgeAtOnset)
    if finding.reason in (Reason.MISSING_BIRTH, Reason.AGE_UNCERTAIN):
        return [Need("birth_date")]
    return [Need("onset", node.concept, category="condition")]


@DIAGNOSE.register(ast.Sex)
def _sex(node: ast.Node, finding: Finding) -> list[Need]:
    return [Need("sex")]


@DIAGNOSE.register(ast.Presence, ast.Count)
def _records(node: ast.Node, finding: Finding) -> list[Need]:
    assert isinstance(node, ast.Presence | ast.Count)
    kind: NeedKind = "record_date" if finding.reason is Reason.UNDATED else "record"
    return [Need(kind, node.concept, category=node.category, window=node.window)]


@DIAGNOSE.register(ast.NeedsReview, ast.AllOf, ast.AnyOf, ast.Not)
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


@DIAGNOSE.register(ast.DoseTiming)
def _dose_timing(node: ast.Node, finding: Finding) -> list[Need]:
    """The dates of the drug's records, or its full history (records that may be missing)."""
    assert isinstance(node, ast.DoseTiming)
    kind: NeedKind = "record_date" if finding.reason is Reason.UNDATED else "record"
    return [Need(kind, node.concept, category="medication", window=node.window)]
