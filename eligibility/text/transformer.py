"""Lark parse trees of criteria text (``grammars/criteria.lark``) → phrases.

With :mod:`eligibility.transformer`, the only place that knows lark's trees; here they become the
:mod:`phrases <eligibility.freetext.phrases>` that attribution turns into atoms and rules.
"""

from __future__ import annotations

import re
from decimal import Decimal

from lark import Token, Transformer

from eligibility.text.phrases import Amount, AmountKind, Phrase, PhraseKind
from eligibility.vocab.units import canonical_unit

_OPS = {"LE": "<=", "GE": ">=", "LT": "<", "GT": ">", "POSTFIX_GE": ">=", "POSTFIX_LE": "<="}
_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "twice": 2,
    "single": 1,
    "double": 2,
    "triple": 3,
    "thrice": 3,
}
# "below the lower limit of normal (<= 5.0 g/L)": a number in parentheses right after restates the limit, and the two
# disagree wherever the laboratory's limit differs; the limit without a number is then not read.
_RESTATED = re.compile(r"\s*[(\[][^)\]]*\d")
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
_TIGHT = re.compile(
    r"(?i)^[\s\-]*(?:(?:consecutive|continuous|successive|straight|full|complete|calendar|total|"
    r"cumulative|previous|preceding|prior|past|last|gestational|additional)\s+)?$"
)
_WORDS_RE = re.compile(r"[A-Za-z]+")
_CLOSE = re.compile(r"^[\s),]*$")
_CHINESE = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_TIME = {
    "h": "hour",
    "hr": "hour",
    "hrs": "hour",
    "hour": "hour",
    "hours": "hour",
    "小时": "hour",
    "d": "day",
    "day": "day",
    "days": "day",
    "天": "day",
    "日": "day",
    "w": "week",
    "wk": "week",
    "wks": "week",
    "week": "week",
    "weeks": "week",
    "周": "week",
    "星期": "week",
    "mo": "month",
    "mos": "month",
    "month": "month",
    "months": "month",
    "个月": "month",
    "月": "month",
    "y": "year",
    "yr": "year",
    "yrs": "year",
    "year": "year",
    "years": "year",
    "年": "year",
    "岁": "year",
    "周岁": "year",
    "min": "minute",
    "mins": "minute",
    "minute": "minute",
    "minutes": "minute",
}
_UNIT_WORDS = [
    (re.compile(r"(?i)^(?:x|\*)\s*10(9|12|6|3)(?=\s*/)"), r"10^\1", "read 'x 10{0}' as x 10^{0} (lost superscript)"),
    (re.compile(r"(?i)^(?:(?:x|\*)\s*)?10\?(?=\s*/)"), "10^9", "read '10?' as 10^9 (lost superscript)"),
]
_UNIT_SYNONYMS = [
    (re.compile(r"\s*/\s*"), "/"),
    (re.compile(r"^[Kk]/(?i:ul|mcl|microlit(?:er|re))$"), "10^3/uL"),
    (re.compile(r"^[Kk]/(?i:mm3|mm\^3|cumm|cu\.?\s?mm|cubic millimet(?:er|re))$"), "10^3/mm^3"),
    (re.compile(r"(?i)^milliseconds?$"), "ms"),
    (re.compile(r"(?i)^(?:kilograms?|kgs)$"), "kg"),
    (re.compile(r"(?i)^(?:millimet(?:er|re)s?|mm) of mercury$"), "mmHg"),
    (re.compile(r"(?i)^centimet(?:er|re)s?$"), "cm"),
    (re.compile(r"(?i)^millimet(?:er|re)s?$"), "mm"),
    (re.compile(r"(?i)\s*per\s+(?:cubic millimet(?:er|re)|cu\.?\s?mm|mm3)"), "/mm^3"),
    (re.compile(r"(?i)\s*per\s+microlit(?:er|re)|/\s*mcl\b"), "/uL"),
    (re.compile(r"(?i)\s*per\s+lit(?:er|re)"), "/L"),
    (re.compile(r"(?i)\s*per\s+decilit(?:er|re)"), "/dL"),
    (re.compile(r"(?i)\s*per\s+millilit(?:er|re)"), "/mL"),
    (re.compile(r"(?i)\s*per\s+(day|kg)"), r"/\1"),
    (re.compile(r"(?i)/cu\.?\s?mm|/cumm"), "/mm^3"),
    (re.compile(r"(?i)^mm hg$"), "mmHg"),
    (re.compile(r"(?i)^(?:percent|per cent)$"), "%"),
    (re.compile(r"(?i)^beats?(?:\s+per\s+|\s*/\s*)min(?:ute)?$"), "bpm"),
    (re.compile(r"(?i)^breaths?(?:\s+per\s+|/)min(?:ute)?$"), "/min"),
    (re.compile(r"(?i)^(?:pounds|lbs)$"), "lb"),
    (re.compile(r"(?i)\s*per\s+1\.73\s*m2?"), "/1.73m^2"),
    (re.compile(r"^个细胞/"), "cells/"),
    (re.compile(r"^个/"), "/"),
    (re.compile(r"^克/升$"), "g/L"),
    (re.compile(r"^克/分升$"), "g/dL"),
    (re.compile(r"^毫克/分升$"), "mg/dL"),
    (re.compile(r"^微摩尔/升$"), "umol/L"),
    (re.compile(r"^毫摩尔/升$"), "mmol/L"),
    (re.compile(r"(?i)^(?:milligrams?)(?=/|$)"), "mg"),
    (re.compile(r"(?i)^(?:micrograms?)(?=/|$)"), "ug"),
    (re.compile(r"(?i)^(?:nanograms?)(?=/|$)"), "ng"),
    (re.compile(r"(?i)^(?:picograms?)(?=/|$)"), "pg"),
    (re.compile(r"(?i)^(?:grams?|gms?)(?=/|$)"), "g"),
    (re.compile(r"(?i)^(?:millimol(?:es?)?)(?=/|$)"), "mmol"),
    (re.compile(r"(?i)^(?:micromol(?:es?)?)(?=/|$)"), "umol"),
    (re.compile(r"(?i)^(?:nanomol(?:es?)?)(?=/|$)"), "nmol"),
    (re.compile(r"^mUI(?=/)|^mui(?=/)"), "mIU"),
    (re.compile(r"^UI(?=/)|^ui(?=/)"), "IU"),
]


