"""Registry record → draft trial (the ``rules/`` YAML), with a coverage summary and hand-correction overrides.

Each item of the record becomes a criterion with its verbatim text; long items are split into sub-clauses at
";" and between sentences (except inclusion items that list alternatives, "one of the following"). Each
clause is read with the criteria grammar; what it reads becomes the clause's rule, what it cannot read stays
for review. For ChiCTR records the English items are read and the Chinese ones kept beside them as
``alt_text``, and the numbers in both are compared as a cross-check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from eligibility.errors import EligibilityError
from eligibility.inputs import read_yaml_mapping
from eligibility.lang.render import render
from eligibility.registry.records import Record, read_record
from eligibility.text import parse_criterion
from eligibility.text.output import rule_of
from eligibility.text.rules import Draft, draft_rule
from eligibility.text.segment import Item, segment
from eligibility.trials.dump import dump_trial
from eligibility.vocab.vocabulary import Vocabulary, default_vocabulary

_ALTERNATIVES = re.compile(
    r"(?i)\b(?:one of the following|any of the following|at least one of|either)\b|"
    r"以下任意一项|以下一项|之一"
)
_REQUIREMENTS = re.compile(
    r"(?i)following requirements|all of the following|the following criteria|must (?:meet|have|"
    r"satisfy)|满足以下|符合以下"
)
_SENTENCE = re.compile(r"(?<![A-Z]\.)(?<!e\.g)(?<!i\.e)(?<!etc)(?<!\bvs)(?<!\bDr)(?<!\bNo)\.\s+(?=[A-Z(])|(?<=。)")
_NUMBERS = re.compile(r"\d+(?:\.\d+)?")


@dataclass
class Clause:
    """One drafted criterion."""

    id: str
    kind: str
    text: str
    draft: Draft
    alt_text: str | None = None
    cohort: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Imported:
    """A drafted trial: the data of its rule file and the clauses behind it."""

    record: Record
    id: str
    clauses: list[Clause]
    cohorts: dict[str, str]

    def coverage(self) -> dict[str, int]:
        """How many clauses have a complete rule, a partial rule, or need review."""
        counts = {"rule": 0, "partial": 0, "review": 0}
        for clause in self.clauses:
            counts[clause.draft.coverage] += 1
        return counts


def pieces(text: str, kind: str) -> list[str]:
    """The sub-clauses of an item: split at ";" and between sentences, unless it lists alternatives."""
    if kind == "inclusion" and _ALTERNATIVES.search(text):
        return [text]
    parts = [p.strip() for chunk in re.split(r"[;；]\s*", text) for p in _SENTENCE.split(chunk)]
    parts = [p for p in parts if len(re.sub(r"\W", "", p)) >= 3]
    return parts if len(parts) > 1 else [text]


def _walk(items: list[Item]):
    for item in items:
        yield item
        yield from _walk(item.children)


class _Ids:
    """Criterion ids that follow the record's own numbering, unique within the trial."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.notes: dict[str, int] = {}
        self.counts: dict[tuple, int] = {}

    def top(self, item: Item, cohort: str | None) -> str:
        prefix = "I" if item.kind == "inclusion" else "E" if item.kind == "exclusion" else "C"
        key = (cohort, prefix)
        if item.number and item.number.isdigit():
            self.counts[key] = int(item.number)
            base = f"{prefix}{item.number}"
        elif item.marker:
            self.counts[key] = self.counts.get(key, 0) + 1
            base = f"{prefix}{self.counts[key]}"
        else:
            self.notes[prefix] = self.notes.get(prefix, 0) + 1
            base = f"{prefix}0" if self.notes[prefix] == 1 else f"{prefix}0-{self.notes[prefix]}"
        return self.unique(f"{cohort}-{base}" if cohort else base)

    def unique(self, candidate: str) -> str:
        name, count = candidate, 1
        while name in self.used:
            count += 1
            name = f"{candidate}-{count}"
        self.used.add(name)
        return name


def _suffix(parent: str, index: int) -> str:
    return (
        f"{parent}{chr(ord('a') + index)}"
        if not re.search(r"[a-z]$", parent) and index < 26
        else f"{parent}-{index + 1}"
    )


