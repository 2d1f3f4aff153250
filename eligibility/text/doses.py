"""Doses and treatment courses in free text: "prednisone > 10 mg/day", "≥ 20 mg prednisone (or equivalent) daily in
the last 6 months", "methylprednisolone ≥ 500 mg/day for at least 3 days", "泼尼松≥10mg/天", "last dose of rituximab at
least 6 months before enrolment", "末次使用利妥昔单抗距入组≥6个月".

A dose is read only when the text says it is per day (``mg/day``, "daily", "per day", "QD", 每日, /天) or per kg per
day: a dose per administration, per week, per m², cumulative or total is left for review, never taken for a daily
one. "Or equivalent" makes a glucocorticoid's dose an equivalent dose of the class (``has medication
systemic_corticosteroid dose > 10 mg/day as prednisone``); for any other drug the words stay unread. Text that makes
a dose a permission or an exception ("… is allowed", "except low-dose aspirin"), or says it is current without a
window (no rule form says "current dose"), is not read here, so the clause keeps its review leaf.

Every reader returns :class:`Reading` s: the leaf, where it stands in the item (to join leaves as written) and
the spans of text it accounts for; the builder covers those spans and skips the grammar's mentions inside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from eligibility.lang import ast
from eligibility.text.attribution import Mention
from eligibility.text.cues import cue
from eligibility.text.leaves import duration_of, in_exception_parentheses, window_of
from eligibility.text.lexicon import NameHit
from eligibility.vocab.doses import equivalence_ratio, reference_drugs
from eligibility.vocab.vocabulary import Vocabulary

Span = tuple[int, int]


@dataclass(frozen=True)
class Reading:
    """A leaf read from a whole phrase, where it stands (``place``) and the text it accounts for (``spans``)."""

    node: ast.Node
    place: Span
    spans: tuple[Span, ...]


_CLAUSE_BREAK = re.compile(r"[;；。]|\.\s|[,，](?!\s*(?:or\s+)?(?:its\s+)?equivalent|\s*daily)")
# The mass right after a number ("10 mg", "10mg/天", "0.5 mg/kg/d"), and what it is per.
_MASS = re.compile(
    r"\s*(?P<mass>mg|g|mcg|ug|µg|μg|毫克|克)(?![A-Za-z])(?P<kg>\s*/\s*kg)?"
    r"(?P<per>\s*(?:/\s*(?:day|d|天|日|24\s*h(?:ours?)?)(?![A-Za-z])|per\s+day\b|a\s+day\b|each\s+day\b|"
    r"every\s+day\b|daily\b|q\.?d\.?(?![A-Za-z])|qd\b|once\s+daily\b))?",
    re.IGNORECASE,
)
_MASS_UNITS = {"mg": "mg", "g": "g", "mcg": "ug", "ug": "ug", "µg": "ug", "μg": "ug", "毫克": "mg", "克": "g"}
_DAILY_UNITS = {"mg/day": "mg", "g/day": "g", "ug/day": "ug", "mg/kg/day": "mg/kg"}
# "daily dose of", "每日", "日剂量": per day said before the number.
_DAILY_BEFORE = re.compile(r"(?i)\b(?:total\s+)?daily\s+(?:oral\s+)?(?:dose|dosage)s?\b|每日|每天|日剂量|日均")
# "(or equivalent) daily", "or its equivalent per day": per day said after the drug.
_DAILY_AFTER = re.compile(
    r"(?i)^\s*(?:[(（]?\s*or\s+(?:its\s+)?equivalents?\s*[)）]?)?\s*(?:daily|per\s+day|a\s+day|/\s*day)\b"
)
_NOT_DAILY = re.compile(
    r"(?i)cumulative|total\s+dose|lifetime|per\s+(?:week|month|cycle|course|dose|m2|m\^?2)|weekly|/\s*(?:week|wk|m2|"
    r"m\^2|m²|min|h|hr|hour)\b|累积|累计|总量|每周|/周|/m2|bid|tid|qid|b\.i\.d|every\s+(?:other|\d|two|three)"
)
_EQUIVALENT = re.compile(
    r"(?i)[(（]?\s*\bor\s+(?:its\s+|an?\s+|other\s+)?equivalents?\b(?:\s+dose)?\s*[)）]?|\b(?:at\s+)?(?:the\s+|an?\s+)?"
    r"equivalent\s+(?:dose\s+)?(?:of|to)\b|\b(?:prednisone|prednisolone)[\s-]+equivalents?\b|[(（]?\s*或?(?:其他)?等效[物剂量]*(?:的?其他)?\s*[)）]?"
)
_DOSE_WORDS = re.compile(
    r"(?i)\b(?:at\s+)?(?:a\s+)?(?:(?:total\s+)?daily\s+)?(?:doses?|dosages?)(?:\s+of)?\b|\bof\b|\bat\b|\bdaily\b|"
    r"剂量|每日|每天|服用|使用|口服"
)
_PERMISSION = re.compile(
    r"(?i)\b(?:allowed|permitted|acceptable|accepted|eligible|exception|except|unless|other than)\b|允许|除外|除了|可以"
)
# "入组前4周内": what the window counts back from, written before it.
_ANCHOR_BEFORE = re.compile(r"(?:入组|筛选|随机|首次给药)$")
_GLUCOCORTICOID_CLASS = "systemic_corticosteroid"
_REFERENCE = "prednisone"


def clause_bounds(text: str, start: int, end: int) -> Span:
    """The clause around ``[start, end)``: from the last break before it to the first after it (a comma inside
    parentheses breaks nothing: "(or prednisone, or equivalent)")."""
    breaks = [m for m in _CLAUSE_BREAK.finditer(text) if not _in_parentheses(text, m.start())]
    begin = max((m.end() for m in breaks if m.end() <= start), default=0)
    finish = min((m.start() for m in breaks if m.start() >= end), default=len(text))
    return begin, finish


def _in_parentheses(text: str, position: int) -> bool:
    before = text[:position]
    return before.count("(") + before.count("（") > before.count(")") + before.count("）")


def _daily_unit(text: str, mention: Mention) -> tuple[str, Span] | None:
    """The dose unit of a mention (``mg/day``, ``mg/kg/day``) and the span of its unit words, or None when the text
    does not say the dose is per day."""
    amount = mention.amount
    if amount.unit:
        mass = _DAILY_UNITS.get(amount.unit)
        return (f"{mass}/day", (amount.start, mention.phrase.end)) if mass else None
    match = _MASS.match(text, amount.end)
    if match is None:
        return None
    mass = _MASS_UNITS[match.group("mass").lower()] + ("/kg" if match.group("kg") else "")
    if match.group("per") or _DAILY_BEFORE.search(text[max(0, mention.phrase.start - 40) : mention.phrase.start]):
        return f"{mass}/day", (amount.start, match.end())
    return mass, (amount.start, match.end())


def _drug(text: str, clause: Span, unit_end: int, phrase: Span, medications: list[NameHit]) -> NameHit | None:
    """The drug a dose is of: one named right after it ("10 mg of prednisone", "5 mg/day prednisone"), else the one
    named last before it in the clause."""
    after = [h for h in medications if unit_end <= h.start < clause[1]]
    gap = r"(?i)[\s(（]*(?:q\.?d\.?|qd|daily|per day)?\s*(?:of\s+)?(?:oral\s+)?"
    if after and re.fullmatch(gap, text[unit_end : after[0].start]):
        return after[0]
    before = [h for h in medications if clause[0] <= h.start and h.end <= phrase[0]]
    return before[-1] if before else None


def _specific(drug: str, vocabulary: Vocabulary) -> bool:
    """True for a drug, false for a class of drugs ("corticosteroids", "statins"), whose kinds' doses differ."""
    return drug in reference_drugs() or not (vocabulary.descendants(drug) - {drug})


