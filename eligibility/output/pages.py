"""The HTML outputs of the command line: one patient's page, a folder of pages with a population page, and a
population page from summary JSON Lines (``eligibility report``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from eligibility.errors import EligibilityError, Location
from eligibility.output.html import page_name, report_page
from eligibility.output.json_lines import json_line
from eligibility.output.population import Population
from eligibility.output.report import brief_json
from eligibility.output.write import ReportStyle, screened
from eligibility.patient.contract import Patient
from eligibility.screen.batch import ScreenSetup, screen_many
from eligibility.screen.screener import Screener
from eligibility.trials.load import load_trials

PAGES = "patients"  # the folder of per-patient pages, next to index.html


@dataclass(frozen=True)
class PageAndSummary:
    """Writes a patient's page and summary record together (one screening), as one JSON line; picklable, so
    worker processes can use it."""

    style: ReportStyle

    def write(self, screener: Screener, patient: Patient) -> str:
        """``{"summary": …, "page": …}`` for one patient."""
        report = screened(screener, patient, self.style)
        document = {"summary": brief_json(report), "page": report_page(screener, patient, report)}
        return json_line(document)


def write_html(
    setup: ScreenSetup,
    screener: Screener,
    items: Iterable[Patient | EligibilityError],
    style: ReportStyle,
    output: Path | None,
    many: bool,
    jobs: int = 1,
) -> int:
    """Screen the patients and write HTML: one page to ``output`` for one patient; for many, a page per patient
    in ``output/patients/`` and the population page ``output/index.html``. Returns how many could not be read."""
    if many and output is None:
        raise EligibilityError(
            "an HTML report of many patients is a folder of pages: give it with -o",
            hint="e.g. eligibility screen patients.jsonl --format html -o report/",
        )
    if not many:
        return _write_one(setup, screener, items, style, output)
    assert output is not None
    (output / PAGES).mkdir(parents=True, exist_ok=True)
    population = Population(screener.trials)
    failed = 0
    for status, text in screen_many(setup, items, PageAndSummary(style), jobs, screener):
        if status == "error":
            failed += 1
            sys.stderr.write(text + "\n")
            continue
        document = json.loads(text)
        link = f"{PAGES}/{page_name(document['summary']['patient'])}"
        (output / link).write_text(document["page"], encoding="utf-8")
        population.add(document["summary"], link)
    (output / "index.html").write_text(population.page(), encoding="utf-8")
    sys.stderr.write(
        f"screened {population.patients} patient(s); {failed} could not be read → {output / 'index.html'}\n"
    )
    return failed


def _write_one(
    setup: ScreenSetup,
    screener: Screener,
    items: Iterable[Patient | EligibilityError],
    style: ReportStyle,
    output: Path | None,
) -> int:
    failed = 0
    for status, text in screen_many(setup, items, style, 1, screener):
        if status == "error":
            failed += 1
            sys.stderr.write(text + "\n")
        elif output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
    return failed


def write_population(summary: Path, output: Path, rules: list[Path]) -> Population:
    """The population page ``output/index.html`` from summary JSON Lines (``screen --format summary``),
    linking each listed patient to ``output/patients/<id>.html`` where that page exists."""
    population = Population(load_trials(rules))
    pages = {p.name for p in (output / PAGES).glob("*.html")} if (output / PAGES).is_dir() else set()
    try:
        handle = summary.open(encoding="utf-8")
    except OSError as exc:
        raise EligibilityError(f"cannot open {summary}: {exc.strerror}", hint="check the path") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                record = _summary_record(line, summary, number)
                name = page_name(record["patient"])
                population.add(record, f"{PAGES}/{name}" if name in pages else None)
    output.mkdir(parents=True, exist_ok=True)
    (output / "index.html").write_text(population.page(), encoding="utf-8")
    return population


def _summary_record(line: str, path: Path, number: int) -> dict:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EligibilityError(
            f"not JSON: {exc.msg}", location=Location(str(path), number), hint=_SUMMARY_HINT
        ) from None
    if not isinstance(record, dict) or "patient" not in record or not _results_ok(record.get("results")):
        raise EligibilityError(
            "not a summary record (each needs patient and results with trial, verdict, blocking, missing)",
            location=Location(str(path), number),
            hint=_SUMMARY_HINT,
        )
    return record


def _results_ok(results: object) -> bool:
    keys = {"trial": str, "verdict": str, "blocking": list, "missing": list}
    return isinstance(results, list) and all(
        isinstance(r, dict) and all(isinstance(r.get(k), t) for k, t in keys.items()) for r in results
    )


_SUMMARY_HINT = "write the file with: eligibility screen PATIENTS --format summary > summary.jsonl"