class _Drafter:
    """Turns the segmented items of a record into clauses."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.ids = _Ids()
        self.cohorts: dict[str, str] = {}

    def cohort(self, group: str | None) -> str | None:
        if group is None:
            return None
        hits = [h for category in ("condition",) for h in _concept_hits(group, self.vocabulary, category)]
        key = hits[-1] if hits else re.sub(r"[^a-z0-9]+", "_", group.lower()).strip("_")[:30]
        self.cohorts.setdefault(key, group)
        return key

    def clauses(
        self, item: Item, identifier: str, cohort: str | None, alt: Item | None, listed: bool = False
    ) -> list[Clause]:
        """Clauses of an item and its sub-items. Sub-items of an inclusion item that lists alternatives, or
        nested two levels down (definitions, alternatives), are kept for review rather than read as rules
        that would all have to hold."""
        kind = item.kind or "inclusion"
        result = []
        if not item.text.strip():  # a bare marker over a list: the list items are the criteria
            return [
                clause
                for index, child in enumerate(item.children)
                for clause in self.clauses(
                    child,
                    self.ids.unique(_suffix(identifier, index)),
                    cohort,
                    alt.children[index] if alt and index < len(alt.children) else None,
                    listed,
                )
            ]
        texts = pieces(item.text, kind) if not item.children else [item.text]
        alts = pieces(alt.text, kind) if alt is not None and not item.children else [alt.text] if alt else []
        for index, text in enumerate(texts):
            name = identifier if len(texts) == 1 else self.ids.unique(_suffix(identifier, index))
            aligned = len(alts) == len(texts)
            other = alts[index] if aligned else (alt.text if alt is not None and index == 0 else None)
            result.append(self._clause(name, kind, text, other, cohort, listed, aligned))
        requirements = bool(_REQUIREMENTS.search(item.text)) and not _ALTERNATIVES.search(item.text)
        alternatives = listed or (kind == "inclusion" and (item.depth >= 1 or not requirements))
        for index, child in enumerate(item.children):
            child_alt = alt.children[index] if alt is not None and index < len(alt.children) else None
            result += self.clauses(child, self.ids.unique(_suffix(identifier, index)), cohort, child_alt, alternatives)
        return result

    def _clause(
        self,
        identifier: str,
        kind: str,
        text: str,
        alt_text: str | None,
        cohort: str | None,
        listed: bool = False,
        aligned: bool = True,
    ) -> Clause:
        draft = draft_rule(parse_criterion(text, self.vocabulary), kind)
        notes = []
        if listed:
            draft = Draft(None, "review", draft.leftover)
            notes.append("one of a list of alternatives or definitions; judge with the item above")
        if alt_text is not None:
            other = draft_rule(parse_criterion(alt_text, self.vocabulary), kind)
            if draft.coverage == "review" and other.coverage != "review" and aligned:
                draft = other
                notes.append("rule read from the Chinese text")
            if sorted(_NUMBERS.findall(text)) != sorted(_NUMBERS.findall(alt_text)):
                notes.append(
                    f"cross-check: the numbers differ between languages "
                    f"({', '.join(_NUMBERS.findall(text)) or 'none'} / "
                    f"{', '.join(_NUMBERS.findall(alt_text)) or 'none'})"
                )
        if draft.coverage == "partial":
            notes.append(f"partly read; not read: {draft.leftover}")
        return Clause(identifier, kind, text, draft, alt_text, cohort, notes)


def _piece_text(text: str, start: int, end: int) -> str:
    return re.sub(r"^(?:[\s,;，；]|(?i:or|and|and/or)\b|[或和])+", "", text[start:end]).strip(" ,;，；")


def _separator(text: str, after: int, before: int) -> int | None:
    """Where to cut between two parts: the last ", ", ";", " or ", " and " between them, outside parentheses."""
    found = None
    for match in re.finditer(r"[,;，；、]|(?i:\s(?:and/or|or|and)\s)|[或和]", text[after:before]):
        position = after + match.start()
        if re.match(
            r"(?i)[,;，；、\s]*(?:or\s+|and\s+)?(?:such as|e\.g|including|like|especially|particularly|如|例如|包括)",
            text[position:],
        ):
            return None
        if text[:position].count("(") + text[:position].count("（") <= text[:position].count(")") + text[
            :position
        ].count("）"):
            found = position
    return found


def _parts(node) -> list:
    from eligibility.lang import ast as ast_module

    return list(node.items) if isinstance(node, (ast_module.AnyOf, ast_module.AllOf)) else [node]


def _subject_of(node) -> tuple:
    from eligibility.lang import ast as ast_module

    leaves = [n for n in ast_module.walk(node) if isinstance(n, ast_module.LEAF_TYPES)]
    return tuple(sorted({getattr(n, "measure", None) or getattr(n, "concept", None) or n.kind for n in leaves}))


def split_clause(clause: Clause) -> list[Clause]:
    """A fully read item whose parts are independent ("Serum creatinine > 2.5mg/dl or ALT / AST > 3 times ULN or
    bilirubin > 2.0mg/dl") becomes one sub-clause per part, each with its slice of the verbatim text. Parts join
    the way clauses do: inclusion parts must all pass, exclusion parts each exclude."""
    from eligibility.lang import ast as ast_module

    rule = clause.draft.rule
    joined = ast_module.AnyOf if clause.kind == "exclusion" else ast_module.AllOf
    if clause.draft.coverage != "rule" or not isinstance(rule, joined) or len(rule.items) < 2:
        return [clause]
    parts = rule.items
    spans = [[n.span for n in ast_module.walk(p) if n.span] for p in parts]
    subjects = [_subject_of(p) for p in parts]
    if not all(spans) or len(set(subjects)) < len(subjects):
        return [clause]
    bounds = [(min(s.start for s in group), max(s.end for s in group)) for group in spans]
    cuts = [_separator(clause.text, bounds[i][1], bounds[i + 1][0]) for i in range(len(parts) - 1)]
    if None in cuts or bounds != sorted(bounds):
        return [clause]
    result, start = [], 0
    for index, part in enumerate(parts):
        stop = len(clause.text) if index == len(parts) - 1 else cuts[index]
        text = _piece_text(clause.text, start, stop)
        draft = Draft(part, "rule", "")
        result.append(
            Clause(
                _suffix(clause.id, index),
                clause.kind,
                text,
                draft,
                None,
                clause.cohort,
                list(clause.notes) if index == 0 else [],
            )
        )
        start = stop
    if clause.alt_text:
        result[0].notes.append(f"the Chinese text of the whole item: {clause.alt_text}")
    return result


def _concept_hits(text: str, vocabulary: Vocabulary, category: str) -> list[str]:
    from eligibility.text.lexicon import lexicon

    return [hit.id for hit in lexicon(vocabulary).concepts[category].find(text)]


def import_record(path: Path, vocabulary: Vocabulary | None = None) -> Imported:
    """Draft a trial from a registry record file."""
    return draft_record(read_record(path), vocabulary)


def draft_record(record: Record, vocabulary: Vocabulary | None = None) -> Imported:
    """Draft a trial from a registry record already read."""
    vocabulary = vocabulary or default_vocabulary()
    drafter = _Drafter(vocabulary)
    primary = [b for b in record.blocks if b.language == "en" and b.text.strip()] or [
        b for b in record.blocks if b.text.strip()
    ]
    secondary = {b.kind: b for b in record.blocks if b not in primary and b.text.strip()}
    clauses: list[Clause] = []
    for block in primary:
        items = segment(block.text, block.kind)
        others = segment(secondary[block.kind].text, block.kind) if block.kind in secondary else []
        groups = {item.group for item in items if item.group}
        for position, item in enumerate(items):
            cohort = drafter.cohort(item.group) if len(groups) > 1 else None
            alt = others[position] if position < len(others) else None
            for clause in drafter.clauses(item, drafter.ids.top(item, cohort), cohort, alt):
                clauses += split_clause(clause)
    identifier = record.id or Path(record.source).stem
    return Imported(record, identifier, clauses, drafter.cohorts)


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
    data["criteria"] = [_criterion(c) for c in imported.clauses]
    return {k: v for k, v in data.items() if v is not None}


def _criterion(clause: Clause) -> dict:
    entry: dict = {"id": clause.id, "kind": clause.kind, "text": clause.text}
    if clause.alt_text:
        entry["alt_text"] = clause.alt_text
    if clause.cohort:
        entry["cohort"] = clause.cohort
    if clause.draft.rule is not None:
        entry["rule"] = render(rule_of(clause.draft, clause.text))
    if clause.notes:
        entry["note"] = "; ".join(clause.notes)
    return entry


def apply_overrides(data: dict, overrides: dict) -> dict:
    """Hand corrections on top of a draft: trial fields replaced, criteria fields replaced or criteria split
    into several, criteria added. Unknown criterion ids are an error so that a stale override is noticed."""
    result = {**data, **overrides.get("trial", {})}
    by_id = {c["id"]: c for c in data["criteria"]}
    criteria = []
    changes = overrides.get("criteria", {})
    missing = sorted(set(changes) - set(by_id))
    if missing:
        raise EligibilityError(
            f"overrides name criteria the import does not produce: {', '.join(missing)}",
            hint="update the override file to the current criterion ids",
        )
    for criterion in data["criteria"]:
        change = changes.get(criterion["id"])
        if change is None:
            criteria.append(criterion)
        elif "split" in change:
            criteria += [{"kind": criterion["kind"], **part} for part in change["split"]]
        else:
            merged = {**criterion, **change}
            criteria.append({k: v for k, v in merged.items() if v is not None})
    criteria += overrides.get("add", [])
    result["criteria"] = criteria
    return result


def find_overrides(record: Path, directory: Path) -> Path | None:
    """The override file in ``directory`` whose ``record:`` names this record's file, if any."""
    if not directory.is_dir():
        return None
    for path in sorted(directory.glob("*.yaml")):
        if read_yaml_mapping(path, "overrides file").get("record") == Path(record).name:
            return path
    return None


def draft_trial(record: Path, overrides: Path | None = None, use_bundled: bool = True) -> tuple[str, str]:
    """The rule-file YAML drafted from a record (with its overrides) and a one-line coverage summary."""
    from eligibility.resources import bundled_rules_dir

    imported = import_record(record)
    data = trial_data(imported)
    chosen = overrides or (find_overrides(record, bundled_rules_dir() / "overrides") if use_bundled else None)
    if chosen is not None:
        data = apply_overrides(data, read_yaml_mapping(chosen, "overrides file"))
    counts = imported.coverage()
    total = sum(counts.values())
    summary = (
        f"{data['id']}: {total} clauses drafted — {counts['rule']} read fully, {counts['partial']} partly, "
        f"{counts['review']} left for review" + (f"; corrections from {chosen}" if chosen else "")
    )
    header = (
        f"# Drafted by `eligibility import {Path(record).name}`"
        + (f" with the corrections in {Path(chosen).name}" if chosen else "")
        + ".\n"
    )
    return header + dump_trial(data), summary
