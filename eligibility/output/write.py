"""Writing one patient's report in the command line's formats: a table, JSON (everything), a summary or HTML."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Literal

from rich.console import Console

from eligibility.output.json_lines import json_line
from eligibility.output.report import brief_json, print_report, report_json
from eligibility.patient.contract import Patient
from eligibility.screen.screener import PatientReport, Screener


@dataclass(frozen=True)
class ReportStyle:
    """How each patient's report is written: ``table``, ``json`` (everything), ``summary`` (verdicts) or
    ``html`` (a self-contained page)."""

    format: str = "json"
    detail: bool = False
    as_of: date | None = None
    fallback: date | None = None
    trial_ids: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    pretty: bool = False
    width: int = 100
    color_system: Literal["auto", "standard", "256", "truecolor", "windows"] | None = None

    def write(self, screener: Screener, patient: Patient) -> str:
        """One patient screened and written in this style (see :func:`screen_and_write`)."""
        return screen_and_write(screener, patient, self)


def screened(screener: Screener, patient: Patient, style: ReportStyle) -> PatientReport:
    """One patient screened on the style's reference date, keeping the trials and verdicts it asks for."""
    report = screener.screen(patient, style.as_of, style.fallback, trial_ids=style.trial_ids or None)
    if not style.only:
        return report
    kept = tuple(r for r in report.results if r.verdict in style.only)
    return PatientReport(report.patient, report.as_of, kept, report.warnings)


def screen_and_write(screener: Screener, patient: Patient, style: ReportStyle) -> str:
    """One patient screened and written in ``style`` (text ending with a newline)."""
    report = screened(screener, patient, style)
    if style.format == "html":
        from eligibility.output.html import report_page

        return report_page(screener, patient, report)
    if style.format == "table":
        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=style.width,
            color_system=style.color_system,
            highlight=False,
            force_terminal=style.color_system is not None,
        )
        print_report(report, console, style.detail)
        return buffer.getvalue()
    document = report_json(report) if style.format == "json" else brief_json(report)
    return json_line(document, style.pretty)
