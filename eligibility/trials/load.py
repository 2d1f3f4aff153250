"""Rule files (YAML) → trials, with every problem of a file reported at once, each with its line.

A file is read safely (:mod:`eligibility.yamlsource`), checked against the schema (:mod:`eligibility.trial`),
then each criterion's rule text is parsed (canonical grammar) and resolved against the vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from eligibility.engine.context import ReferenceRange
from eligibility.errors import EligibilityError, ErrorGroup, Location, RuleFileError
from eligibility.inputs import read_text
from eligibility.lang import ast
from eligibility.lang.parsing import parse_rule
from eligibility.lang.resolve import resolve_rule
from eligibility.trials.quantities import parse_duration, parse_quantity
from eligibility.trials.schema import Clause, CriterionSpec, RangeSpec, Trial, TrialSpec
from eligibility.trials.yamlsource import Position, load_yaml
from eligibility.validation import problems
from eligibility.vocab.units import measure_factor
from eligibility.vocab.vocabulary import Vocabulary, default_vocabulary


class _Collector:
    """Problems of one file, each placed at a line of the file."""

    def __init__(self, file: str, text: str, positions: dict[tuple, Position]) -> None:
        self.file, self.lines, self.positions = file, text.splitlines(), positions
        self.errors: list[EligibilityError] = []

    def in_order(self) -> list[EligibilityError]:
        """The problems in the order of the file's lines."""
        return sorted(self.errors, key=lambda e: (e.location.line or 0, e.location.column or 0))

    def position(self, path: tuple) -> Position | None:
        while path and path not in self.positions:
            path = path[:-1]
        return self.positions.get(path)

    def add(self, error: EligibilityError, path: tuple, where: str | None = None) -> None:
        position = self.position(path)
        line, column = self._place(error, position)
        source = self.lines[line - 1] if line and line <= len(self.lines) else None
        error.location = Location(file=self.file, line=line, column=column, where=where)
        error.source_line = source
        self.errors.append(error)

    def _place(self, error: EligibilityError, position: Position | None) -> tuple[int | None, int | None]:
        if position is None:
            return None, None
        inner_line, inner_column = error.location.line, error.location.column
        if inner_line is None:
            return position.line, position.column
        if position.style == "|":
            line = position.line + inner_line
            text = self.lines[line - 1] if line <= len(self.lines) else ""
            return line, len(text) - len(text.lstrip()) + (inner_column or 1)
        if inner_line == 1 and position.style in (">", None):
            return self._folded(position, inner_column or 1)
        if inner_line == 1:
            return position.line, position.column + 1 + (inner_column or 1) - 1
        return position.line + inner_line - 1, inner_column

    def _folded(self, position: Position, column: int) -> tuple[int, int]:
        """Place a column of a folded (or multi-line plain) scalar on the file line it was written on."""
        line = position.line + (1 if position.style == ">" else 0)
        start = position.column if position.style is None else None
        remaining = column
        while line <= len(self.lines):
            text = self.lines[line - 1]
            indent = start - 1 if start is not None else len(text) - len(text.lstrip())
            content = text[indent:].rstrip()
            if remaining <= len(content) + 1 or line == len(self.lines):
                return line, indent + remaining
            remaining -= len(content) + 1
            line, start = line + 1, None
        return position.line, position.column


def _load_criterion(spec: CriterionSpec, index: int, vocabulary: Vocabulary, found: _Collector) -> Clause:
    where = f"criterion {spec.id}"
    unread = Clause(
        spec.id,
        spec.kind,
        spec.text,
        ast.NeedsReview(text=spec.text),
        spec.cohort,
        spec.note,
        written=False,
        alt_text=spec.alt_text,
    )
    if spec.rule is None:
        return unread
    path = ("criteria", index, "rule")
    try:
        parsed = parse_rule(spec.rule)
    except EligibilityError as error:
        found.add(error, path, where)
        return unread
    resolved, issues = resolve_rule(parsed, vocabulary)
    for issue in issues:
        span = getattr(issue, "span", None)
        if span is not None:
            before = spec.rule[: _caret_offset(spec.rule, span, issue.term)]
            issue.location = Location(line=before.count("\n") + 1, column=len(before.split("\n")[-1]) + 1)
        found.add(issue, path, where)
    return Clause(spec.id, spec.kind, spec.text, resolved, spec.cohort, spec.note, alt_text=spec.alt_text)


def _caret_offset(rule: str, span: Any, term: str | None) -> int:
    """Where a problem's caret goes: at the word it is about when that word is in the node's text, else
    at the start of the node."""
    if term:
        inside = re.search(rf"(?<![\w\-]){re.escape(term)}(?![\w\-])", rule[span.start : span.end])
        if inside:
            return span.start + inside.start()
    return span.start


