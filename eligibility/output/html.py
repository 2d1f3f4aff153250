"""One patient's screening report as a self-contained HTML page (jinja2, autoescaped; CSS and charts inline).

The page holds the verdict counts (cohorts of a basket trial counted under their trial, by their best
verdict), per trial the blocking clauses with their explanation, the unknown clauses with the data that would
decide them, the clauses needing review with the registry text and its other-language text beside it, the
ranked "what to order next" list, and a chart per measure a rule compares. Registry text and patient data are
untrusted: every value goes through jinja2's autoescaping; only the SVG that matplotlib writes is inserted as
markup.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from hashlib import sha1
from itertools import groupby
from pathlib import Path

import jinja2
from markupsafe import Markup

from eligibility.engine.context import DEFAULT_LAB_RECENCY
from eligibility.lang import ast
from eligibility.output import explain
from eligibility.output.charts import chart_svg, measure_series
from eligibility.output.next_steps import NextStep, next_steps
from eligibility.patient.contract import Patient
from eligibility.patient.index import PatientIndex, index_patient
from eligibility.screen.screener import ClauseResult, PatientReport, Screener, TrialResult, best_verdict
from eligibility.vocab.vocabulary import Vocabulary

TEMPLATES = Path(__file__).parent / "templates"
VERDICTS = ("eligible", "undetermined", "ineligible")
ICONS = {
    "eligible": "✔",
    "ineligible": "✘",
    "undetermined": "?",
    "pass": "✔",
    "fail": "✘",
    "unknown": "?",
    "review": "⚑",
}


@cache
def environment() -> jinja2.Environment:
    """The template environment: autoescaping always on, undefined names are errors."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["icons"] = ICONS
    env.globals["css"] = Markup((TEMPLATES / "report.css").read_text(encoding="utf-8"))  # our own file
    return env


def page_name(patient_id: str) -> str:
    """A safe file name for a patient's page: the id where it is plain, else made plain plus a short hash."""
    plain = re.sub(r"[^A-Za-z0-9._-]", "_", patient_id).lstrip(".") or "patient"
    if plain != patient_id:
        plain = f"{plain[:60]}-{sha1(patient_id.encode('utf-8')).hexdigest()[:8]}"
    return f"{plain}.html"


def safe_url(url: str | None) -> str | None:
    """A registry link only when it is http(s): a rule file must not put ``javascript:`` in the page."""
    return url if url and re.match(r"https?://", url) else None


@dataclass
class ClauseView:
    """One clause as shown: ids, texts, outcome, explanation and what would decide it."""

    id: str
    kind: str
    text: str
    alt_text: str | None
    note: str | None
    outcome: str
    explanation: str
    missing: list[str]


@dataclass
class CohortView:
    """A trial (or one cohort) result: verdict and its clauses by outcome."""

    label: str
    name: str | None
    verdict: str
    blocking: list[ClauseView]
    unknown: list[ClauseView]
    review: list[ClauseView]
    passed: int


@dataclass
class TrialView:
    """A trial with its results (one per cohort for basket trials) and its best verdict."""

    id: str
    title: str | None
    registry: str | None
    url: str | None
    verdict: str
    results: list[CohortView] = field(default_factory=list)


def clause_view(item: ClauseResult, wording: dict) -> ClauseView:
    """A clause's texts and wording (``wording`` keeps the words of findings shared by several trials)."""
    key = id(item.finding)
    words = wording.get(key)
    if words is None:
        words = wording[key] = (explain.explain(item.finding), explain.missing(item.finding))
    clause = item.clause
    return ClauseView(
        clause.id,
        clause.kind,
        clause.text,
        clause.alt_text,
        clause.note,
        item.outcome,
        words[0],
        words[1] if item.outcome == "unknown" else [],
    )


def cohort_view(result: TrialResult, wording: dict) -> CohortView:
    """One result's clauses sorted by outcome."""
    by_outcome: dict[str, list[ClauseView]] = {"fail": [], "unknown": [], "review": []}
    passed = 0
    for item in result.clauses:
        if item.outcome == "pass":
            passed += 1
        else:
            by_outcome[item.outcome].append(clause_view(item, wording))
    name = result.trial.cohorts.get(result.cohort) if result.cohort else None
    return CohortView(
        result.label, name, result.verdict, by_outcome["fail"], by_outcome["unknown"], by_outcome["review"], passed
    )


def trial_views(report: PatientReport) -> list[TrialView]:
    """The report's results grouped by trial (cohorts under their trial)."""
    wording: dict = {}
    views = []
    for _, group in groupby(report.results, key=lambda r: r.trial.id):
        results = list(group)
        trial = results[0].trial
        view = TrialView(trial.id, trial.title, trial.registry, safe_url(trial.url), best_verdict(results))
        view.results = [cohort_view(r, wording) for r in results]
        views.append(view)
    return views


@dataclass
class ChartView:
    """One chart: its caption (also the text alternative) and the SVG."""

    name: str
    caption: str
    svg: Markup


def chart_views(report: PatientReport, index: PatientIndex, recency: ast.Duration) -> list[ChartView]:
    """A chart per measure compared by a rule that the patient has numeric results for."""
    return [
        ChartView(s.name, s.caption, Markup(chart_svg(s)))  # matplotlib's SVG: text in it is escaped by matplotlib
        for s in measure_series(report, index, recency)
    ]


def patient_page(
    report: PatientReport,
    index: PatientIndex,
    vocabulary: Vocabulary,
    recency: ast.Duration = DEFAULT_LAB_RECENCY,
    charts: bool = True,
) -> str:
    """The report of one patient as a complete HTML document."""
    trials = trial_views(report)
    counts = Counter(t.verdict for t in trials)
    steps: list[NextStep] = next_steps(report, vocabulary, recency)
    return (
        environment()
        .get_template("patient.html.j2")
        .render(
            report=report,
            trials=trials,
            counts={v: counts.get(v, 0) for v in VERDICTS},
            steps=steps,
            charts=chart_views(report, index, recency) if charts else [],
        )
    )


def report_page(screener: Screener, patient: Patient, report: PatientReport) -> str:
    """The page of ``report``, made for ``patient`` by ``screener`` (its vocabulary and lab recency)."""
    index = index_patient(patient, screener.vocabulary, report.as_of)
    return patient_page(report, index, screener.vocabulary, screener.lab_recency)
