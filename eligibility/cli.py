"""The ``eligibility`` command line: screen, lint, parse, import, synth."""

from __future__ import annotations

import functools
import gc
import json
import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from eligibility.errors import EligibilityError, ErrorGroup
from eligibility.patient.contract import is_many, read_patients
from eligibility.progress import count_lines, progress_bar
from eligibility.resources import bundled_rules_dir
from eligibility.stopping import stoppable
from eligibility.trials.load import check_files
from eligibility.vocab.vocabulary import default_vocabulary, load_vocabulary

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Clinical-trial eligibility: screen patients, lint rule files, parse criteria text.",
)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class ScreenFormat(StrEnum):
    table = "table"
    json = "json"
    summary = "summary"


class VerdictName(StrEnum):
    eligible = "eligible"
    undetermined = "undetermined"
    ineligible = "ineligible"


class ParseFormat(StrEnum):
    text = "text"
    json = "json"
    atoms = "atoms"


class Kind(StrEnum):
    inclusion = "inclusion"
    exclusion = "exclusion"


def user_errors(command: Callable) -> Callable:
    """Print :class:`EligibilityError` as a plain message on stderr and exit 1 — never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except EligibilityError as error:
            err.print(str(error), markup=False)
            raise typer.Exit(1) from None

    return wrapper


def _as_of(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date; write YYYY-MM-DD", param_hint="--as-of") from None


def _vocabulary(paths: list[Path]):
    return load_vocabulary(paths) if paths else default_vocabulary()


@app.command()
@user_errors
def screen(
    patients: Path = typer.Argument(
        ..., help="A patient .json file, a .jsonl/.ndjson file (one patient per line), a folder of them, or - (stdin)."
    ),
    rules: list[Path] = typer.Option(
        None, "--rules", help="Rule file or folder (repeatable); default: the bundled rules."
    ),
    trial: list[str] = typer.Option(None, "--trial", help="Screen only this trial id (repeatable)."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Reference date YYYY-MM-DD; default: the patient's as_of, else today."
    ),
    output: ScreenFormat = typer.Option(
        ScreenFormat.table,
        "--format",
        help="table, json (every clause explained) or summary (verdicts; explanations of blocking clauses).",
    ),
    only: list[VerdictName] = typer.Option(None, "--only", help="Report only trials with this verdict (repeatable)."),
    detail: bool = typer.Option(False, "--detail", help="Table: also show every clause."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes for many patients."),
    lab_recency: str | None = typer.Option(
        None, "--lab-recency", help="How recent a lab must be, e.g. '30 days' (trials may set their own)."
    ),
    reference_table: Path | None = typer.Option(
        None, "--reference-table", help="Site reference ranges (YAML) for x ULN / x LLN."
    ),
    vocabulary: list[Path] = typer.Option(None, "--vocabulary", help="Extra vocabulary YAML (repeatable)."),
) -> None:
    """Screen patients against trials: every clause pass / fail / unknown / review, with reasons."""
    from eligibility.output.write import ReportStyle
    from eligibility.screen.batch import ScreenSetup, screen_many

    setup = ScreenSetup(tuple(rules or [bundled_rules_dir()]), tuple(vocabulary or ()), reference_table, lab_recency)
    screener = setup.build()
    _check_trial_ids(trial or [], screener.trials)
    gc.freeze()  # the compiled trials live as long as the process: keep the garbage collector off them
    many = is_many(patients)
    out = Console(highlight=False, soft_wrap=False)
    style = ReportStyle(
        output.value,
        detail,
        _as_of(as_of),
        date.today(),
        tuple(trial or ()),
        tuple(v.value for v in only or ()),
        pretty=not many,
        width=out.width,
        color_system=out.color_system,
    )
    screened = failed = 0
    show_progress = many and not out.is_terminal
    with stoppable() as stopping, progress_bar("screening", count_lines(patients) if show_progress else 0) as advance:
        # held in a variable: on a signal the workers are killed before the pool could be shut down (which can
        # wait forever for a killed worker), not when the loop is left
        results = screen_many(setup, read_patients(patients), style, jobs, screener)
        for status, text in results:
            advance()
            if status == "error":
                failed += 1
                err.print(text, markup=False)
                continue
            screened += 1
            stopping.write(text)
    if many or failed:
        err.print(f"screened {screened} patient(s); {failed} could not be read", markup=False)
    if failed:
        raise typer.Exit(1)


def _check_trial_ids(wanted: list[str], trials) -> None:
    known = {t.id for t in trials}
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise EligibilityError(
            f"unknown trial id(s): {', '.join(unknown)}", hint=f"known trials: {', '.join(sorted(known))}"
        )


@app.command()
@user_errors
def lint(
    paths: list[Path] = typer.Argument(None, help="Rule files or folders; default: the bundled rules."),
    vocabulary: list[Path] = typer.Option(None, "--vocabulary", help="Extra vocabulary YAML (repeatable)."),
) -> None:
    """Check rule files and report every problem at once (file, line, criterion); exit 1 on any."""
    trials, errors = check_files(paths or [bundled_rules_dir()], _vocabulary(vocabulary or []))
    if errors:
        raise ErrorGroup(errors, f"{len(errors)} problem(s) found")
    clauses = sum(len(t.clauses) for t in trials)
    review = sum(c.needs_review for t in trials for c in t.clauses)
    typer.echo(
        f"ok: {len(trials)} trial(s), {clauses} clause(s), {clauses - review} with rules, {review} needing review"
    )


@app.command()
@user_errors
def parse(
    text: str | None = typer.Argument(None, help="Criterion text to read (or use --batch)."),
    batch: str | None = typer.Option(None, "--batch", help='JSON Lines of {"id", "text"}; "-" reads stdin.'),
    output: ParseFormat = typer.Option(
        ParseFormat.text, "--format", help="text (canonical rule), json (AST) or atoms."
    ),
    kind: Kind = typer.Option(
        Kind.inclusion, "--kind", help="How the parts of the text join: inclusion (and) or exclusion (or)."
    ),
) -> None:
    """Read free-text criteria into rules (canonical text, AST as JSON, or flat atoms)."""
    from eligibility.text.output import describe, run_batch

    if batch is not None:
        with stoppable() as stopping:
            done, failed = run_batch(batch, output.value, kind.value, out=stopping)  # type: ignore[arg-type]
        if failed:
            err.print(f"parsed {done} item(s); {failed} line(s) could not be read", markup=False)
            raise typer.Exit(1)
        return
    if text is None:
        raise EligibilityError(
            "give a criterion text or --batch FILE", hint='e.g. eligibility parse "ALC <= 0.5 x 10^9/L"'
        )
    result = describe(text, output.value, kind.value)
    sys.stdout.write((result if isinstance(result, str) else json.dumps(result, ensure_ascii=False, indent=2)) + "\n")


@app.command("import")
@user_errors
def import_(
    record: Path = typer.Argument(
        ..., help="A ChiCTR or ClinicalTrials.gov page saved as text, API v2 JSON, or JSON Lines of criteria texts."
    ),
    overrides: Path | None = typer.Option(
        None,
        "--overrides",
        help="Hand corrections to apply (default: the file in rules/overrides/ that names this record).",
    ),
    no_overrides: bool = typer.Option(False, "--no-overrides", help="Print the draft as the grammar reads it."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the YAML here instead of stdout."),
) -> None:
    """Draft a rule file from a registry record and report how much of it the grammar read.

    A JSON Lines file of criteria texts ({"nct", "criteria"} per line) drafts one rule file per trial into the
    folder given with -o.
    """
    from eligibility.registry.bulk import draft_many, write_file
    from eligibility.registry.importer import draft_trial

    if record.suffix.lower() in (".jsonl", ".ndjson"):
        if output is None:
            raise EligibilityError(
                "a JSON Lines import writes one file per trial: give a folder with -o",
                hint=f"e.g. eligibility import {record.name} -o trials/",
            )
        with stoppable(what=None), progress_bar("importing", count_lines(record)) as advance:
            summary = draft_many(record, output, advance)
        for error in summary.errors:
            err.print(str(error), markup=False)
        err.print(f"{summary} → {output}", markup=False)
        if summary.errors:
            raise typer.Exit(1)
        return

    text, summary = draft_trial(record, None if no_overrides else overrides, use_bundled=not no_overrides)
    if output is None:
        sys.stdout.write(text)
    else:
        write_file(output, text)
    err.print(summary, markup=False)


@app.command()
@user_errors
def synth(
    count: int = typer.Argument(..., min=1, help="How many patients to make."),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same patients."),
    as_of: str = typer.Option("2026-11-01", "--as-of", help="Reference date of the patients (YYYY-MM-DD)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write JSON Lines here instead of stdout."),
) -> None:
    """Make synthetic patients (JSON Lines) with plausible labs, units, records and dates, for trying and
    benchmarking screening."""
    from eligibility.patient.synth import write_patients

    on = _as_of(as_of)
    if output is None:
        with stoppable() as stopping:
            write_patients(stopping, count, seed, on)  # type: ignore[arg-type]
        return
    try:
        handle = output.open("w", encoding="utf-8")
    except OSError as exc:
        raise EligibilityError(f"cannot write {output}: {exc.strerror}", hint="check the path") from None
    with handle:
        write_patients(handle, count, seed, on)
    err.print(f"{count} synthetic patient(s) → {output}", markup=False)


def main() -> None:
    """Console-script entry point."""
    app()
