"""A progress bar on stderr for long runs (rich), shown only to a person at a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from eligibility.patient.contract import is_many, patient_files


@contextmanager
def progress_bar(
    label: str, total: int | None, console: Console | None = None, minimum: int = 50
) -> Iterator[Callable[[], None]]:
    """Yields ``advance()``; draws a bar when stderr is a terminal and the run has at least ``minimum`` steps."""
    console = console or Console(stderr=True)
    if not console.is_terminal or (total is not None and total < minimum):
        yield lambda: None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)


def count_lines(path: Path) -> int | None:
    """Non-empty lines of a JSON Lines file, or the number of .json files in a folder (None for one file)."""
    path = Path(path)
    if path.is_dir():
        files = patient_files(path)
        return sum(count_lines(p) or 1 for p in files)
    if not is_many(path) or not path.is_file() or path.suffix.lower() in (".duckdb", ".db"):
        return None
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())
