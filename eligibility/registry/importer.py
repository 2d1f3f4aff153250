"""Registry records → rule files: the drafted trial as a ``TrialSpec`` (with its overrides) written by the one
rule-file writer (``trials.dump``), and a coverage summary."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from eligibility.errors import EligibilityError
from eligibility.lang.render import render
from eligibility.registry.drafting import DraftedClause, Imported, draft_record, import_record
from eligibility.registry.overrides import apply_overrides, find_overrides
from eligibility.registry.records import Record, read_records
from eligibility.resources import bundled_rules_dir
from eligibility.trials.dump import dump_spec
from eligibility.trials.schema import CriterionSpec, TrialSpec
from eligibility.vocab.vocabulary import Vocabulary

__all__ = ["BulkSummary", "coverage_of", "draft_many", "draft_trial", "find_overrides", "trial_spec"]


def trial_data(imported: Imported) -> dict:
    """The rule-file data of a drafted trial (before overrides)."""
    record = imported.record
    population = {k: v for k, v in (("min_age", record.min_age), ("max_age", record.max_age)) if v}
    population["sex"] = record.sex
    data: dict = {
        "id": imported.id,
        "title": record.title,
        "registry": record.registry,
        "source": Path(record.source).name,
        "population": population,
    }
    if imported.cohorts:
        data["cohorts"] = [{"id": key, "name": name} for key, name in imported.cohorts.items()]
    data["criteria"] = [_criterion_data(c) for c in imported.clauses]
    return {k: v for k, v in data.items() if v is not None}


def _criterion_data(clause: DraftedClause) -> dict:
    spec = CriterionSpec(
        id=clause.id,
        kind=clause.kind,
        text=clause.text,
        alt_text=clause.alt_text or None,
        rule=render(clause.draft.rule) if clause.draft.rule is not None else None,
        cohort=clause.cohort,
        note="; ".join(clause.notes) or None,
    )
    return spec.model_dump(exclude_none=True)


def trial_spec(data: dict, source: str) -> TrialSpec:
    """The rule file of drafted (and corrected) trial data; a correction that breaks the schema is an error."""
    try:
        return TrialSpec.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        place = ".".join(str(p) for p in problem["loc"])
        raise EligibilityError(
            f"{source}: the drafted trial does not fit the rule-file schema at {place}: {problem['msg']}",
            hint="correct the override file so that every field is one the rule-file schema knows",
        ) from exc


def coverage_of(spec: TrialSpec) -> dict[str, int]:
    """Clauses of a rule file by coverage: a rule with no review leaf, a rule with one, no rule."""
    counts = {"rule": 0, "partial": 0, "review": 0}
    for criterion in spec.criteria:
        rule = criterion.rule
        counts["review" if rule is None else "partial" if 'review "' in rule else "rule"] += 1
    return counts


def _header(record: Record, line: str) -> str:
    healthy = record.healthy_volunteers
    volunteers = "" if healthy is None else f"# Accepts healthy volunteers: {'yes' if healthy else 'no'}.\n"
    return line + volunteers


def draft_trial(
    record: Path, overrides: Path | None = None, use_bundled: bool = True, vocabulary: Vocabulary | None = None
) -> tuple[str, str]:
    """The rule-file YAML drafted from a record (with its overrides) and a one-line coverage summary, counted on
    the rule file written (after the overrides)."""
    imported = import_record(record, vocabulary)
    data = trial_data(imported)
    chosen = overrides or (find_overrides(record, bundled_rules_dir() / "overrides") if use_bundled else None)
    if chosen is not None:
        data = apply_overrides(data, yaml.safe_load(Path(chosen).read_text(encoding="utf-8")) or {})
    spec = trial_spec(data, str(chosen or record))
    counts = coverage_of(spec)
    summary = (
        f"{spec.id}: {sum(counts.values())} clauses drafted — {counts['rule']} read fully, {counts['partial']} partly, "
        f"{counts['review']} left for review" + (f" (after the corrections in {chosen})" if chosen else "")
    )
    header = (
        f"# Drafted by `eligibility import {Path(record).name}`"
        + (f" with the corrections in {Path(chosen).name}" if chosen else "")
        + ".\n"
    )
    return _header(imported.record, header) + dump_spec(spec), summary


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


def draft_many(source: Path, directory: Path, progress=None, vocabulary: Vocabulary | None = None) -> BulkSummary:
    """Draft one rule file per record of ``source`` (JSON Lines of criteria texts) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    summary = BulkSummary()
    for record in read_records(source):
        if progress is not None:
            progress()
        if not isinstance(record, Record):
            summary.errors.append(record)
            continue
        imported = draft_record(record, vocabulary)
        header = _header(record, f"# Drafted by `eligibility import {Path(source).name}` from {record.source}.\n")
        name = _UNSAFE.sub("_", imported.id).strip("._") or "trial"
        spec = trial_spec(trial_data(imported), str(source))
        (directory / f"{name}.yaml").write_text(header + dump_spec(spec), encoding="utf-8")
        summary.trials += 1
        for key, value in coverage_of(spec).items():
            summary.counts[key] += value
    return summary
