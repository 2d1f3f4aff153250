"""Registry record → drafted clauses: items segmented, split into sub-clauses, each read with the criteria grammar.

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

from eligibility.registry.records import Record, read_record
from eligibility.registry.splitting import split_clause, suffix
from eligibility.text import parse_criterion
from eligibility.text.lexicon import lexicon
from eligibility.text.rules import Draft, draft_rule
from eligibility.text.segment import Item, segment
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
class DraftedClause:
    """One drafted criterion (becomes a ``CriterionSpec`` of the rule file)."""

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
    clauses: list[DraftedClause]
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
    ) -> list[DraftedClause]:
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
                    self.ids.unique(suffix(identifier, index)),
                    cohort,
                    alt.children[index] if alt and index < len(alt.children) else None,
                    listed,
                )
            ]
        texts = pieces(item.text, kind) if not item.children else [item.text]
        alts = pieces(alt.text, kind) if alt is not None and not item.children else [alt.text] if alt else []
        for index, text in enumerate(texts):
            name = identifier if len(texts) == 1 else self.ids.unique(suffix(identifier, index))
            aligned = len(alts) == len(texts)
            other = alts[index] if aligned else (alt.text if alt is not None and index == 0 else None)
            result.append(self._clause(name, kind, text, other, cohort, listed, aligned))
        requirements = bool(_REQUIREMENTS.search(item.text)) and not _ALTERNATIVES.search(item.text)
        alternatives = listed or (kind == "inclusion" and (item.depth >= 1 or not requirements))
        for index, child in enumerate(item.children):
            child_alt = alt.children[index] if alt is not None and index < len(alt.children) else None
            result += self.clauses(child, self.ids.unique(suffix(identifier, index)), cohort, child_alt, alternatives)
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
    ) -> DraftedClause:
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
        return DraftedClause(identifier, kind, text, draft, alt_text, cohort, notes)


def _concept_hits(text: str, vocabulary: Vocabulary, category: str) -> list[str]:
    return [hit.id for hit in lexicon(vocabulary).concepts[category].find(text)]


def _cohort_groups(items: list[Item]) -> set[str]:
    """Sub-headings that name cohorts: at least two of them over the items of one kind (inclusion or exclusion),
    and none that says it concerns everyone ("For all workers")."""
    by_kind: dict[str | None, set[str]] = {}
    for item in items:
        if item.group and not re.match(r"(?i)\s*(?:for\s+)?(?:all|every|both)\b", item.group):
            by_kind.setdefault(item.kind, set()).add(item.group)
    return {group for groups in by_kind.values() if len(groups) > 1 for group in groups}


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
    clauses: list[DraftedClause] = []
    for block in primary:
        items = segment(block.text, block.kind)
        others = segment(secondary[block.kind].text, block.kind) if block.kind in secondary else []
        groups = _cohort_groups(items)
        for position, item in enumerate(items):
            cohort = drafter.cohort(item.group) if item.group in groups else None
            alt = others[position] if position < len(others) else None
            for clause in drafter.clauses(item, drafter.ids.top(item, cohort), cohort, alt):
                clauses += split_clause(clause)
    identifier = record.id or Path(record.source).stem
    return Imported(record, identifier, clauses, drafter.cohorts)
