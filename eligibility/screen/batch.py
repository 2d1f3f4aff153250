"""Screening many patients: trials compiled once, patients streamed, reports written as they are made,
optionally spread over several worker processes (results in input order, identical to one process).
"""

from __future__ import annotations

import ctypes
import gc
import itertools
import multiprocessing
import os
import signal
import sys
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

    def write(self, screener: Screener, patient: Patient) -> str:
        """One patient screened and written (text ending with a newline)."""
        ...


# --- many patients ------------------------------------------------------------------------------------------

_WORKER: tuple[Screener, PatientWriter] | None = None
_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def _die_with_parent(parent: int) -> None:
    """A worker never outlives the process that screens: Linux kills it when its parent ends (even by SIGKILL)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent's clean-up kills its workers
        pass
    if os.getppid() != parent:  # the parent ended before the line above
        os._exit(0)


def _start_worker(setup: ScreenSetup, style: PatientWriter, inherited: bool, parent: int) -> None:
    global _WORKER
    # Ctrl-C goes to the whole process group: stopping is the parent's job. SIGTERM (how a worker is stopped)
    # ends a worker at once and quietly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    # A forked worker holds a copy of the parent's unwritten output: it must never reach the output.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if not inherited or _WORKER is None:
        _WORKER = (setup.build(), style)
        gc.freeze()


def _screen_item(screener: Screener, style: PatientWriter, item: tuple[str, object]) -> tuple[str, str]:
    kind, payload = item
    if kind == "error":
        return item  # type: ignore[return-value]
    try:
        return "ok", style.write(screener, payload)  # type: ignore[arg-type]
    except EligibilityError as error:
        return "error", str(error)


def _work(item: tuple[str, object]) -> tuple[str, str]:
    assert _WORKER is not None, "worker process started without a screener"
    screener, style = _WORKER
    return _screen_item(screener, style, item)


def _chunks(items: Iterable[tuple[str, object]], size: int) -> Iterator[tuple[tuple[str, object], ...]]:
    iterator = iter(items)
    while chunk := tuple(itertools.islice(iterator, size)):
        yield chunk


def _work_chunk(items: tuple[tuple[str, object], ...]) -> list[tuple[str, str]]:
    return [_work(item) for item in items]


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
    _WORKER = (screener, style) if inherited and screener is not None else None  # what forked workers start with
    pool = context.Pool(jobs, initializer=_start_worker, initargs=(setup, style, inherited, os.getpid()))
    try:
        yield from _in_order(pool, items)
    except (GeneratorExit, Exception):
        pool.terminate()
        raise
    except BaseException:  # a signal (Ctrl-C, SIGTERM): the pool's own shutdown can wait forever for a worker
        for worker in pool._pool:  # type: ignore[attr-defined]  # killed while it held the task queue's lock
            worker.kill()
        raise
    pool.terminate()


def _in_order(pool, items: Iterable[Patient | EligibilityError]) -> Iterator[tuple[str, str]]:
    results = pool.imap(_work_chunk, _chunks(_tagged(items), 4))
    while True:  # wake up now and then: a signal is handled only when the main thread runs
        try:
            yield from results.next(timeout=0.2)
        except multiprocessing.TimeoutError:
            continue
        except StopIteration:
            return