def _population_clauses(spec: TrialSpec, found: _Collector) -> list[Clause]:
    clauses = []
    for key, op in (("min_age", ">="), ("max_age", "<=")):
        value = getattr(spec.population, key)
        if value is None:
            continue
        try:
            duration = parse_duration(value)
        except EligibilityError as error:
            found.add(error, ("population", key), "population")
            continue
        words = "Minimum" if key == "min_age" else "Maximum"
        clauses.append(
            Clause(key, "inclusion", f"{words} age: {value}", ast.Age(op=op, duration=duration), from_population=True)
        )
    if spec.population.sex != "all":
        clauses.append(
            Clause(
                "sex",
                "inclusion",
                f"Sex: {spec.population.sex}",
                ast.Sex(value=spec.population.sex),
                from_population=True,
            )
        )
    return clauses


def _reference_ranges(
    table: dict[str, RangeSpec], source: str, vocabulary: Vocabulary, found: _Collector
) -> dict[str, ReferenceRange]:
    ranges = {}
    for name, limits in table.items():
        measure = vocabulary.measure(name)
        if measure is None:
            close = vocabulary.suggest_measures(name)
            found.add(
                RuleFileError(
                    f"unknown measure {name!r} in reference_ranges",
                    hint=f"did you mean {' or '.join(close)}?" if close else "check the name",
                ),
                ("reference_ranges", name),
                "reference_ranges",
            )
            continue
        bounds = []
        for key in ("low", "high"):
            text = getattr(limits, key)
            bounds.append(None if text is None else _limit(text, measure, found, ("reference_ranges", name, key)))
        if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
            found.add(
                RuleFileError(f"the range of {name} is reversed: low is above high", hint="swap low and high"),
                ("reference_ranges", name),
                "reference_ranges",
            )
        ranges[measure.id] = ReferenceRange(bounds[0], bounds[1], source)
    return ranges


def _limit(text: str, measure, found: _Collector, path: tuple) -> Fraction | None:
    try:
        quantity = parse_quantity(text)
        factor = measure_factor(quantity.unit, measure.unit, measure.molar_mass, measure.valence)
    except EligibilityError as error:
        found.add(error, path, "reference_ranges")
        return None
    if factor is None:
        found.add(
            RuleFileError(
                f"unit {quantity.unit!r} cannot apply to {measure.id} (measured in {measure.unit or 'points'})",
                hint="use a convertible unit",
            ),
            path,
            "reference_ranges",
        )
        return None
    return Fraction(quantity.value) * factor


def _check_ids(spec: TrialSpec, found: _Collector) -> None:
    seen: set[str] = set()
    cohorts = {c.id for c in spec.cohorts}
    for index, criterion in enumerate(spec.criteria):
        if criterion.id in seen:
            found.add(
                RuleFileError(f"duplicate criterion id {criterion.id!r}", hint="give every criterion its own id"),
                ("criteria", index, "id"),
            )
        seen.add(criterion.id)
        if criterion.cohort is not None and criterion.cohort not in cohorts:
            found.add(
                RuleFileError(
                    f"unknown cohort {criterion.cohort!r}",
                    hint=f"declare it under `cohorts:` (declared: {', '.join(sorted(cohorts)) or 'none'})",
                ),
                ("criteria", index, "cohort"),
                f"criterion {criterion.id}",
            )


def _check_valid_criteria(items, vocabulary: Vocabulary, found: _Collector) -> None:
    """When the file as a whole does not fit the schema, still check the rules of the criteria that do."""
    if not isinstance(items, list):
        return
    for index, item in enumerate(items):
        try:
            criterion = CriterionSpec.model_validate(item)
        except ValidationError:
            continue
        _load_criterion(criterion, index, vocabulary, found)


