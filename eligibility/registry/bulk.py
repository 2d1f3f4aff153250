"""Bulk import: JSON Lines of criteria texts → one rule file per trial in a folder.

A line that is not a criteria record, and a trial whose file name is already taken by an earlier line (the
same id twice, or two ids that make the same file name), are reported with their line and not written; every
other trial is drafted. Nothing is overwritten silently.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from eligibility.errors import EligibilityError, Location
from eligibility.registry.drafting import draft_record
from eligibility.registry.importer import coverage_of, record_header, trial_data, trial_spec
from eligibility.registry.records import Record, read_records
from eligibility.trials.dump import dump_spec
from eligibility.vocab.vocabulary import Vocabulary


@dataclass
class BulkSummary:
    """What a bulk import wrote: trials, clauses by coverage, and the lines that could not be read."""

    trials: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"rule": 0, "partial": 0, "review": 0})
    errors: list = field(default_factory=list)

    def __str__(self) -> str:
        total = sum(self.counts.values())
        return (
            f"{self.trials} trial(s) drafted, {total} clauses — {self.counts['rule']} read fully, "
            f"{self.counts['partial']} partly, {self.counts['review']} left for review; "
            f"{len(self.errors)} record(s) could not be read"
        )


_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def output_folder(directory: Path) -> Path:
    """``directory``, created if needed; :class:`EligibilityError` if it is a file or cannot be made."""
    if directory.exists() and not directory.is_dir():
        raise EligibilityError(
            "the output of a JSON Lines import is a folder, and this is a file",
            location=Location(file=str(directory)),
            hint="give a folder (new or existing) with -o",
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EligibilityError(
            f"cannot make the folder: {exc.strerror}", location=Location(file=str(directory)), hint="check the path"
        ) from None
    return directory


def draft_many(source: Path, directory: Path, progress=None, vocabulary: Vocabulary | None = None) -> BulkSummary:
    """Draft one rule file per record of ``source`` (JSON Lines of criteria texts) into ``directory``."""
    output_folder(directory)
    summary = BulkSummary()
    written: dict[str, str] = {}  # file name (lower case: some file systems ignore case) → record
    for record in read_records(source):
        if progress is not None:
            progress()
        if not isinstance(record, Record):
            summary.errors.append(record)
            continue
        imported = draft_record(record, vocabulary)
        name = (_UNSAFE.sub("_", imported.id).strip("._") or "trial") + ".yaml"
        if name.lower() in written:
            summary.errors.append(
                EligibilityError(
                    f"trial {imported.id!r} would overwrite {name}, drafted from {written[name.lower()]}",
                    location=Location(file=record.source),
                    hint="give every trial its own id; this line was not written",
                )
            )
            continue
        written[name.lower()] = record.source
        header = record_header(record, f"# Drafted by `eligibility import {Path(source).name}` from {record.source}.\n")
        spec = trial_spec(trial_data(imported), str(source))
        write_file(directory / name, header + dump_spec(spec))
        summary.trials += 1
        for key, value in coverage_of(spec).items():
            summary.counts[key] += value
    return summary


def write_file(path: Path, text: str) -> None:
    """Write a drafted file; :class:`EligibilityError` (not a traceback) when it cannot be written."""
    part = path.with_name(path.name + ".part")  # written whole, then renamed: never a half-written rule file
    try:
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise EligibilityError(
            f"cannot write: {exc.strerror}", location=Location(file=str(path)), hint="check the folder"
        ) from None
