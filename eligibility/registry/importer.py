"""Registry records → rule files: the drafted trial as a ``TrialSpec`` (with its overrides) written by the one
rule-file writer (``trials.dump``), and a coverage summary."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from eligibility.errors import EligibilityError
from eligibility.inputs import read_yaml_mapping
from eligibility.lang.render import render
from eligibility.registry.drafting import DraftedClause, Imported, import_record
from eligibility.registry.overrides import apply_overrides, find_overrides
from eligibility.registry.records import Record
from eligibility.resources import bundled_rules_dir
from eligibility.trials.dump import dump_spec
from eligibility.trials.schema import CriterionSpec, TrialSpec
from eligibility.vocab.vocabulary import Vocabulary

__all__ = ["coverage_of", "draft_trial", "find_overrides", "record_header", "trial_spec"]


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


def record_header(record: Record, line: str) -> str:
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
        data = apply_overrides(data, read_yaml_mapping(chosen, "overrides file"))
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
    return record_header(imported.record, header) + dump_spec(spec), summary