def number(text: str) -> Decimal:
    """The value of a NUMBER token: digits (with thousands separators or a decimal comma), words, Chinese."""
    if text in _ROMAN:
        return Decimal(_ROMAN[text])
    word = text.lower()
    if word in _WORDS:
        return Decimal(_WORDS[word])
    if text[0] in "一二两三四五六七八九十百":
        return Decimal(_chinese(text))
    if re.fullmatch(r"\d+,\d{1,2}", text):
        return Decimal(text.replace(",", "."))
    return Decimal(text.replace(",", "").replace(" ", ""))


def _chinese(text: str) -> int:
    if "十" not in text:
        return sum(_CHINESE.get(c, 0) for c in text)
    tens, _, units = text.partition("十")
    return (_CHINESE.get(tens, 1) if tens else 1) * 10 + (_CHINESE.get(units, 0) if units else 0)


def unit(text: str) -> tuple[str, str | None]:
    """Canonical spelling of a UNIT token, and the note when a lost superscript was repaired."""
    text = text.strip()
    repair = None
    for pattern, replacement, note in _UNIT_WORDS:
        match = pattern.match(text)
        if match:
            repair = note.format(match.group(1) if match.groups() else "")
            text = pattern.sub(replacement, text, count=1)
    for pattern, replacement in _UNIT_SYNONYMS:
        text = pattern.sub(replacement, text)
    return canonical_unit(text), repair


def _time(text: str) -> str:
    return _TIME.get(text.lower(), _TIME.get(text, "day"))


def _at(position: int | None) -> int:
    """A token's position (lark types it optional; the criteria lexer always sets it)."""
    assert position is not None
    return position


def _limit(text: str) -> str:
    return "LLN" if re.search(r"(?i)lln|lower|下限", text) else "ULN"


def _one_limit(tokens: list[Token]) -> Amount:
    """ "less than the upper limit of normal": a reference limit without a number is 1 x that limit."""
    token = next(t for t in tokens if t.type == "LIMIT")
    return Amount(Decimal(1), _limit(str(token)), "limit", _at(token.start_pos), _at(token.end_pos))


def _span(items: list) -> tuple[int, int]:
    """Start and end of a rule from its children (tokens, amounts, phrases)."""
    starts: list[int] = []
    ends: list[int] = []
    for item in items:
        if isinstance(item, Token):
            starts.append(_at(item.start_pos))
            ends.append(_at(item.end_pos))
        elif isinstance(item, (Amount, Phrase)):
            starts.append(item.start)
            ends.append(item.end)
    return min(starts), max(ends)