def _glucocorticoid(drug: str, vocabulary: Vocabulary) -> bool:
    return equivalence_ratio(frozenset({drug, *vocabulary.ancestors(drug)}), _REFERENCE) is not None


def read_doses(
    text: str, mentions: list[Mention], medications: list[NameHit], vocabulary: Vocabulary, kind: str
) -> list[Reading]:
    """Daily doses of named drugs, with the window and course length written beside them. All or nothing: when
    one dose of the item cannot be read ("simvastatin, rosuvastatin > 10 mg/d, atorvastatin > 10 mg/d"), none is,
    so that no drug of a list sharing a threshold is read without it."""
    readings = []
    used: set[int] = set()
    for index, mention in enumerate(mentions):
        if mention.category != "numeric" or mention.phrase.kind != "comparison" or mention.amount.kind != "plain":
            if _is_dose(text, mention):
                return []
            continue
        reading = _dose(text, mention, mentions, medications, vocabulary, kind, used)
        if reading is None and _is_dose(text, mention):
            return []
        if reading is not None:
            used.add(index)
            readings.append(reading)
    return readings


def _is_dose(text: str, mention: Mention) -> bool:
    """True when a mention's number is a mass or a mass per time ("10 mg", "1 g/day")."""
    unit = mention.amount.unit
    return bool(re.match(r"(?:mg|g|ug|mcg)(?:/|$)", unit)) or (
        not unit and _MASS.match(text, mention.amount.end) is not None
    )


def _listed(text: str, drug: NameHit, medications: list[NameHit]) -> bool:
    """True when the drug is one of a list ("simvastatin, fluvastatin at doses > 10 mg/d"): the dose may be
    every listed drug's, which the other names would not carry."""
    joined = r"(?i)[\s,/、]*(?:or|and|and/or|或|和|及)?[\s,/、]*"
    return any(
        h is not drug
        and (re.fullmatch(joined, text[h.end : drug.start]) or re.fullmatch(joined, text[drug.end : h.start]))
        for h in medications
    )


