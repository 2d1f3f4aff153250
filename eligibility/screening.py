"""Screening: every clause of every trial evaluated for a patient, turned into outcomes and verdicts.

- An inclusion clause passes when its rule is true; an exclusion clause passes when its rule is false.
- A clause whose rule is unknown is ``unknown`` when data would decide it, ``review`` when only a person can.
- Verdict: ``ineligible`` if any clause fails; else ``undetermined`` if any clause is unknown; else ``eligible``.
- A trial with cohorts (basket trials) is screened once per cohort: common clauses plus the cohort's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Literal, Mapping

from . import explain
from .ast import Duration
from .compiler import Plan, compile_rule
from .errors import Location, PatientError
from .evaluator import DEFAULT_LAB_RECENCY, EvaluationContext, Finding, ReferenceRange, evaluate
from .patient import Patient
from .patient_index import PatientIndex, index_patient
from .trial import Clause, Trial
from .truth import FALSE, TRUE, UNKNOWN
from .vocabulary import Vocabulary, default_vocabulary

Outcome = Literal["pass", "fail", "unknown", "review"]
Verdict = Literal["eligible", "ineligible", "undetermined"]
_RANK = {"ineligible": 0, "undetermined": 1, "eligible": 2}


@dataclass(frozen=True, slots=True)
class ClauseResult:
    """One clause for one patient: the finding, the outcome, and (on demand) its wording."""

    clause: Clause
    finding: Finding
    outcome: Outcome

    @property
    def met(self) -> bool | None:
        """Truth of the clause's rule itself (None when unknown)."""
        return self.finding.truth.as_json()

    @property
    def explanation(self) -> str:
        """Why the rule has its truth value (built only when asked for)."""
        return explain.explain(self.finding)

    @property
    def missing(self) -> list[str]:
        """The data that would decide an unknown clause."""
        return explain.missing(self.finding) if self.outcome == "unknown" else []


@dataclass(frozen=True)
class TrialResult:
    """A trial (or one cohort of it) screened for one patient."""

    trial: Trial
    cohort: str | None
    verdict: Verdict
    clauses: tuple[ClauseResult, ...]

    @property
    def label(self) -> str:
        """The trial id, with the cohort after a slash for cohort results."""
        return self.trial.id if self.cohort is None else f"{self.trial.id}/{self.cohort}"

    @property
    def needs_review(self) -> list[str]:
        """Ids of clauses only a person can judge."""
        return [c.clause.id for c in self.clauses if c.outcome == "review"]

    @property
    def failing(self) -> list[ClauseResult]:
        """Clauses that make the patient ineligible."""
        return [c for c in self.clauses if c.outcome == "fail"]

    @property
    def unknown(self) -> list[ClauseResult]:
        """Clauses that data would decide."""
        return [c for c in self.clauses if c.outcome == "unknown"]


@dataclass(frozen=True)
class PatientReport:
    """All trials screened for one patient on one reference date, and the warnings about the patient data."""

    patient: str
    as_of: date
    results: tuple[TrialResult, ...]
    warnings: tuple[str, ...] = ()


def outcome(clause: Clause, finding: Finding) -> Outcome:
    """pass / fail / unknown / review for a clause given the finding of its rule."""
    if finding.truth is UNKNOWN:
        return "review" if explain.review_only(finding) else "unknown"
    passing = finding.truth is (TRUE if clause.kind == "inclusion" else FALSE)
    return "pass" if passing else "fail"


def verdict(outcomes: Iterable[Outcome]) -> Verdict:
    """ineligible if any clause fails; else undetermined if any is unknown; else eligible."""
    seen = set(outcomes)
    if "fail" in seen:
        return "ineligible"
    return "undetermined" if "unknown" in seen else "eligible"


@dataclass(frozen=True)
class CompiledTrial:
    """A trial with one evaluation plan per clause, built once."""

    trial: Trial
    plans: tuple[Plan, ...]
    lab_recency: Duration | None
    reference_ranges: Mapping[str, ReferenceRange]


@dataclass
class Screener:
    """Screens patients against trials compiled once; holds no per-patient state."""

    trials: list[Trial]
    vocabulary: Vocabulary = field(default_factory=default_vocabulary)
    lab_recency: Duration = DEFAULT_LAB_RECENCY
    site_ranges: Mapping[str, ReferenceRange] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.compiled = [self._compile(t) for t in self.trials]

    def _compile(self, trial: Trial) -> CompiledTrial:
        plans = tuple(compile_rule(c.rule, self.vocabulary) for c in trial.clauses)
        ranges = {**self.site_ranges, **trial.reference_ranges}
        return CompiledTrial(trial, plans, trial.lab_recency, ranges)

    def reference_date(self, patient: Patient, as_of: date | None, fallback: date | None) -> date:
        """The screening date: the one given, else the patient's ``as_of``, else ``fallback``."""
        chosen = as_of or patient.as_of or fallback
        if chosen is None:
            raise PatientError("no reference date", location=Location(where=f"patient {patient.id}"),
                               hint="add `as_of` to the patient file or pass --as-of YYYY-MM-DD")
        return chosen

    def screen(self, patient: Patient, as_of: date | None = None, fallback: date | None = None,
               trial_ids: Iterable[str] | None = None) -> PatientReport:
        """Screen one patient against every trial (or those in ``trial_ids``)."""
        on = self.reference_date(patient, as_of, fallback)
        index = index_patient(patient, self.vocabulary, on)
        wanted = set(trial_ids) if trial_ids else None
        results: list[TrialResult] = []
        for compiled in self.compiled:
            if wanted is None or compiled.trial.id in wanted:
                results += self.screen_trial(compiled, index)
        return PatientReport(patient.id, on, tuple(results), tuple(index.warnings))

    def screen_trial(self, compiled: CompiledTrial, index: PatientIndex) -> list[TrialResult]:
        """Results of one compiled trial for one indexed patient (one per cohort for basket trials)."""
        context = EvaluationContext(index.as_of, self.vocabulary, compiled.lab_recency or self.lab_recency,
                                    compiled.reference_ranges)
        clause_results = tuple(
            ClauseResult(clause, finding, outcome(clause, finding))
            for clause, finding in ((c, evaluate(p, index, context))
                                    for c, p in zip(compiled.trial.clauses, compiled.plans)))
        cohorts = list(compiled.trial.cohorts) or [None]
        results = []
        for cohort in cohorts:
            chosen = tuple(r for r in clause_results if r.clause.cohort in (None, cohort))
            results.append(TrialResult(compiled.trial, cohort, verdict(r.outcome for r in chosen), chosen))
        return results


def best_verdict(results: Iterable[TrialResult]) -> Verdict:
    """The most favourable verdict among results (e.g. over the cohorts of one trial)."""
    return max((r.verdict for r in results), key=_RANK.__getitem__, default="ineligible")
