"""Screening many patients: trials compiled once, patients streamed, reports rendered as they are made,
optionally spread over several worker processes (results in input order, identical to one process).
"""

from __future__ import annotations

import gc
import io
import json
import multiprocessing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console

from eligibility.errors import EligibilityError
from eligibility.output.report import brief_json, print_report, report_json
from eligibility.patient.contract import Patient
from eligibility.screen.screener import PatientReport, Screener
from eligibility.trials.load import load_reference_table, load_trials, parse_duration
from eligibility.vocab.vocabulary import default_vocabulary, load_vocabulary


@dataclass(frozen=True)
class ScreenSetup:
    """What a screener is built from; plain data, so a worker process can build its own."""

    rules: tuple[Path, ...]
    vocabulary: tuple[Path, ...] = ()
    reference_table: Path | None = None
    lab_recency: str | None = None

    def build(self) -> Screener:
        """Load the vocabulary and trials and compile them (raises :class:`EligibilityError` on bad files)."""
        vocabulary = load_vocabulary(list(self.vocabulary)) if self.vocabulary else default_vocabulary()
        trials = load_trials(list(self.rules), vocabulary)
        ranges = load_reference_table(self.reference_table, vocabulary) if self.reference_table else {}
        screener = Screener(trials, vocabulary, site_ranges=ranges)
        if self.lab_recency:
            screener.lab_recency = parse_duration(self.lab_recency)
        return screener


@dataclass(frozen=True)
class ReportStyle:
    """How each patient's report is written: ``table``, ``json`` (everything) or ``summary`` (verdicts)."""

    format: str = "json"
    detail: bool = False
    as_of: date | None = None
    fallback: date | None = None
    trial_ids: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    pretty: bool = False
    width: int = 100
    color_system: str | None = None


def render(screener: Screener, patient: Patient, style: ReportStyle) -> str:
    """One patient screened and written in ``style`` (text ending with a newline)."""
    report = screener.screen(patient, style.as_of, style.fallback, trial_ids=style.trial_ids or None)
    if style.only:
        report = PatientReport(
            report.patient, report.as_of, tuple(r for r in report.results if r.verdict in style.only), report.warnings
        )
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
    return json.dumps(document, ensure_ascii=False, indent=2 if style.pretty else None) + "\n"


# --- many patients ------------------------------------------------------------------------------------------

_WORKER: tuple[Screener, ReportStyle] | None = None


def _start_worker(setup: ScreenSetup, style: ReportStyle, inherited: bool) -> None:
    global _WORKER
    if not inherited or _WORKER is None:
        _WORKER = (setup.build(), style)
        gc.freeze()


def _screen_item(screener: Screener, style: ReportStyle, item: tuple[str, object]) -> tuple[str, str]:
    kind, payload = item
    if kind == "error":
        return item  # type: ignore[return-value]
    try:
        return "ok", render(screener, payload, style)  # type: ignore[arg-type]
    except EligibilityError as error:
        return "error", str(error)


def _work(item: tuple[str, object]) -> tuple[str, str]:
    return _screen_item(*_WORKER, item)  # type: ignore[misc]


def _tagged(items: Iterable[Patient | EligibilityError]) -> Iterator[tuple[str, object]]:
    for item in items:
        yield ("error", str(item)) if isinstance(item, EligibilityError) else ("patient", item)


def screen_many(
    setup: ScreenSetup,
    items: Iterable[Patient | EligibilityError],
    style: ReportStyle,
    jobs: int = 1,
    screener: Screener | None = None,
) -> Iterator[tuple[str, str]]:
    """``("ok", text)`` or ``("error", message)`` per input item, in input order.

    With ``jobs > 1`` the patients are screened by that many processes (forked where the platform allows, so
    they share the compiled trials; otherwise each builds its own from ``setup``).
    """
    global _WORKER
    if jobs <= 1:
        screener = screener or setup.build()
        yield from (_screen_item(screener, style, item) for item in _tagged(items))
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    inherited = context.get_start_method() == "fork" and screener is not None
    _WORKER = (screener, style) if inherited else None  # what forked workers start with
    with context.Pool(jobs, initializer=_start_worker, initargs=(setup, style, inherited)) as pool:
        yield from pool.imap(_work, _tagged(items), chunksize=4)
