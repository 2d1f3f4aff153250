"""Screening reports as JSON (the documented contract) and as readable tables (rich)."""

from __future__ import annotations

from itertools import groupby

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from eligibility.output import explain
from eligibility.screen.screener import ClauseResult, PatientReport, TrialResult, best_verdict

_VERDICT_STYLE = {"eligible": "bold green", "ineligible": "bold red", "undetermined": "bold yellow"}
_OUTCOME_STYLE = {"pass": "green", "fail": "red", "unknown": "yellow", "review": "cyan"}


def clause_json(result: ClauseResult) -> dict:
    """One clause as in the JSON contract."""
    return {
        "id": result.clause.id,
        "kind": result.clause.kind,
        "text": result.clause.text,
        "met": result.met,
        "outcome": result.outcome,
        "explanation": explain.explain(result.finding),
        "missing": explain.missing(result.finding) if result.outcome == "unknown" else [],
    }


def trial_json(result: TrialResult) -> dict:
    """One trial (or cohort) result as in the JSON contract."""
    return {
        "trial": result.label,
        "verdict": result.verdict,
        "needs_review": result.needs_review,
        "clauses": [clause_json(c) for c in result.clauses],
    }


def report_json(report: PatientReport) -> dict:
    """A patient's report as in the JSON contract."""
    return {
        "patient": report.patient,
        "as_of": report.as_of.isoformat(),
        "warnings": list(report.warnings),
        "results": [trial_json(r) for r in report.results],
    }


def brief_trial_json(result: TrialResult, seen: dict | None = None) -> dict:
    """One trial result in brief: verdict, blocking clauses with their explanation, missing data, review ids.

    ``seen`` (kept for one report) remembers the wording of findings shared by several trials (a finding is
    either failing, worded as an explanation, or unknown, worded as what is missing: never both).
    """
    seen = {} if seen is None else seen
    blocking: list[dict] = []
    missing: dict[str, None] = {}
    if "fail" in result.outcomes or "unknown" in result.outcomes:
        for clause, finding, outcome in result.entries():
            known = seen.get(id(finding))
            if outcome == "fail":
                if known is None:
                    known = seen[id(finding)] = explain.explain(finding)
                blocking.append({"id": clause.id, "explanation": known})
            elif outcome == "unknown":
                if known is None:
                    known = seen[id(finding)] = explain.missing(finding)
                for name in known:
                    missing[name] = None
    return {
        "trial": result.label,
        "verdict": result.verdict,
        "blocking": blocking,
        "missing": list(missing),
        "needs_review": result.needs_review,
    }


def brief_json(report: PatientReport) -> dict:
    """A patient's report in brief (the ``summary`` format): explanations only for blocking clauses."""
    seen: dict = {}
    return {
        "patient": report.patient,
        "as_of": report.as_of.isoformat(),
        "warnings": list(report.warnings),
        "results": [brief_trial_json(r, seen) for r in report.results],
    }


def _summary_cell(results: list[ClauseResult], limit: int = 3) -> Text:
    text = Text()
    for item in results[:limit]:
        if text:
            text.append("\n")
        text.append(f"{item.clause.id}: ", style="bold")
        text.append(explain.explain(item.finding))
    if len(results) > limit:
        text.append(f"\n… and {len(results) - limit} more")
    return text


def _missing_cell(result: TrialResult) -> Text:
    names = list(dict.fromkeys(m for c in result.unknown for m in explain.missing(c.finding)))
    return Text(", ".join(names[:6]) + (f" … (+{len(names) - 6})" if len(names) > 6 else ""))


def summary_table(report: PatientReport) -> Table:
    """One row per trial (per cohort for basket trials): verdict, blocking clauses, missing data, review."""
    table = Table(title=f"Patient {report.patient} — screened as of {report.as_of}", show_lines=True, expand=True)
    for name, ratio in (
        ("Trial", 2),
        ("Verdict", 2),
        ("Blocking clauses", 5),
        ("Missing data", 4),
        ("Needs review", 1),
    ):
        table.add_column(name, ratio=ratio, overflow="fold")
    for trial_id, group in groupby(report.results, key=lambda r: r.trial.id):
        results = list(group)
        if results[0].cohort is not None:
            best = best_verdict(results)
            table.add_row(
                Text(trial_id, style="bold"), Text(f"{best} (best cohort)", style=_VERDICT_STYLE[best]), "", "", ""
            )
        for result in results:
            name = (
                result.label if result.cohort is None else f"  └ {result.cohort}: {result.trial.cohorts[result.cohort]}"
            )
            table.add_row(
                name,
                Text(result.verdict, style=_VERDICT_STYLE[result.verdict]),
                _summary_cell(result.failing),
                _missing_cell(result),
                str(len(result.needs_review)),
            )
    return table


def detail_table(result: TrialResult) -> Table:
    """Every clause of one trial result with its outcome and explanation."""
    table = Table(title=f"{result.label} — {result.trial.title or ''}".rstrip(" —"), expand=True)
    for name, ratio in (("Clause", 1), ("Outcome", 1), ("Text", 5), ("Explanation", 5)):
        table.add_column(name, ratio=ratio, overflow="fold")
    for item in result.clauses:
        table.add_row(
            f"{item.clause.id} ({item.clause.kind[:3]})",
            Text(item.outcome, style=_OUTCOME_STYLE[item.outcome]),
            item.clause.text,
            explain.explain(item.finding),
        )
    return table


def print_report(report: PatientReport, console: Console, detail: bool = False) -> None:
    """A patient's report as tables, with warnings about the patient data first."""
    for warning in report.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))
    console.print(summary_table(report))
    if detail:
        console.print(Group(*(detail_table(r) for r in report.results)))
