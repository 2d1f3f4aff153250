"""What to order next: the missing data of a patient's undetermined trials, ranked by how much each would decide.

Each unknown clause of an undetermined trial names the data that would decide it (:func:`needs`). The same
datum (an ALC result, a record of HIV infection) usually appears in several trials, sometimes with different
windows. The ranking groups the needs by what is measured or recorded, keeps the tightest window that would
satisfy every trial asking for it, and orders them by the number of undetermined trials they bear on, then
by the trials they alone would settle, then by clauses. Ineligible trials are left out: no datum changes them.
Cohorts of a basket trial are counted under their trial.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from eligibility.engine.context import DEFAULT_LAB_RECENCY
from eligibility.engine.diagnosis import Need
from eligibility.engine.timeline import boundary
from eligibility.lang import ast
from eligibility.output.words import label, window_text
from eligibility.screen.screener import PatientReport, TrialResult
from eligibility.vocab.vocabulary import Vocabulary, default_vocabulary

NeedKey = tuple[str, str, str | None, str | None]  # kind, subject, category, limit


@dataclass(frozen=True)
class NextStep:
    """One piece of missing data with the trials and clauses it bears on.

    ``trials`` are trial ids (cohorts counted under their trial); ``clauses`` are ``(trial label, clause id)``;
    ``settles`` the trial labels whose every unknown clause this datum alone would decide; ``window`` the
    tightest window that satisfies every trial asking for it (``None``: any date); ``windows`` all windows asked.
    """

    kind: str
    subject: str
    category: str | None
    limit: str | None
    name: str
    window: ast.Window | None
    windows: tuple[ast.Window, ...]
    trials: tuple[str, ...]
    clauses: tuple[tuple[str, str], ...]
    settles: tuple[str, ...]

    @property
    def what(self) -> str:
        """The datum with its window: ``ALC result within 30 days``, ``condition HIV infection``."""
        return _WHAT[self.kind](self) + (f" {window_text(self.window)}" if self.window else "")

    @property
    def text(self) -> str:
        """One line: ``ALC result within 30 days: helps decide 3 trials (4 clauses; alone settles 1)``."""
        trials = _plural(len(self.trials), "trial")
        clauses = _plural(len(self.clauses), "clause")
        settles = f"; alone settles {len(self.settles)}" if self.settles else ""
        return f"{self.what}: helps decide {trials} ({clauses}{settles})"


_WHAT = {
    "result": lambda s: f"{s.name} result",
    "reference_range": lambda s: f"{s.name} reference range ({s.limit})",
    "birth_date": lambda s: "birth date",
    "onset": lambda s: f"onset date of {s.name}",
    "sex": lambda s: "sex",
    "record": lambda s: f"{s.category} {s.name}",
    "record_date": lambda s: f"date of {s.category} {s.name}",
    "record_kind": lambda s: f"which kind of {s.category} (whether it was {s.name})",
    "dose": lambda s: f"dose of {s.category} {s.name}",  # language v2: doses
    "baseline": lambda s: f"{s.name} result at the start of the window",  # language v2: trends
}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


@dataclass
class _Group:
    need: Need
    windows: dict[ast.Window, None] = field(default_factory=dict)
    trials: dict[str, None] = field(default_factory=dict)
    clauses: dict[tuple[str, str], None] = field(default_factory=dict)
    settles: dict[str, None] = field(default_factory=dict)
    any_date: bool = False


def need_key(need: Need) -> NeedKey:
    """What a need asks for, whatever its window."""
    return (need.kind, need.subject, need.category, need.limit)


def effective_window(need: Need, trial_recency: ast.Duration | None, recency: ast.Duration) -> ast.Window | None:
    """The window the datum must fall in: the rule's own, else for a lab result the recency window."""
    if need.window is not None or need.kind != "result" or need.any_date:
        return need.window
    return ast.Window(op="<=", duration=trial_recency or recency)


def tightest(windows: Iterable[ast.Window], as_of: date) -> ast.Window | None:
    """The ``within`` window with the latest start (a datum inside it is inside every other ``within``
    window); ``None`` when no window asks for a recent datum."""
    recent = [w for w in windows if w.op in ("<=", "<")]
    if not recent:
        return None
    return max(recent, key=lambda w: (boundary(as_of, w.duration), w.op == "<"))


def next_steps(
    report: PatientReport,
    vocabulary: Vocabulary | None = None,
    recency: ast.Duration = DEFAULT_LAB_RECENCY,
) -> list[NextStep]:
    """The missing data of the undetermined trials of ``report``, most useful first."""
    vocabulary = vocabulary or default_vocabulary()
    groups: dict[NeedKey, _Group] = {}
    for result in report.results:
        if result.verdict == "undetermined":
            _collect(result, groups, recency)
    steps = [_step(group, vocabulary, report.as_of) for group in groups.values()]
    return sorted(steps, key=lambda s: (-len(s.trials), -len(s.settles), -len(s.clauses), s.what))


def _collect(result: TrialResult, groups: dict[NeedKey, _Group], recency: ast.Duration) -> None:
    keys: dict[NeedKey, None] = {}
    for clause in result.unknown:
        for need in clause.needs:
            key = need_key(need)
            keys[key] = None
            group = groups.setdefault(key, _Group(need))
            window = effective_window(need, result.trial.lab_recency, recency)
            if window is None:
                group.any_date = True
            else:
                group.windows[window] = None
            group.trials[result.trial.id] = None
            group.clauses[(result.trial.id, clause.clause.id)] = None
    if len(keys) == 1:
        groups[next(iter(keys))].settles[result.label] = None


def _step(group: _Group, vocabulary: Vocabulary, as_of: date) -> NextStep:
    need = group.need
    return NextStep(
        kind=need.kind,
        subject=need.subject,
        category=need.category,
        limit=need.limit,
        name=subject_name(need, vocabulary),
        window=tightest(group.windows, as_of),
        windows=tuple(group.windows),
        trials=tuple(group.trials),
        clauses=tuple(group.clauses),
        settles=tuple(group.settles),
    )


def subject_name(need: Need, vocabulary: Vocabulary) -> str:
    """A readable name for what a need is about: a measure's short label or a concept's name."""
    if need.kind in ("result", "reference_range"):
        return label(vocabulary.measure(need.subject), need.subject)
    concept = vocabulary.concepts.get(need.subject)
    return concept.name if concept else need.subject
