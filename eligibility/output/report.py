"""Screening reports as JSON (the documented contract) and as readable tables (rich)."""

from __future__ import annotations

from itertools import chain, groupby

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from eligibility.output import explain
from eligibility.screen.screener import ClauseResult, PatientReport, TrialResult, best_verdict

_VERDICT_STYLE = {"eligible": "bold green", "ineligible": "bold red", "undetermined": "bold yellow"}
_VERDICT_WIDTH = len("(best cohort)")  # the widest verdict cell line: wider than "undetermined"
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
    missing: list[tuple[str, ...]] = []
    outcomes = result.outcomes
    if "fail" in outcomes or "unknown" in outcomes:
        for clause, finding, outcome in result.entries():
            if outcome == "unknown":
                words = seen.get(id(finding))
                if words is None:
                    words = seen[id(finding)] = explain.missing_words(finding)
                missing.append(words)
            elif outcome == "fail":
                text = seen.get(id(finding))
                if text is None:
                    text = seen[id(finding)] = explain.explain(finding)
                blocking.append({"id": clause.id, "explanation": text})
    return {
        "trial": result.label,
        "verdict": result.verdict,
        "blocking": blocking,
        "missing": list(dict.fromkeys(chain.from_iterable(missing))),
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


NARROW = 100  # below this many columns the summary has two columns: trial and verdict, then the reasons


def summary_table(report: PatientReport, width: int = NARROW) -> Table:
    """One row per trial (per cohort for basket trials): verdict, blocking clauses, missing data, review.

    Verdicts never wrap (no ``ineligibl e``); ids and long texts fold inside their own column. Narrower than
    :data:`NARROW`, the verdict and review count go under the trial and the reasons share one wide column.
    """
    table = Table(title=f"Patient {report.patient} — screened as of {report.as_of}", show_lines=True, expand=True)
    narrow = width < NARROW
    ids = max((len(r.trial.id) for r in report.results), default=0)
    if narrow:
        table.add_column("Trial / verdict", width=max(_VERDICT_WIDTH, min(ids, 18)), overflow="fold")
        table.add_column("Blocking clauses / missing data", ratio=1, overflow="fold")
    else:
        table.add_column("Trial", ratio=2, width=min(ids, 20), overflow="fold")  # width: the least, with a ratio
        table.add_column("Verdict", no_wrap=True, min_width=_VERDICT_WIDTH)
        table.add_column("Blocking clauses", ratio=5, overflow="fold")
        table.add_column("Missing data", ratio=4, overflow="fold")
        table.add_column("Review", no_wrap=True, justify="right")
    for trial_id, group in groupby(report.results, key=lambda r: r.trial.id):
        results = list(group)
        if results[0].cohort is not None:
            best = best_verdict(results)
            verdict = Text(f"{best}\n(best cohort)", style=_VERDICT_STYLE[best])
            head = Text(trial_id, style="bold")
            table.add_row(*((head + "\n" + verdict, "") if narrow else (head, verdict, "", "", "")))
        for result in results:
            table.add_row(*(_narrow_row(result) if narrow else _wide_row(result)))
    return table


def _trial_name(result: TrialResult) -> str:
    return result.label if result.cohort is None else f"└ {result.cohort}: {result.trial.cohorts[result.cohort]}"


def _wide_row(result: TrialResult) -> tuple:
    verdict = Text(result.verdict, style=_VERDICT_STYLE[result.verdict])
    return (
        _trial_name(result),
        verdict,
        _summary_cell(result.failing),
        _missing_cell(result),
        str(len(result.needs_review)),
    )


def _narrow_row(result: TrialResult) -> tuple:
    left = Text(_trial_name(result) + "\n")
    left.append(result.verdict, style=_VERDICT_STYLE[result.verdict])
    if result.needs_review:
        left.append(f"\n{len(result.needs_review)} to review")
    right = _summary_cell(result.failing)
    missing = _missing_cell(result)
    if missing:
        right.append("\n" if right else "")
        right.append("missing: ", style="bold")
        right.append_text(missing)
    return left, right


def detail_table(result: TrialResult) -> Table:
    """Every clause of one trial result with its outcome and explanation."""
    table = Table(title=f"{result.label} — {result.trial.title or ''}".rstrip(" —"), expand=True)
    table.add_column("Clause", ratio=1, overflow="fold")
    table.add_column("Outcome", no_wrap=True, min_width=len("unknown"))
    table.add_column("Text", ratio=5, overflow="fold")
    table.add_column("Explanation", ratio=5, overflow="fold")
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
    console.print(summary_table(report, console.width))
    if detail:
        console.print(Group(*(detail_table(r) for r in report.results)))