class CriteriaTransformer(Transformer):
    """Turns a criteria parse tree into a list of :class:`Phrase`.

    The parser does not see ignored words, so it may join a number to a unit several words away ("7 drinks
    per week"); the transformer, which has the text, keeps only what is written next to each other.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def _gap(self, start: int, end: int) -> str:
        return self.text[start:end]

    def start(self, items: list) -> list[Phrase]:
        phrases = []
        for item in items:
            if isinstance(item, Phrase):
                phrases.append(item)
            elif isinstance(item, Token) and item.type in ("AGE", "ONSET", "AGE_TAIL"):
                kind: PhraseKind = "onset" if item.type == "ONSET" else "age"
                phrases.append(Phrase(kind, _at(item.start_pos), _at(item.end_pos)))
        return phrases

    def quantity(self, items: list) -> Amount:
        value = number(str(items[0]))
        start, end = _span(items)
        rest = items[1:]
        if rest and not _TIGHT.match(self._gap(_at(items[0].end_pos), _at(rest[0].start_pos))):
            rest, end = [], _at(items[0].end_pos)
        age_tail = any(t.type == "AGE_TAIL" for t in rest)
        if not rest or (age_tail and len(rest) == 1):
            kind: AmountKind = "time" if age_tail else "plain"
            text = "year" if age_tail else ""
            return Amount(value, text, kind, start, end, age_tail=age_tail)
        token = rest[0]
        if token.type == "TIME_UNIT":
            return Amount(value, _time(str(token)), "time", start, end, age_tail=age_tail)
        if token.type == "LIMIT":
            return Amount(value, _limit(str(token)), "limit", start, end)
        if token.type == "COUNT_NOUN":
            return Amount(value, "count", "count", start, end, noun=str(token).lower())
        canonical, repair = unit(str(token))
        return Amount(value, canonical, "plain", start, end, repair=repair)

    def postfix(self, items: list) -> Token:
        return items[0]

    def before(self, items: list) -> Token:
        return items[0]

    def nei(self, items: list) -> Token:
        return items[0]

    def comparison(self, items: list) -> Phrase:
        tokens = [i for i in items if isinstance(i, Token)]
        op = next((_OPS[t.type] for t in tokens if t.type in ("LE", "GE", "LT", "GT")), None)
        amount = next((i for i in items if isinstance(i, Amount)), None)
        if amount is None:
            amount = _one_limit(tokens)
            if _RESTATED.match(self.text, amount.end):
                return Phrase("bare", *_span(items), amounts=(amount,))  # "below LLN (<= 5.0 g/L)": which holds?
        before = any(t.type == "BEFORE" for t in tokens)
        if op is None:
            postfix = next(t for t in tokens if t.type in ("POSTFIX_GE", "POSTFIX_LE"))
            if not _CLOSE.match(self._gap(amount.end, _at(postfix.start_pos))) and not before:
                return Phrase("bare", *_span(items), amounts=(amount,))
            op = _OPS[postfix.type]
        return Phrase("comparison", *_span(items), op=op, amounts=(amount,), before=before)

    def range(self, items: list) -> Phrase:
        amounts = tuple(i for i in items if isinstance(i, Amount))
        separator = next((i for i in items if isinstance(i, Token) and i.type in ("RANGE_SEP", "AND_NUM")), None)
        joined = separator is not None and _CLOSE.match(
            self._gap(amounts[0].end, _at(separator.start_pos)).replace("(", "")
        )
        return Phrase("range" if len(amounts) == 2 and joined else "bare", *_span(items), amounts=amounts)

    def window(self, items: list) -> Phrase:
        inner = next((i for i in items if isinstance(i, Phrase)), None)
        amounts = inner.amounts if inner else tuple(i for i in items if isinstance(i, Amount))
        opened = any(isinstance(i, Token) and i.type in ("WITHIN", "PRE") for i in items)
        if not opened and not self._close_to_anchor(amounts[-1], items):
            return Phrase("bare", *_span(items), amounts=amounts)
        return Phrase("window", *_span(items), op="<=", amounts=amounts, before=True)

    def _close_to_anchor(self, amount: Amount, items: list) -> bool:
        """ "6 months prior to" is a window; "1. Subject has received ... previously" is not."""
        anchor = next(
            (_at(i.start_pos) for i in items if isinstance(i, Token) and i.type in ("BEFORE", "NEI")), amount.end
        )
        return amount.kind == "time" and len(_WORDS_RE.findall(self._gap(amount.end, anchor))) <= 3

    def duration(self, items: list) -> Phrase:
        op = next((_OPS[i.type] for i in items if isinstance(i, Token) and i.type in _OPS), ">=")
        amount = next(i for i in items if isinstance(i, Amount))
        return Phrase("duration", *_span(items), op=op, amounts=(amount,))

    def bare(self, items: list) -> Phrase:
        return Phrase("bare", *_span(items), amounts=(items[0],))
