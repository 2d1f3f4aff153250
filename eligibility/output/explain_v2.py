"""Wording of the language-v2 treatment-course nodes: first and last doses, course lengths without a dose
(registered in the explain stage by :mod:`eligibility.output.explain`)."""

from __future__ import annotations

from eligibility.engine.findings import CourseEvidence, Finding, Reason, RecordsEvidence
from eligibility.engine.truth import TRUE
from eligibility.lang import ast
from eligibility.lang.render import duration as duration_text
from eligibility.output.words import concept_name, records_text, window_text


def _span(record) -> str:
    """``IFN (2024-01-01 to 2025-03-01)``, ``… to ongoing``, ``… ended on a day not known``."""
    if record.start is None:
        return f"{record.code} (no start date)"
    if record.end is not None:
        return f"{record.code} ({record.start} to {record.end})"
    return f"{record.code} ({record.start}, {'ongoing' if record.status == 'active' else 'ended on a day not known'})"


def _spans(finding: Finding) -> str:
    records = finding.evidence.records if isinstance(finding.evidence, RecordsEvidence) else ()
    more = f" and {len(records) - 3} more" if len(records) > 3 else ""
    return ", ".join(_span(r) for r in records[:3]) + more


def course_text(node: ast.CourseLength, finding: Finding) -> str:
    """``interferon beta for at least 1 year: IFN (2024-01-01, ongoing)``, and why not or why unknown."""
    drug = concept_name(finding, node.concept)
    what = f"{drug} for at least {duration_text(node.lasting)}"
    where = f" {window_text(node.window)}" if node.window else ""
    seen = _spans(finding)
    if finding.truth is TRUE:
        return f"{what}{where}: {seen}"
    if finding.reason is Reason.NEGATED:
        return f"{drug}: recorded as absent"
    if finding.reason is Reason.UNDATED:
        if seen:
            return f"cannot tell whether {what}{where}: {seen}"
        return f"{drug} on record without a date; cannot tell whether it is{where}"
    shorter = f": {seen}" if seen else ""
    if finding.reason is Reason.COMPLETE:
        return f"no {what}{where}{shorter} (medications are marked complete)"
    return f"no {what}{where} on record{shorter} (medications not marked complete)"


def _course_day(evidence: CourseEvidence) -> str:
    if evidence.low == evidence.high:
        return f"on {evidence.high}"
    if evidence.low is None:
        return f"on or before {evidence.high}"
    return f"between {evidence.low} and {evidence.high}"


def timing_text(node: ast.DoseTiming, finding: Finding) -> str:
    """``first dose of rituximab on 2026-08-01 (rituximab (2026-08-01)): at least 2 months ago``, or why not."""
    what = f"{node.which} dose of {concept_name(finding, node.concept)}"
    wanted = window_text(node.window)
    if not isinstance(finding.evidence, CourseEvidence):
        if finding.reason is Reason.NEGATED:
            return f"{concept_name(finding, node.concept)}: recorded as absent"
        if finding.reason is Reason.COMPLETE:
            return f"no {concept_name(finding, node.concept)} on record (medications are marked complete)"
        return f"no {concept_name(finding, node.concept)} on record (medications not marked complete)"
    seen = f"{what} {_course_day(finding.evidence)} ({records_text(finding.evidence.records)})"
    if finding.reason is Reason.UNDATED:
        return f"{seen}; cannot tell whether it was {wanted}"
    if finding.reason is Reason.OPEN_HISTORY:
        earlier = "an earlier" if node.which == "first" else "a later"
        unsure = f"{earlier} dose not on record could change whether it was {wanted}"
        return f"{seen}; {unsure} (medications not marked complete)"
    return f"{seen}: {'' if finding.truth is TRUE else 'not '}{wanted}"
