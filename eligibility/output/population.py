"""A population's screening at a glance, built from the ``summary`` records of many patients.

Per trial (per cohort for basket trials): the patients by verdict, and the attrition by clause in the trial's
order, as in OHDSI ATLAS's attrition view (a patient is removed by the first clause that blocks them; later
blocking clauses of the same patient are counted as "also blocking"). Over all trials: the missing data named
most often (counted once per patient), and the patients eligible for or undetermined in some trial, linked to
their own pages. Fed one summary record at a time, so memory grows with the trials and the listed patients.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from eligibility.output.html import VERDICTS, environment
from eligibility.trials.schema import Trial


@dataclass
class AttritionStep:
    """One clause in a trial's order: the patients it removes first, and all it blocks."""

    clause: str
    text: str
    removed: int = 0
    blocking: int = 0
    remaining: int = 0


@dataclass
class TrialTally:
    """One trial (or cohort) over the population."""

    label: str
    title: str | None
    order: dict[str, str]  # clause id → text, in the trial's order
    verdicts: Counter = field(default_factory=Counter)
    first_blocking: Counter = field(default_factory=Counter)
    blocking: Counter = field(default_factory=Counter)
    positions: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.positions = {clause: number for number, clause in enumerate(self.order)}

    def position(self, clause: str) -> int:
        """Where the clause stands in the trial's order (a clause not in it goes last, in order of appearance)."""
        if clause not in self.positions:
            self.order[clause] = ""
            self.positions[clause] = len(self.positions)
        return self.positions[clause]

    @property
    def total(self) -> int:
        """Patients screened against this trial."""
        return sum(self.verdicts.values())

    def attrition(self) -> list[AttritionStep]:
        """The clauses that block someone, in the trial's order, with the patients left after each."""
        remaining = self.total
        steps = []
        for clause in self.order:
            if not self.blocking[clause]:
                continue
            remaining -= self.first_blocking[clause]
            step = AttritionStep(clause, self.order.get(clause, ""), self.first_blocking[clause], self.blocking[clause])
            step.remaining = remaining
            steps.append(step)
        return steps


@dataclass
class ListedPatient:
    """A patient eligible for or undetermined in at least one trial."""

    id: str
    page: str | None
    eligible: list[str]
    undetermined: list[str]
    missing: int


class Population:
    """Summary records of many patients added one by one; :meth:`page` writes the population page."""

    def __init__(self, trials: list[Trial] | None = None) -> None:
        self.trials: dict[str, TrialTally] = {}
        self._orders = {label: (title, order) for trial in trials or [] for label, title, order in _orders(trial)}
        self.missing: Counter = Counter()
        self.listed: list[ListedPatient] = []
        self.patients = 0
        self.as_of: set[str] = set()

    def add(self, summary: dict, page: str | None = None) -> None:
        """One patient's summary record (the ``summary`` format), with the link to their page if there is one."""
        self.patients += 1
        self.as_of.add(summary.get("as_of", ""))
        missing: dict[str, None] = {}
        eligible, undetermined = [], []
        for result in summary["results"]:
            tally = self._tally(result["trial"])
            tally.verdicts[result["verdict"]] += 1
            ids = [b["id"] for b in result["blocking"]]
            if ids:
                tally.first_blocking[min(ids, key=tally.position)] += 1
                tally.blocking.update(ids)
            if result["verdict"] == "eligible":
                eligible.append(result["trial"])
            elif result["verdict"] == "undetermined":
                undetermined.append(result["trial"])
                missing.update(dict.fromkeys(result["missing"]))
        self.missing.update(list(missing))
        if eligible or undetermined:
            self.listed.append(ListedPatient(summary["patient"], page, eligible, undetermined, len(missing)))

    def _tally(self, label: str) -> TrialTally:
        tally = self.trials.get(label)
        if tally is None:
            title, order = self._orders.get(label, (None, {}))
            tally = self.trials[label] = TrialTally(label, title, dict(order))
        return tally

    def page(self, title: str = "Screening of a population", top_missing: int = 25) -> str:
        """The population page as a complete HTML document."""
        return (
            environment()
            .get_template("population.html.j2")
            .render(
                title=title,
                patients=self.patients,
                as_of=sorted(d for d in self.as_of if d),
                trials=list(self.trials.values()),
                verdicts=VERDICTS,
                missing=self.missing.most_common(top_missing),
                listed=self.listed,
            )
        )


def _orders(trial: Trial):
    cohorts: list[str | None] = list(trial.cohorts) or [None]
    for cohort in cohorts:
        order = {c.id: c.text for c in trial.clauses if c.cohort in (None, cohort)}
        title = trial.title if cohort is None else trial.cohorts[cohort]
        yield (trial.id if cohort is None else f"{trial.id}/{cohort}"), title, order
