"""Finding vocabulary names (measures, concepts) in criteria text.

Names are looked up as word n-grams in a dictionary (longest first, no overlaps; never right after a separate
"non", which negates the name that follows): English names ignore case,
except short abbreviations with capitals ("PT", "Hb", "EF"), which must match their case; Chinese names are
looked up as substrings of runs of Chinese characters. Built once per vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from eligibility.lang.ast import CATEGORIES
from eligibility.vocab.vocabulary import Vocabulary, name_key

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


def _negated(folded: list[str], index: int) -> bool:
    """Whether the word before ``index`` is "non" written apart ("non ischemic cardiomyopathy"): the name there
    means the opposite, so only a name that starts later (cardiomyopathy) is read."""
    return index > 0 and folded[index - 1] == "non"


def _case_sensitive(name: str) -> bool:
    return len(name) <= 4 and any(c.isupper() for c in name)


class NameFinder:
    """Finds the names of one class (e.g. all measures) in text, longest match first, no overlaps."""

    def __init__(self, names: dict[str, str]) -> None:
        self._exact: dict[str, str] = {}
        self._folded: dict[str, str] = {}
        self._cjk: dict[str, str] = {}
        self._widths: dict[str, int] = {}  # first word (case-folded) → most words of a name starting with it
        for name, identifier in names.items():
            if _CJK_CHAR.search(name) and not re.search(r"[A-Za-z0-9]", name):
                self._cjk.setdefault(name.replace(" ", ""), identifier)
                continue
            words = _TOKEN.findall(name if _case_sensitive(name) else name_key(name))
            if not words:
                continue
            table = self._exact if _case_sensitive(name) else self._folded
            table.setdefault(" ".join(words), identifier)
            first = words[0].casefold()
            self._widths[first] = max(self._widths.get(first, 0), len(words))

    def _lookup(self, words: list[str], folded: list[str]) -> str | None:
        return self._exact.get(" ".join(words)) or self._folded.get(" ".join(folded))

    def find(self, text: str) -> list[NameHit]:
        """Every name in ``text``, left to right."""
        tokens = list(_TOKEN.finditer(text))
        words = [t.group(0) for t in tokens]
        folded = [w.casefold() for w in words]
        hits: list[NameHit] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            found = self._longest(tokens, words, folded, index, text) if not _negated(folded, index) else None
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

    def _longest(
        self, tokens: list, words: list[str], folded: list[str], index: int, text: str
    ) -> tuple[NameHit, int] | None:
        widest = self._widths.get(folded[index], 0)
        for width in range(min(widest, len(tokens) - index), 0, -1):
            identifier = self._lookup(words[index : index + width], folded[index : index + width])
            if identifier is not None:
                start, end = tokens[index].start(), tokens[index + width - 1].end()
                return NameHit(start, end, identifier, text[start:end]), width
        return None

    def _find_cjk(self, token) -> list[NameHit]:
        run, offset, hits, position = token.group(0), token.start(), [], 0
        while position < len(run):
            for length in range(min(_MAX_CJK, len(run) - position), 1, -1):
                identifier = self._cjk.get(run[position : position + length])
                if identifier is not None:
                    start = offset + position
                    hits.append(NameHit(start, start + length, identifier, run[position : position + length]))
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
    concepts = vocabulary.concepts.values()
    return Lexicon(
        NameFinder(_names(vocabulary.measures.values())), {c: NameFinder(_names(concepts, c)) for c in CATEGORIES}
    )
