"""Screening many patients: trials compiled once, patients streamed, reports written as they are made,
optionally spread over several worker processes (results in input order, identical to one process).
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from eligibility.errors import EligibilityError
from eligibility.patient.contract import Patient
from eligibility.screen.screener import Screener
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
            try:
                screener.lab_recency = parse_duration(self.lab_recency)
            except EligibilityError as error:
                raise error.at(where="--lab-recency") from None
        return screener


class PatientWriter(Protocol):
    """How each patient's report is written (picklable, so worker processes can use it):
    :class:`eligibility.output.write.ReportStyle` is the one the command line uses."""

    def render(self, screener: Screener, patient: Patient) -> str:
        """One patient screened and written (text ending with a newline)."""
        ...


# --- many patients ------------------------------------------------------------------------------------------

_WORKER: tuple[Screener, PatientWriter] | None = None


def _start_worker(setup: ScreenSetup, style: PatientWriter, inherited: bool) -> None:
    global _WORKER
    if not inherited or _WORKER is None:
        _WORKER = (setup.build(), style)
        gc.freeze()


def _screen_item(screener: Screener, style: PatientWriter, item: tuple[str, object]) -> tuple[str, str]:
    kind, payload = item
    if kind == "error":
        return item  # type: ignore[return-value]
    try:
        return "ok", style.render(screener, payload)  # type: ignore[arg-type]
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
    style: PatientWriter,
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
