"""Finding vocabulary names (measures, concepts) in criteria text.

Names are looked up as word n-grams in a dictionary (longest first, no overlaps): English names ignore case,
except short abbreviations with capitals ("PT", "Hb", "EF"), which must match their case; Chinese names are
looked up as substrings of runs of Chinese characters. Built once per vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..vocabulary import Vocabulary, name_key

_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’\-.][A-Za-z0-9]+)*|[\u4e00-\u9fff]+")
_MAX_WORDS = 8
_MAX_CJK = 12


@dataclass(frozen=True, slots=True)
class NameHit:
    """A vocabulary name found in text: where, which entry (id), and the words as written."""

    start: int
    end: int
    id: str
    text: str


def _case_sensitive(name: str) -> bool:
    return len(name) <= 4 and any(c.isupper() for c in name)


class NameFinder:
    """Finds the names of one class (e.g. all measures) in text, longest match first, no overlaps."""

    def __init__(self, names: dict[str, str]) -> None:
        self._exact: dict[str, str] = {}
        self._folded: dict[str, str] = {}
        self._cjk: dict[str, str] = {}
        for name, identifier in names.items():
            if _CJK_CHAR.search(name) and not re.search(r"[A-Za-z0-9]", name):
                self._cjk.setdefault(name.replace(" ", ""), identifier)
            elif _case_sensitive(name):
                self._exact.setdefault(" ".join(_TOKEN.findall(name)), identifier)
            else:
                self._folded.setdefault(" ".join(_TOKEN.findall(name_key(name))), identifier)

    def _lookup(self, words: list[str]) -> str | None:
        joined = " ".join(words)
        return self._exact.get(joined) or self._folded.get(joined.casefold())

    def find(self, text: str) -> list[NameHit]:
        """Every name in ``text``, left to right."""
        tokens = list(_TOKEN.finditer(text))
        hits: list[NameHit] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            found = self._longest(tokens, index, text)
            if found is None and _CJK_CHAR.match(token.group(0)):
                hits += self._find_cjk(token)
                index += 1
                continue
            if found is None:
                index += 1
                continue
            hit, width = found
            hits.append(hit)
            index += width
        return hits

    def _longest(self, tokens: list, index: int, text: str) -> tuple[NameHit, int] | None:
        for width in range(min(_MAX_WORDS, len(tokens) - index), 0, -1):
            span = tokens[index:index + width]
            identifier = self._lookup([t.group(0) for t in span])
            if identifier is not None:
                start, end = span[0].start(), span[-1].end()
                return NameHit(start, end, identifier, text[start:end]), width
        return None

    def _find_cjk(self, token) -> list[NameHit]:
        run, offset, hits, position = token.group(0), token.start(), [], 0
        while position < len(run):
            for length in range(min(_MAX_CJK, len(run) - position), 1, -1):
                identifier = self._cjk.get(run[position:position + length])
                if identifier is not None:
                    start = offset + position
                    hits.append(NameHit(start, start + length, identifier, run[position:position + length]))
                    position += length
                    break
            else:
                position += 1
        return hits


@dataclass(frozen=True)
class Lexicon:
    """Name finders for measures and for each concept category."""

    measures: NameFinder
    concepts: dict[str, NameFinder]


def _names(entries, category: str | None = None) -> dict[str, str]:
    names: dict[str, str] = {}
    for entry in entries:
        if category is None or entry.category == category:
            for name in (entry.name, *entry.aliases):
                names.setdefault(name, entry.id)
    return names


@lru_cache(maxsize=4)
def lexicon(vocabulary: Vocabulary) -> Lexicon:
    """The lexicon of a vocabulary (cached)."""
    categories = ("condition", "medication", "procedure", "immunization", "event")
    concepts = vocabulary.concepts.values()
    return Lexicon(NameFinder(_names(vocabulary.measures.values())),
                   {c: NameFinder(_names(concepts, c)) for c in categories})
