"""Trials back to rule-file YAML: what the importer writes and what `read_trial` reads back unchanged."""

from __future__ import annotations

import yaml

from eligibility.lang.render import render
from eligibility.trials.schema import Clause, Trial, TrialSpec
from eligibility.vocab.units import format_number
from eligibility.vocab.vocabulary import Vocabulary, default_vocabulary


class _Dumper(yaml.SafeDumper):
    """Long one-line text folded over several lines; everything else plain."""


def _string(dumper: yaml.SafeDumper, value: str):
    foldable = len(value) > 90 and "\n" not in value and value == value.strip() and "  " not in value
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=">" if foldable else None)


_Dumper.add_representer(str, _string)


def dump_trial(data: dict) -> str:
    """Rule-file YAML for trial data (keys in the order given)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def trial_to_data(trial: Trial, vocabulary: Vocabulary | None = None) -> dict:
    """A loaded trial as rule-file data: rules in canonical text, reference limits in each measure's unit.

    Limits are written as exact decimals when they have one, otherwise to 28 significant digits.
    """
    vocabulary = vocabulary or default_vocabulary()
    data: dict = {"id": trial.id}
    for key in ("title", "registry", "source", "url"):
        if getattr(trial, key) is not None:
            data[key] = getattr(trial, key)
    population = trial.population.model_dump(exclude_defaults=True)
    if population:
        data["population"] = population
    if trial.lab_recency is not None:
        data["lab_recency"] = f"{format_number(trial.lab_recency.value)} {trial.lab_recency.unit}s"
    if trial.reference_ranges:
        data["reference_ranges"] = {
            measure: {
                key: _limit(getattr(limits, key), vocabulary.measures[measure].unit)
                for key in ("low", "high")
                if getattr(limits, key) is not None
            }
            for measure, limits in trial.reference_ranges.items()
        }
    if trial.cohorts:
        data["cohorts"] = [{"id": key, "name": name} for key, name in trial.cohorts.items()]
    data["criteria"] = [_dump_criterion(c) for c in trial.clauses if not c.from_population]
    return data


def _limit(value, unit: str) -> str:
    number = format_number(value)
    return f"{number} {unit}" if unit else number


def _dump_criterion(clause: Clause) -> dict:
    item = {"id": clause.id, "kind": clause.kind, "text": clause.text}
    if clause.alt_text is not None:
        item["alt_text"] = clause.alt_text
    if clause.written:
        item["rule"] = render(clause.rule)
    for key in ("cohort", "note"):
        if getattr(clause, key) is not None:
            item[key] = getattr(clause, key)
    return item


def spec_to_data(spec: TrialSpec) -> dict:
    """A rule file's schema object as YAML-ready data: fields in schema order, empty and unset ones left out
    (the population's ``sex`` is always written)."""
    data = spec.model_dump(exclude_none=True)
    for key in ("reference_ranges", "cohorts"):
        if not data[key]:
            del data[key]
    return data


def dump_spec(spec: TrialSpec) -> str:
    """Rule-file YAML for a rule file's schema object: the writer of ``eligibility import``."""
    return dump_trial(spec_to_data(spec))