def _dose(
    text: str,
    mention: Mention,
    mentions: list[Mention],
    medications: list[NameHit],
    vocabulary: Vocabulary,
    kind: str,
    used: set[int],
) -> Reading | None:
    phrase = (mention.phrase.start, mention.phrase.end)
    clause = clause_bounds(text, *phrase)
    words = text[clause[0] : clause[1]]
    if _PERMISSION.search(words) or cue("conditional").search(words) or in_exception_parentheses(text, phrase[0]):
        return None
    if kind == "exclusion" and mention.op in ("<", "<="):
        return None  # "low dose aspirin (< 100 mg daily)": an upper bound in an exclusion is a permission
    unit = _daily_unit(text, mention)
    if unit is None or _NOT_DAILY.search(words):
        return None
    drug = _drug(text, clause, unit[1][1], phrase, medications)
    if drug is None or not _specific(drug.id, vocabulary):
        return None
    equivalent_named = re.search(r"(?i)equivalen|等效", words) is not None
    if equivalent_named and not _glucocorticoid(drug.id, vocabulary):
        return None  # "60 mg/day of morphine equivalent", "metoprolol, or equivalent": not read
    if not equivalent_named and _listed(text, drug, medications):
        return None
    quantity, spans = unit[0], [phrase, unit[1], (drug.start, drug.end)]
    after_drug = text[drug.end : clause[1]]
    if not quantity.endswith("/day"):
        daily = _DAILY_AFTER.match(after_drug) if drug.start >= phrase[1] else None
        if daily is None:
            return None
        quantity += "/day"
        spans.append((drug.end, drug.end + daily.end()))
    equivalent = None
    concept, concept_text = drug.id, drug.text
    named_equivalent = _EQUIVALENT.search(words)
    if named_equivalent is not None:
        equivalent, concept = drug.id, _GLUCOCORTICOID_CLASS
        start = clause[0] + named_equivalent.start()
        spans.append((start, clause[0] + named_equivalent.end()))
        spans += [
            (h.start, h.end)
            for h in medications
            if clause[0] <= h.start < clause[1] and (h.id == concept or _glucocorticoid(h.id, vocabulary))
        ]
        if drug.id != _REFERENCE and any(h.id == _REFERENCE for h in medications if clause[0] <= h.start < clause[1]):
            equivalent = _REFERENCE
    window, lasting, extra = _course(text, mentions, mention, clause, used)
    if cue("active").search(words) and window is None:
        return None  # "current use of prednisone > 10 mg/day": no rule form says "a current dose"
    spans += extra + _dose_words(text, clause)
    node: ast.Node = ast.DoseComparison(
        concept=concept,
        op=mention.op,
        quantity=ast.Quantity(value=mention.amount.value, unit=quantity),
        equivalent=equivalent,
        window=window,
        lasting=lasting,
        concept_text=concept_text,
    )
    negation = _negation(text, clause[0], min(drug.start, phrase[0]))
    if negation is not None:
        node, spans = ast.Not(item=node), [*spans, negation]
    return Reading(node, (min(drug.start, phrase[0]), max(drug.end, phrase[1])), tuple(spans))


def _course(
    text: str, mentions: list[Mention], dose: Mention, clause: Span, used: set[int]
) -> tuple[ast.Window | None, ast.Duration | None, list[Span]]:
    """The window ("in the last 6 months") and course length ("for at least 3 days") written in the dose's clause."""
    window = lasting = None
    spans: list[Span] = []
    for index, mention in enumerate(mentions):
        if mention is dose or mention.category != "window" or not clause[0] <= mention.phrase.start < clause[1]:
            continue
        if mention.phrase.kind == "duration" and lasting is None:
            lasting = _lasting(mention)
            if lasting is not None:
                spans.append((mention.phrase.start, mention.phrase.end))
                used.add(index)
        elif mention.phrase.kind == "window" or mention.phrase.before:
            if window is None:
                window = window_of(mention)
                if window is not None:
                    spans.append((mention.phrase.start, mention.phrase.end))
                    anchor = _ANCHOR_BEFORE.search(text, 0, mention.phrase.start)
                    if anchor is not None:
                        spans.append((anchor.start(), anchor.end()))
                    used.add(index)
    return window, lasting, spans


def _lasting(mention: Mention) -> ast.Duration | None:
    """ "for at least 3 days" (">= 3 days"); "for more than 3 days" is at least 4 days; other forms are not read."""
    duration = duration_of(mention.amount.value, mention.amount.unit)
    if duration is None or duration.unit not in ("day", "week"):
        return None
    if mention.op == ">=":
        return duration
    if mention.op == ">" and duration.unit == "day":
        return ast.Duration(value=duration.value + Decimal(1), unit="day")
    return None


def _dose_words(text: str, clause: Span) -> list[Span]:
    return [(clause[0] + m.start(), clause[0] + m.end()) for m in _DOSE_WORDS.finditer(text[clause[0] : clause[1]])]


def _negation(text: str, start: int, end: int) -> Span | None:
    """A negation opening the clause before the dose ("No prednisone > 10 mg/day"): its span."""
    found = cue("negation").search(text[start:end])
    return (start + found.start(), start + found.end()) if found else None
