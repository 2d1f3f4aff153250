"""Screening: every clause of every trial evaluated for a patient, turned into outcomes and verdicts.

- An inclusion clause passes when its rule is true; an exclusion clause passes when its rule is false.
- A clause whose rule is unknown is ``unknown`` when data would decide it, ``review`` when only a person can.
- Verdict: ``ineligible`` if any clause fails; else ``undetermined`` if any clause is unknown; else ``eligible``.
- A trial with cohorts (basket trials) is screened once per cohort: common clauses plus the cohort's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Literal

from eligibility.engine.compiler import Plan, compile_rule
from eligibility.engine.context import DEFAULT_LAB_RECENCY, EvaluationContext, ReferenceRange
from eligibility.engine.diagnosis import Need, needs, review_only
from eligibility.engine.evaluator import evaluate
from eligibility.engine.findings import Finding, Reason
from eligibility.engine.sharing import shared as shared_finding
from eligibility.engine.truth import FALSE, TRUE, UNKNOWN
from eligibility.errors import Location, PatientError
from eligibility.lang.ast import Duration, NeedsReview, walk
from eligibility.patient.contract import Patient
from eligibility.patient.index import PatientIndex, index_patient
from eligibility.trials.schema import Clause, Trial
from eligibility.vocab.vocabulary import Vocabulary, default_vocabulary

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
    def needs(self) -> list[Need]:
        """The data that would decide an unknown clause (none for a clause only a person can decide)."""
        return needs(self.finding) if self.outcome == "unknown" else []


class TrialResult:
    """A trial (or one cohort of it) screened for one patient; clause results are built when first asked for."""

    __slots__ = ("_clauses", "_findings", "_outcomes", "_results", "cohort", "trial", "verdict")

    def __init__(
        self,
        trial: Trial,
        cohort: str | None,
        verdict: Verdict,
        clauses: tuple[Clause, ...],
        findings: tuple[Finding, ...],
        outcomes: tuple[Outcome, ...],
    ) -> None:
        self.trial, self.cohort, self.verdict = trial, cohort, verdict
        self._clauses, self._findings, self._outcomes = clauses, findings, outcomes
        self._results: tuple[ClauseResult, ...] | None = None

    def __repr__(self) -> str:
        return f"TrialResult({self.label!r}, {self.verdict!r})"

    @property
    def clauses(self) -> tuple[ClauseResult, ...]:
        """Every clause with its finding and outcome."""
        if self._results is None:
            self._results = tuple(map(ClauseResult, self._clauses, self._findings, self._outcomes))
        return self._results

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        """The clause outcomes, in clause order."""
        return self._outcomes

    @property
    def label(self) -> str:
        """The trial id, with the cohort after a slash for cohort results."""
        return self.trial.id if self.cohort is None else f"{self.trial.id}/{self.cohort}"

    @property
    def needs_review(self) -> list[str]:
        """Ids of clauses only a person can judge."""
        if "review" not in self._outcomes:
            return []
        return [c.id for c, o in zip(self._clauses, self._outcomes, strict=False) if o == "review"]

    def entries(self) -> Iterator[tuple[Clause, Finding, Outcome]]:
        """(clause, finding, outcome) for every clause, without building clause results."""
        return zip(self._clauses, self._findings, self._outcomes, strict=False)

    @property
    def failing(self) -> list[ClauseResult]:
        """Clauses that make the patient ineligible."""
        return self._with("fail")

    @property
    def unknown(self) -> list[ClauseResult]:
        """Clauses that data would decide."""
        return self._with("unknown")

    def _with(self, wanted: Outcome) -> list[ClauseResult]:
        if wanted not in self._outcomes:
            return []
        if self._results is not None:
            return [c for c in self._results if c.outcome == wanted]
        rows = zip(self._clauses, self._findings, self._outcomes, strict=True)
        return [ClauseResult(c, f, o) for c, f, o in rows if o == wanted]


@dataclass(frozen=True)
class PatientReport:
    """All trials screened for one patient on one reference date, and the warnings about the patient data."""

    patient: str
    as_of: date
    results: tuple[TrialResult, ...]
    warnings: tuple[str, ...] = ()


def outcome(clause: Clause, finding: Finding, may_need_review: bool = True) -> Outcome:
    """pass / fail / unknown / review for a clause given the finding of its rule (``may_need_review``: False
    when the rule has no part that only a person can judge, which saves looking)."""
    if finding.truth is UNKNOWN:
        return "review" if may_need_review and review_only(finding) else "unknown"
    passing = finding.truth is (TRUE if clause.kind == "inclusion" else FALSE)
    return "pass" if passing else "fail"


def verdict(outcomes: Iterable[Outcome]) -> Verdict:
    """ineligible if any clause fails; else undetermined if any is unknown; else eligible."""
    seen = set(outcomes)
    if "fail" in seen:
        return "ineligible"
    return "undetermined" if "unknown" in seen else "eligible"


@dataclass(frozen=True, eq=False)
class CompiledTrial:
    """A trial with one evaluation plan per clause, built once.

    Clauses that only a person can judge have the same finding for every patient: it is made once here.
    ``cohorts`` maps each cohort (``None`` for a trial without cohorts) to the positions of its clauses.
    """

    trial: Trial
    plans: tuple[Plan, ...]
    lab_recency: Duration | None
    reference_ranges: Mapping[str, ReferenceRange]
    fixed: tuple[Finding | None, ...]
    cohorts: tuple[tuple[str | None, tuple[int, ...]], ...]

    @cached_property
    def evaluated(self) -> tuple[int, ...]:
        """Positions of the clauses that depend on the patient."""
        return tuple(i for i, fixed in enumerate(self.fixed) if fixed is None)

    @cached_property
    def fixed_outcomes(self) -> tuple[Outcome | None, ...]:
        """``review`` for the clauses only a person can judge, None for the others."""
        return tuple("review" if fixed else None for fixed in self.fixed)

    @cached_property
    def may_need_review(self) -> tuple[bool, ...]:
        """Per clause: whether its rule has a part only a person can judge."""
        return tuple(any(isinstance(n, NeedsReview) for n in walk(c.rule)) for c in self.trial.clauses)

    @cached_property
    def unevaluated_results(self) -> list[TrialResult]:
        """The results of a trial whose every clause needs review (the same for every patient)."""
        return trial_results(self, list(self.fixed), list(self.fixed_outcomes))

    @cached_property
    def own_context(self) -> bool:
        """True when the trial sets its own lab recency or reference ranges."""
        return self.lab_recency is not None or bool(self.reference_ranges)


def _cohort_positions(trial: Trial) -> tuple[tuple[str | None, tuple[int, ...]], ...]:
    if not trial.cohorts:
        return ((None, tuple(range(len(trial.clauses)))),)
    return tuple(
        (cohort, tuple(i for i, c in enumerate(trial.clauses) if c.cohort in (None, cohort)))
        for cohort in trial.cohorts
    )


@dataclass
class Screener:
    """Screens patients against trials compiled once; holds no per-patient state."""

    trials: list[Trial]
    vocabulary: Vocabulary = field(default_factory=default_vocabulary)
    lab_recency: Duration = DEFAULT_LAB_RECENCY
    site_ranges: Mapping[str, ReferenceRange] = field(default_factory=dict)

    def __post_init__(self) -> None:
        shared: dict = {}
        plans = [tuple(compile_rule(c.rule, self.vocabulary, shared) for c in t.clauses) for t in self.trials]
        # Findings that are the same for every patient (review leaves): made once, used for the clauses that are
        # review-only and given to each patient's memo from the start.
        self._fixed_memo = {
            id(plan): shared_finding(UNKNOWN, plan, Reason.REVIEW)
            for plan in shared.values()
            if isinstance(plan.node, NeedsReview)
        }
        self.compiled = [self._compile(t, p) for t, p in zip(self.trials, plans, strict=False)]

    def _compile(self, trial: Trial, plans: tuple[Plan, ...]) -> CompiledTrial:
        ranges = {**self.site_ranges, **trial.reference_ranges}
        fixed = tuple(self._fixed_memo.get(id(plan)) for plan in plans)
        return CompiledTrial(trial, plans, trial.lab_recency, ranges, fixed, _cohort_positions(trial))

    def reference_date(self, patient: Patient, as_of: date | None, fallback: date | None) -> date:
        """The screening date: the one given, else the patient's ``as_of``, else ``fallback``."""
        chosen = as_of or patient.as_of or fallback
        if chosen is None:
            raise PatientError(
                "no reference date",
                location=Location(where=f"patient {patient.id}"),
                hint="add `as_of` to the patient file or pass --as-of YYYY-MM-DD",
            )
        return chosen

    def screen(
        self,
        patient: Patient,
        as_of: date | None = None,
        fallback: date | None = None,
        trial_ids: Iterable[str] | None = None,
    ) -> PatientReport:
        """Screen one patient against every trial (or those in ``trial_ids``)."""
        on = self.reference_date(patient, as_of, fallback)
        index = index_patient(patient, self.vocabulary, on)
        wanted = set(trial_ids) if trial_ids else None
        shared = EvaluationContext(on, self.vocabulary, self.lab_recency, self.site_ranges, memo=dict(self._fixed_memo))
        results: list[TrialResult] = []
        for compiled in self.compiled:
            if wanted is None or compiled.trial.id in wanted:
                results += self.screen_trial(compiled, index, shared)
        return PatientReport(patient.id, on, tuple(results), tuple(index.warnings))

    def screen_trial(
        self, compiled: CompiledTrial, index: PatientIndex, shared: EvaluationContext | None = None
    ) -> list[TrialResult]:
        """Results of one compiled trial for one indexed patient (one per cohort for basket trials)."""
        context = shared
        if context is None or compiled.own_context:
            context = EvaluationContext(
                index.as_of, self.vocabulary, compiled.lab_recency or self.lab_recency, compiled.reference_ranges
            )
        if not compiled.evaluated:  # only a person can judge this trial: the same for every patient
            return compiled.unevaluated_results
        clauses, plans = compiled.trial.clauses, compiled.plans
        findings, outcomes = list(compiled.fixed), list(compiled.fixed_outcomes)
        review = compiled.may_need_review
        for i in compiled.evaluated:
            finding = findings[i] = evaluate(plans[i], index, context)
            outcomes[i] = outcome(clauses[i], finding, review[i])
        return trial_results(compiled, findings, outcomes)


def trial_results(compiled: CompiledTrial, findings: list, outcomes: list) -> list[TrialResult]:
    """The result of a trial (one per cohort for basket trials) from the findings and outcomes of its clauses."""
    clauses = compiled.trial.clauses
    if compiled.cohorts[0][0] is None:
        done = tuple(outcomes)
        return [TrialResult(compiled.trial, None, verdict(done), clauses, tuple(findings), done)]
    results = []
    for cohort, positions in compiled.cohorts:
        chosen = tuple(outcomes[i] for i in positions)
        results.append(
            TrialResult(
                compiled.trial,
                cohort,
                verdict(chosen),
                tuple(clauses[i] for i in positions),
                tuple(findings[i] for i in positions),
                chosen,
            )
        )
    return results


def best_verdict(results: Iterable[TrialResult]) -> Verdict:
    """The most favourable verdict among results (e.g. over the cohorts of one trial)."""
    return max((r.verdict for r in results), key=_RANK.__getitem__, default="ineligible")
