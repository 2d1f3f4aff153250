"""Finding vocabulary names (measures, concepts) in criteria text.

One regular expression per name class, longest names first. English names match on word boundaries,
ignoring case, except short abbreviations with capitals ("PT", "Hb", "EF"), which must match their case;
Chinese names match anywhere. Built once per vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..vocabulary import Vocabulary, name_key

_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class NameHit:
    """A vocabulary name found in text: where, which entry (id), and the words as written."""

    start: int
    end: int
    id: str
    text: str


def _pattern(name: str) -> str:
    escaped = re.escape(name).replace(r"\ ", r"\s+")
    if _CJK.search(name):
        return escaped
    case_sensitive = len(name) <= 4 and any(c.isupper() for c in name)
    body = escaped if case_sensitive else f"(?i:{escaped})"
    return rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])"


class NameFinder:
    """Finds the names of one class (e.g. all measures) in text, longest match first, no overlaps."""

    def __init__(self, names: dict[str, str]) -> None:
        ordered = sorted(names, key=len, reverse=True)
        self._ids = {name_key(n): names[n] for n in ordered}
        parts = [_pattern(n) for n in ordered if len(n.strip()) >= 2]
        self._regex = re.compile("|".join(parts)) if parts else None

    def find(self, text: str) -> list[NameHit]:
        """Every name in ``text``, left to right."""
        if self._regex is None:
            return []
        hits = []
        for match in self._regex.finditer(text):
            key = name_key(match.group(0))
            identifier = self._ids.get(key)
            if identifier is not None:
                hits.append(NameHit(match.start(), match.end(), identifier, match.group(0)))
        return hits


@dataclass(frozen=True)
class Lexicon:
    """Name finders for measures and for each concept category."""

    measures: NameFinder
    concepts: dict[str, NameFinder]


def _measure_names(vocabulary: Vocabulary) -> dict[str, str]:
    names: dict[str, str] = {}
    for measure in vocabulary.measures.values():
        for name in (measure.name, *measure.aliases):
            names.setdefault(name, measure.id)
    return names


def _concept_names(vocabulary: Vocabulary, category: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for concept in vocabulary.concepts.values():
        if concept.category == category:
            for name in (concept.name, *concept.aliases):
                names.setdefault(name, concept.id)
    return names


@lru_cache(maxsize=4)
def lexicon(vocabulary: Vocabulary) -> Lexicon:
    """The lexicon of a vocabulary (cached)."""
    categories = ("condition", "medication", "procedure", "immunization", "event")
    return Lexicon(NameFinder(_measure_names(vocabulary)),
                   {c: NameFinder(_concept_names(vocabulary, c)) for c in categories})
