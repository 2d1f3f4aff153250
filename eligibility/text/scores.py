"""Classes and scores written as lists or Roman numerals: "ECOG 0 or 1", "NYHA III-IV", "ASA I to III",
"ECOG performance status =2", "NYHA心功能分级III-IV级" — read as the range (or the value) of the score; and blood
pressure pairs ("BP > 140/90 mmHg", text.pressures)."""

from __future__ import annotations

import re
from decimal import Decimal

from eligibility.lang import ast
from eligibility.text.lexicon import NameHit, lexicon
from eligibility.text.pressures import pressure_pairs
from eligibility.vocab.vocabulary import Vocabulary

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6}
_VALUE = r"(?:10|[0-9]|VI|IV|V|I{1,3})(?![A-Za-z0-9]|[.,]\d)"
_WORDS = (
    r"(?:\s*(?:\([^()]{0,60}\)|[)）]|class(?:es)?|grades?|classification|scores?|status|performance|functional|physical|"
    r"of|is|must\s+be|be|between|[:：=]|分级|评分|级|分))*\s*"
)
_LIST = re.compile(
    _WORDS
    + rf"(?P<first>{_VALUE})"
    + rf"(?P<rest>(?:\s*(?:,|，|、|/|or|and|and/or|或|-|–|~|to|至|through)\s*{_VALUE})*)\s*(?:级|分)?"
)
# What may follow a class list: the end of the item or of a clause, never "or higher", "+", "以上".
_ENDED = re.compile(
    r"\s*(?:$|[.,;:，；。：)）]|(?:and|with|or)\s+(?!(?:higher|more|greater|above|less|lower|below|worse|better)\b)[A-Za-z])"
)
_COMPARED_BEFORE = re.compile(
    r"(?i)(?:[<>≤≥]=?|\b(?:more|greater|less|higher|lower|worse|better)\s+than"
    r"|\b(?:over|above|under|below|at least|at most))\s*$"
)
_RANGE_WORD = re.compile(r"-|–|~|to|至|through")


def _number(word: str) -> int:
    return _ROMAN[word] if word in _ROMAN else int(word)


def _leaf(measure: str, op: str, value: int, hit: NameHit) -> ast.Comparison:
    quantity = ast.Quantity(value=Decimal(value), unit="")
    return ast.Comparison(measure=measure, op=op, quantity=quantity, measure_text=hit.text)


def _values(first: str, rest: str) -> tuple[int, int] | None:
    """The lowest and highest value listed, when the list is a range or consecutive values."""
    words = [first, *re.findall(_VALUE, rest)]
    numbers = [_number(w) for w in words]
    if _RANGE_WORD.search(rest) and len(numbers) == 2 and numbers[0] <= numbers[1]:
        return numbers[0], numbers[1]
    if sorted(numbers) == list(range(min(numbers), max(numbers) + 1)):
        return min(numbers), max(numbers)
    return None


def score_lists(text: str, vocabulary: Vocabulary, taken) -> list[tuple[ast.Node, tuple[int, int]]]:
    """Score leaves read from class lists after a score's name, with the span each accounts for; ``taken(start)``
    tells whether a position is already read."""
    found = []
    for hit in lexicon(vocabulary).measures.find(text):
        measure = vocabulary.measures[hit.id]
        if measure.unit or measure.qualitative or taken(hit.start):
            continue
        if _COMPARED_BEFORE.search(text, max(0, hit.start - 20), hit.start):
            continue  # "Co-morbidity > ASA II": more than class II, not class II
        match = _LIST.match(text, hit.end)
        if match is None or taken(match.start("first")):
            continue
        if not _ENDED.match(text, match.end()):
            continue  # "score of 5 or higher", "ECOG 2 points or less": a comparison, read by the grammar
        bounds = _values(match.group("first"), match.group("rest"))
        roman = match.group("first") in _ROMAN
        if bounds is None or (roman and hit.id == "ecog"):
            continue
        low, high = bounds
        if low == high:
            node: ast.Node = _leaf(hit.id, "==", low, hit)
        else:
            node = ast.AllOf(items=(_leaf(hit.id, ">=", low, hit), _leaf(hit.id, "<=", high, hit)))
        found.append((node, (hit.start, match.end())))
    return found + pressure_pairs(text, taken)
