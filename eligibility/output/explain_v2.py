"""Wording of language-v2 nodes: first and last doses, course lengths without a dose, trends, stable doses
(registered in the explain stage by :mod:`eligibility.output.explain`)."""

from __future__ import annotations

from eligibility.engine.findings import (
    CourseEvidence,
    DoseEvidence,
    Finding,
    Reason,
    RecordsEvidence,
    TrendEvidence,
)
from eligibility.engine.truth import TRUE
from eligibility.lang import ast
from eligibility.lang.render import duration as duration_text
from eligibility.output.words import concept_name, label, records_text, shown, window_text
from eligibility.vocab.units import format_number


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


def _result(reading) -> str:
    value = reading.written_value if isinstance(reading.written_value, str) else format_number(reading.written_value)
    return f"{value} {reading.written_unit}".rstrip() + f" ({reading.date})"


def _change(node: ast.Trend, finding: Finding, evidence: TrendEvidence) -> str:
    """``unchanged``, ``improved by 1`` or ``worsened by 0.5`` (in the measure's unit), and which way is better."""
    measure = finding.plan.measure
    assert measure is not None and evidence.baseline is not None and evidence.latest is not None
    before, after = evidence.baseline.value, evidence.latest.value
    assert not isinstance(before, str) and not isinstance(after, str)
    if before == after:
        return "unchanged"
    better = (after > before) == (measure.better == "higher")
    unit = f" {measure.unit}" if measure.unit else ""
    return f"{'improved' if better else 'worsened'} by {shown(abs(after - before))}{unit} ({measure.better} is better)"


def trend_text(node: ast.Trend, finding: Finding) -> str:
    """``mRS 4 (2026-10-01) → 4 (2026-10-30): unchanged``, or which result is missing."""
    name = label(finding.plan.measure, node.measure)
    asked = f"{name} {'not ' if node.negated else ''}{node.change}"
    if node.amount is not None:
        asked += f" by {node.op} {format_number(node.amount.value)} {node.amount.unit}".rstrip()
    asked += f" {window_text(node.window)}"
    evidence = finding.evidence if isinstance(finding.evidence, TrendEvidence) else None
    if finding.reason is Reason.UNRESOLVED or evidence is None:
        return f"{asked}: the measure has no direction of improvement, or the amount's unit cannot be converted"
    start = f"the window's first day ({evidence.start})" if evidence.start else "the window's first day"
    if finding.reason is Reason.MISSING:
        return f"cannot tell whether {asked}: no {name} on record, on or before {start} nor after it"
    if finding.reason is Reason.STALE and evidence.baseline is not None:
        return f"cannot tell whether {asked}: no {name} after {start}; the latest is {_result(evidence.baseline)}"
    if finding.reason is Reason.NO_BASELINE and evidence.latest is not None:
        latest = _result(evidence.latest)
        return f"cannot tell whether {asked}: no {name} on or before {start} to compare {latest} with"
    assert evidence.baseline is not None and evidence.latest is not None
    values = f"{name} {_result(evidence.baseline)} → {_result(evidence.latest)}"
    return f"{values}: {_change(node, finding, evidence)}"


_UNSETTLED = {
    Reason.NO_DOSE: "a record that may fall in the window has no usable dose",
    Reason.UNDATED: "a record may or may not fall in the window",
    Reason.OPEN_HISTORY: "no one record covers the window, and another may hold a change or fill a gap",
}


def stable_text(node: ast.StableDose, finding: Finding) -> str:
    """``prednisone at a stable dose for at least 4 weeks: PRED 20 mg/day (2026-09-01, ongoing)``, or why not."""
    drug = concept_name(finding, node.concept)
    what = f"{drug} at a stable dose for at least {duration_text(node.lasting)}"
    evidence = finding.evidence if isinstance(finding.evidence, DoseEvidence) else None
    seen = ", ".join(
        f"{_span(r)} {r.dose.written if r.dose else 'no dose'}" for r, _ in (evidence.doses if evidence else ())
    )
    if finding.truth is TRUE:
        return f"{what}: {seen}"
    if finding.reason is Reason.DECIDED:
        return f"{drug}: the dose changed within {duration_text(node.lasting)}: {seen}"
    if finding.reason is Reason.NEGATED:
        return f"{drug}: recorded as absent"
    if finding.reason is Reason.COMPLETE:
        taken = f": {seen}" if seen else ""
        return f"no {drug} throughout the last {duration_text(node.lasting)}{taken} (medications are marked complete)"
    if finding.reason is Reason.MISSING:
        return f"no {drug} on record (medications not marked complete)"
    return f"cannot tell whether {what}: {_UNSETTLED.get(finding.reason, finding.reason)}: {seen}"
