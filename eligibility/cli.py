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
    html = "html"


class VerdictName(StrEnum):
    eligible = "eligible"
    undetermined = "undetermined"
    ineligible = "ineligible"


class ParseFormat(StrEnum):
    text = "text"
    json = "json"
    atoms = "atoms"


class Engine(StrEnum):
    python = "python"
    duckdb = "duckdb"
    spark = "spark"


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
        None,
        help="Patient .json/.jsonl/.ndjson, a FHIR Bundle/NDJSON/Bulk Data export, an OMOP CDM folder or DuckDB "
        "file, a folder of them, or - (stdin).",
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
        help="table, json (every clause explained), summary (verdicts; explanations of blocking clauses) or html"
        " (a page per patient, and for many patients a population page: give -o DIR).",
    ),
    output_path: Path | None = typer.Option(
        None, "--output", "-o", help="html: the page to write (one patient) or the folder (many patients)."
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
    engine: Engine = typer.Option(Engine.python, "--engine", help="python (in process), duckdb or spark (summary)."),
    db: Path | None = typer.Option(None, "--db", help="A record store made by `eligibility load` (duckdb/spark)."),
    spark_master: str | None = typer.Option(None, "--spark-master", help="Spark master URL; default local mode."),
) -> None:
    """Screen patients against trials: every clause pass / fail / unknown / review, with reasons."""
    from eligibility.output.write import ReportStyle
    from eligibility.screen.batch import ScreenSetup, screen_many

    setup = ScreenSetup(tuple(rules or [bundled_rules_dir()]), tuple(vocabulary or ()), reference_table, lab_recency)
    screener = setup.build()
    _check_trial_ids(trial or [], screener.trials)
    if engine != Engine.python:
        _screen_on_engine(engine.value, patients, db, screener, output, as_of, trial, only, spark_master)
        return
    gc.freeze()  # the compiled trials live as long as the process: keep the garbage collector off them
    if patients is None:
        raise EligibilityError("no patients given", hint="give PATIENTS (or --db FILE with --engine duckdb)")
    many = is_many(patients)
    if output_path is not None and output is not ScreenFormat.html:
        raise EligibilityError("-o is for --format html", hint="the other formats go to standard output: use > FILE")
    if output is ScreenFormat.html and (many or output_path is not None):
        from eligibility.output.pages import write_html

        only_verdicts = tuple(v.value for v in only or ())
        style = ReportStyle("html", False, _as_of(as_of), date.today(), tuple(trial or ()), only_verdicts)
        failed = write_html(setup, screener, read_patients(patients), style, output_path, many, jobs)
        raise typer.Exit(1 if failed else 0)
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
        color_system=out.color_system,  # type: ignore[arg-type]  # rich's own value, typed as str
    )
    screened = failed = 0
    show_progress = many and not out.is_terminal
    with stoppable() as stopping, progress_bar("screening", count_lines(patients) if show_progress else 0) as advance:
        # held in a variable: on a signal the workers are killed before the pool could be shut down (which can
        # wait forever for a killed worker), not when the loop is left
        results = screen_many(setup, read_patients(patients, screener.vocabulary), style, jobs, screener)
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