def read_trial(
    text: str, file: str, vocabulary: Vocabulary | None = None
) -> tuple[Trial | None, list[EligibilityError]]:
    """A trial from rule-file text, and every problem found (the trial is None when there are any)."""
    vocabulary = vocabulary or default_vocabulary()
    try:
        data, positions = load_yaml(text, file)
    except EligibilityError as error:
        return None, [error]
    found = _Collector(file, text, positions)
    if not isinstance(data, dict):
        found.add(
            RuleFileError(
                "a rule file must be a mapping with `id:` and `criteria:`",
                hint="start the file with `id: <registry id>`",
            ),
            (),
        )
        return None, found.errors
    try:
        spec = TrialSpec.model_validate(data)
    except ValidationError as exc:
        for problem in problems(exc):
            found.add(RuleFileError(f"{problem.place}: {problem.message}", hint=problem.hint), problem.loc)
        _check_valid_criteria(data.get("criteria"), vocabulary, found)
        return None, found.in_order()
    _check_ids(spec, found)
    clauses = _population_clauses(spec, found)
    clauses += [_load_criterion(c, i, vocabulary, found) for i, c in enumerate(spec.criteria)]
    recency = None
    if spec.lab_recency is not None:
        try:
            recency = parse_duration(spec.lab_recency)
        except EligibilityError as error:
            found.add(error, ("lab_recency",), "lab_recency")
    ranges = _reference_ranges(spec.reference_ranges, f"trial {spec.id} reference table", vocabulary, found)
    if found.errors:
        return None, found.in_order()
    trial = Trial(
        id=spec.id,
        clauses=tuple(clauses),
        title=spec.title,
        registry=spec.registry,
        source=spec.source,
        url=spec.url,
        population=spec.population,
        lab_recency=recency,
        reference_ranges=ranges,
        cohorts={c.id: c.name for c in spec.cohorts},
        path=file,
    )
    return trial, []


def rule_files(paths: list[Path]) -> list[Path]:
    """The ``.yaml``/``.yml`` files named, or found directly inside named folders (any case), in sorted order;
    a file reached twice through links is listed once."""
    files: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".yaml", ".yml")) if path.is_dir() else [path]
        for file in found:
            real = file.resolve()
            if real not in seen and not (path.is_dir() and not file.is_file()):
                seen.add(real)
                files.append(file)
    return files


def _empty_folders(paths: list[Path]) -> list[EligibilityError]:
    return [
        RuleFileError(
            "no rule files (.yaml, .yml) in the folder",
            location=Location(file=str(path)),
            hint="give the folder that holds the trials' rule files",
        )
        for path in map(Path, paths)
        if path.is_dir() and not rule_files([path])
    ]


def check_files(paths: list[Path], vocabulary: Vocabulary | None = None) -> tuple[list[Trial], list[EligibilityError]]:
    """Load every rule file; return the trials that loaded and every problem of every file (a folder without
    rule files is one)."""
    trials: list[Trial] = []
    seen: dict[str, str] = {}
    errors: list[EligibilityError] = _empty_folders(paths)
    for path in rule_files(paths):
        try:
            text = read_text(path, "rule file", RuleFileError)
        except EligibilityError as error:
            errors.append(error)
            continue
        trial, found = read_trial(text, str(path), vocabulary)
        errors += found
        if trial is None:
            continue
        if trial.id in seen:
            errors.append(
                RuleFileError(
                    f"trial id {trial.id!r} is also used by {seen[trial.id]}",
                    location=Location(file=str(path)),
                    hint="give every trial its own id",
                )
            )
            continue
        seen[trial.id] = str(path)
        trials.append(replace(trial, path=str(path)))
    return trials, errors


def load_trials(paths: list[Path], vocabulary: Vocabulary | None = None) -> list[Trial]:
    """Load rule files; :class:`ErrorGroup` listing every problem if any file is invalid."""
    trials, errors = check_files(paths, vocabulary)
    if errors:
        raise ErrorGroup(errors, f"{len(errors)} problem(s) in rule files")
    return trials


def load_reference_table(path: Path, vocabulary: Vocabulary | None = None) -> dict[str, ReferenceRange]:
    """A site's reference table: a YAML mapping ``measure: {low: ..., high: ...}``."""
    vocabulary = vocabulary or default_vocabulary()
    text = read_text(path, "reference table", RuleFileError)
    data, positions = load_yaml(text, str(path))
    found = _Collector(str(path), text, positions)
    table: dict[str, RangeSpec] = {}
    if not isinstance(data, dict):
        found.add(
            RuleFileError(
                "a reference table must map measure names to {low, high}", hint="write e.g. `alt: {high: 40 U/L}`"
            ),
            (),
        )
    else:
        for name, limits in data.items():
            try:
                table[str(name)] = RangeSpec.model_validate(limits)
            except ValidationError as exc:
                for problem in problems(exc):
                    found.add(
                        RuleFileError(f"{name}.{problem.place}: {problem.message}", hint=problem.hint),
                        (name, *problem.loc),
                    )
    ranges = _reference_ranges(table, f"site reference table {Path(path).name}", vocabulary, found)
    if found.errors:
        raise ErrorGroup(found.errors, f"{len(found.errors)} problem(s) in the reference table")
    return ranges
