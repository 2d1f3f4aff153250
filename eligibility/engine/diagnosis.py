"""What an undecided finding needs: the data that would decide it, or that only a person can.

This is the engine's knowledge (which leaf lacks which data); :mod:`eligibility.output.explain` words it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from eligibility.engine.findings import Finding, Reason
from eligibility.engine.truth import UNKNOWN
from eligibility.engine.validity import any_date, own_window
from eligibility.lang import ast
from eligibility.lang.dispatch import NodeDispatch

NeedKind = Literal["result", "reference_range", "birth_date", "onset", "sex", "record", "record_date", "record_kind"]


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