@app.command()
@user_errors
def report(
    summary: Path = typer.Argument(..., help="Summary JSON Lines (eligibility screen PATIENTS --format summary)."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for index.html (patients/ pages are linked)."),
    rules: list[Path] = typer.Option(None, "--rules", help="The rules screened (clause order); default: bundled."),
) -> None:
    """Population page: patients by verdict per trial, attrition by clause, most frequent missing data."""
    from eligibility.output.pages import write_population

    population = write_population(summary, output, rules or [bundled_rules_dir()])
    err.print(f"{population.patients} patient(s) → {output / 'index.html'}", markup=False)


def _screen_on_engine(engine, patients, db, screener, output, as_of, trial, only, spark_master) -> None:
    from eligibility.cohort.commands import screen_with_engine
    from eligibility.cohort.run import RunStyle

    if output != ScreenFormat.summary:
        raise EligibilityError(f"--engine {engine} writes the summary format", hint="add --format summary")
    single = db is None and patients is not None and patients.suffix == ".json"
    style = RunStyle(_as_of(as_of), date.today(), tuple(trial or ()), tuple(v.value for v in only or ()), single)
    screened, failed = screen_with_engine(engine, patients, db, screener, style, _report, spark_master)
    err.print(f"screened {screened} patient(s); {failed} could not be read", markup=False)
    if failed:
        raise typer.Exit(1)


def _report(text: str) -> None:
    err.print(text, markup=False)


@app.command("load")
@user_errors
def load(
    patients: list[Path] = typer.Argument(..., help="Patient .json/.jsonl files or folders, FHIR, or OMOP CDM."),
    into: Path = typer.Option(..., "--into", help="A DuckDB file (.duckdb/.db) or a folder for Parquet files."),
    vocabulary: list[Path] = typer.Option(None, "--vocabulary", help="Extra vocabulary YAML (repeatable)."),
) -> None:
    """Load patients into a columnar record store for `screen --engine duckdb|spark --db`."""
    from eligibility.cohort.commands import load_patients

    loaded, failed = load_patients(patients, _vocabulary(vocabulary or []), _report, into=into)
    err.print(f"loaded {loaded} patient(s) into {into}; {failed} could not be read", markup=False)
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
    vocabulary: list[Path] = typer.Option(None, "--vocabulary", help="Extra vocabulary YAML (repeatable)."),
) -> None:
    """Read free-text criteria into rules (canonical text, AST as JSON, or flat atoms)."""
    from eligibility.text.output import describe, run_batch

    if batch is not None:
        with stoppable() as stopping:
            done, failed = run_batch(
                batch,
                output.value,
                kind.value,
                out=stopping,  # type: ignore[arg-type]  # writes whole lines, as a text file does
                vocabulary=_vocabulary(vocabulary or []),
            )
        if failed:
            err.print(f"parsed {done} item(s); {failed} line(s) could not be read", markup=False)
            raise typer.Exit(1)
        return
    if text is None:
        raise EligibilityError(
            "give a criterion text or --batch FILE", hint='e.g. eligibility parse "ALC <= 0.5 x 10^9/L"'
        )
    result = describe(text, output.value, kind.value, _vocabulary(vocabulary or []))
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
    vocabulary: list[Path] = typer.Option(None, "--vocabulary", help="Extra vocabulary YAML (repeatable)."),
) -> None:
    """Draft a rule file from a registry record and report how much of it the grammar read.

    A JSON Lines file of criteria texts ({"nct", "criteria"} per line) drafts one rule file per trial into the
    folder given with -o.
    """
    from eligibility.registry.bulk import draft_many, write_file
    from eligibility.registry.ctgov import is_study_list
    from eligibility.registry.importer import draft_trial

    words = _vocabulary(vocabulary or [])
    if is_study_list(record):
        if output is None:
            raise EligibilityError(
                "a JSON Lines or search-result import writes one file per trial: give a folder with -o",
                hint=f"e.g. eligibility import {record.name} -o trials/",
            )
        with stoppable(what=None), progress_bar("importing", count_lines(record)) as advance:
            bulk = draft_many(record, output, advance, words)
        for error in bulk.errors:
            err.print(str(error), markup=False)
        err.print(f"{bulk} → {output}", markup=False)
        if bulk.errors:
            raise typer.Exit(1)
        return

    text, summary = draft_trial(record, None if no_overrides else overrides, not no_overrides, words)
    if output is None:
        sys.stdout.write(text)
    else:
        write_file(output, text)
    err.print(summary, markup=False)


@app.command()
@user_errors
def convert(
    sources: list[Path] = typer.Argument(..., help="FHIR Bundle .json, NDJSON of Bundles, folder, Bulk Data export."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write JSON Lines here instead of stdout."),
    vocabulary: list[Path] = typer.Option(None, "--vocabulary", help="Extra vocabulary YAML (repeatable)."),
) -> None:
    """Convert FHIR R4 records to the patient JSON the engine screens (to audit the mapping)."""
    from eligibility.patient.fhir_convert import convert as run
    from eligibility.patient.fhir_convert import stats_text

    with output.open("w", encoding="utf-8") if output else _stdout() as handle:
        stats = run(sources, handle, _vocabulary(vocabulary or []), sys.stderr)
    err.print(stats_text(stats), markup=False)


def _stdout():
    import contextlib

    return contextlib.nullcontext(sys.stdout)


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
    assert on is not None  # the option has a default
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
