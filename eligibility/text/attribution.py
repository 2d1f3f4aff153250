"""Attribution: which words a phrase is about, and what kind of statement it makes.

The subject of a phrase is the text between the previous phrase (or a clause separator) and the phrase
itself: "Hemoglobin <8 g/dL, platelets <50" gives "Hemoglobin" and "platelets". Known measures are found in
the subject through the vocabulary; several joined by "and", "/", "or" ("AST and ALT ≤ 2.5 × ULN") make one
mention each. A phrase with no subject of its own ("(≤ 5 × ULN if liver metastases)") is about the previous
subject. Durations are ages when an age word is near (``aged``, ``years old``, ``岁``) or nothing else is
named; otherwise they are time windows of the event named before them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from eligibility.text.lexicon import Lexicon, NameHit
from eligibility.text.phrases import Amount, Phrase

Category = Literal["numeric", "age", "onset", "window", "count", "relative"]

_HARD_BREAK = re.compile(r"[;:]|\.\s+(?=[A-Z\u4e00-\u9fff])|[。；：]")
_LEADING = re.compile(
    r"^(?:[\s,/\-()&+]|(?i:and/or|and|or|with|if|of|is|but|also|either|both|as well as|plus)\b|[和或及与、])+"
)
_TRAILING = re.compile(
    r"(?:[\s,=:(\-]|(?i:\b(?:of|is|are|be|was|were|must be|should be|must have|has|have|had|"
    r"having|levels?|values?|in|at|as|to|by|a|an|the|score of|greater|less|level of|count of|"
    r"results?|needs? to be|shall be|will be|>|<))|为|是)+$"
)
_LETTERS = re.compile(r"[A-Za-z\u4e00-\u9fff]")
_JOINER = re.compile(r"(?i)^\s*(?:and|to|or|-|,|~|至)?\s*$")
_CONNECTOR_GAP = re.compile(r"^(?:\s|[,/&()]|(?i:and/or|and|or|plus)\b|[和或及与、]|\))*$")
_OR_WORD = re.compile(r"(?i)\bor\b|/|或")
_NUMBERING = re.compile(
    r"^\s*(?:[-*•·●◦▪]\s*)*(?:\(?\d{1,2}[.)、]|\(?\d{1,2}\)|\(?[a-hA-H][.)]|\(?(?:i{1,3}|iv|v|vi{0,3})[.)]|[①-⑳])?\s*"
)
_CONTENT = re.compile(r"[A-Za-z][A-Za-z0-9'\-]+|[\u4e00-\u9fff]+")
_STOP = frozenset(
    """a an the of and or with without to in on at for by from as is are be been was were has have had
patient patients subject subjects participant participants who which that must should will shall can may
any all no not none other than history current currently prior previous known documented evidence
adult adults man men woman women male males female females child children people person individuals
years year old aged age""".split()
)
_PERSONS = frozenset(
    "patient patients subject subjects participant participants adult adults man men woman "
    "women male males female females child children people person individuals volunteer "
    "volunteers mother mothers infant infants".split()
)
_AGE_WORDS = re.compile(r"(?i)\b(?:aged?|ages|old|older|younger)\b|年龄|岁")
_AGE_AFTER = re.compile(
    r"(?i)^\s*(?:years?\s+)?(?:of\s+age|old|years?\s+old|y\.?\s?o\b)|^\s*岁|^\s*(?:years?\s+)?or\s+(?:older|younger)"
)
_EVENT_WORDS = re.compile(r"(?i)diagnos|disease|onset|lesion|infarct|stroke|surgery|treatment|therapy|history")
_OF_WHAT = re.compile(
    r"^\s*of\s+(?:the\s+|a\s+)?([A-Za-z][A-Za-z0-9\-' ]{2,60}?)(?=\s*[,.;()]|\s+(?:at|in|on|for|per|during|"
    r"within|and|or|to|with|before|after|prior|from|than|is|are|was)\b|\s*$)"
)
_FOLLOWING = re.compile(
    r"^\s*(?:of\s+|in\s+|on\s+|after\s+|from\s+)?(?:the\s+|a\s+)?((?:[A-Za-z][A-Za-z0-9\-']*\s*){1,6}|"
    r"[\u4e00-\u9fff]{2,12})"
)
_POSTPOSED = re.compile(
    r"^\s*(?!(?i:at|in|on|for|by|of|to|per|as|if|or|and|with|within|prior|before|after|during|from|"
    r"than|measured|when|unless|while|the|a|an|is|are|was|be|on)\b)((?:[A-Za-z][A-Za-z0-9\-']*\s*){1,4})"
    r"(?=[,;.)\]]|\s+(?:or|and|and/or)\b|\s*$)"
)
_ON_WHAT = re.compile(
    r"(?i)^\s*(?:on|in|according to|as measured by|by)\s+(?:the\s+|a\s+)?(?:[\w\-]+\s+){0,1}?"
    r"([A-Z][A-Za-z0-9\-' ]{2,60}?)(?=\s*[,.;(]|\s*$|\s+(?:at|for|and|or|with)\b)"
)
_GENERIC = frozenset(
    "score scores rated rating baseline value values result results total level grade point points".split()
)
_PERSON_NEAR = re.compile(r"(?i)\b(?:patients?|subjects?|participants?|adults?|men|women|volunteers?)\s*$")
_ENUMERATION = re.compile(r"[\s(]?\d{1,2}[.)](?!\d)")
_SCALE_AFTER = re.compile(r"(?i)^[\s)]*(?:-?point|points?|severity|scale|vas|nrs|visual analog|numeric rating|likert)")
_OF_SET = re.compile(r"(?i)^\s*(?:of\s+(?:the|these|those|following)\b|of\s*:)")


@dataclass(frozen=True, slots=True)
class Subject:
    """What a phrase is about: the words, the measures found in them, and how they are joined."""

    text: str
    start: int
    end: int
    measures: tuple[NameHit, ...] = ()
    connective: str = "and"

    @property
    def empty(self) -> bool:
        """True when the subject has no words at all."""
        return not _LETTERS.search(self.text)

    @property
    def content(self) -> list[str]:
        """Content words of the subject (no stop words)."""
        return [w for w in _CONTENT.findall(self.text) if w.lower() not in _STOP]


@dataclass(frozen=True, slots=True)
class Mention:
    """One attributed statement: a category, an operator, an amount, and its subject."""

    category: Category
    op: str
    amount: Amount
    subject: Subject
    phrase: Phrase
    window: Amount | None = None
    window_phrase: Phrase | None = None


def numbering_end(text: str) -> int:
    """Where an item's numbering or bullet ends (``"  1. Age ≥ 18"`` → 5)."""
    numbering = _NUMBERING.match(text)
    return numbering.end() if numbering else 0


def _subject(text: str, start: int, end: int, lexicon: Lexicon) -> Subject:
    segment = text[start:end]
    for found in reversed(list(_HARD_BREAK.finditer(segment))):
        if _CONTENT.search(segment[found.end() :]):
            start += found.end()
            break
        segment = segment[: found.start()]
        end = start + found.start()
    segment = text[start:end]
    lead = _LEADING.match(segment)
    if lead:
        start += lead.end()
    trail = _TRAILING.search(text[start:end])
    if trail:
        end = start + trail.start()
    words = text[start:end]
    hits = [NameHit(h.start + start, h.end + start, h.id, h.text) for h in lexicon.measures.find(words)]
    chosen, connective = _last_group(text, hits, end)
    return Subject(words, start, end, tuple(chosen), connective)


def _last_group(text: str, hits: list[NameHit], end: int) -> tuple[list[NameHit], str]:
    """The measures named last in the subject, with the words joining them ("and" or "or")."""
    if not hits:
        return [], "and"
    trailing = [w for w in _CONTENT.findall(text[hits[-1].end : end]) if w.lower() not in _STOP]
    if len(trailing) > 6:
        return [], "and"
    group, connective = [hits[-1]], "and"
    for hit in reversed(hits[:-1]):
        gap = text[hit.end : group[0].start]
        if not _CONNECTOR_GAP.match(gap):
            break
        if _OR_WORD.search(gap):
            connective = "or"
        group.insert(0, hit)
    unique = list({h.id: h for h in reversed(group)}.values())[::-1]
    return _explained(text, unique), connective


def _explained(text: str, hits: list[NameHit]) -> list[NameHit]:
    """ "glycolated hemoglobin (HbA1C)": a name followed by a different measure's abbreviation in parentheses is
    that measure, written out (here misspelt); keep the abbreviation."""
    result = []
    for index, hit in enumerate(hits):
        following = hits[index + 1] if index + 1 < len(hits) else None
        if (
            following is not None
            and following.id != hit.id
            and re.fullmatch(r"\s*\(\s*", text[hit.end : following.start])
            and text[following.end : following.end + 3].lstrip().startswith(")")
        ):
            continue
        result.append(hit)
    return result


def _personish(subject: Subject) -> bool:
    """True when the subject names nobody but the patient ("Patients", "mothers", nothing at all)."""
    content = subject.content
    return not content or any(w.lower() in _PERSONS for w in content[-3:])


def _age_cue(phrase: Phrase, wording: str, after: str, subject: Subject, markers: list[Phrase]) -> bool:
    """An age word before, inside or right after the phrase."""
    if any(subject.start - 12 <= m.start and m.end <= phrase.start for m in markers if m.kind == "age"):
        return True
    if any(phrase.end <= m.start <= phrase.end + 3 for m in markers if m.kind == "age"):
        return True
    return any(a.age_tail for a in phrase.amounts) or bool(_AGE_AFTER.match(after) or _AGE_WORDS.search(wording))


def _is_age(phrase: Phrase, wording: str, after: str, subject: Subject, markers: list[Phrase]) -> bool:
    amount = phrase.amounts[-1]
    if phrase.kind in ("window", "duration") or phrase.before or amount.kind not in ("time", "plain"):
        return False
    cue = _age_cue(phrase, wording, after, subject, markers)
    if amount.kind == "plain":
        if amount.unit or subject.measures:
            return False
        return cue or (_PERSON_NEAR.search(subject.text[-25:]) is not None and 10 <= amount.value <= 100)
    person = _personish(subject) or (not subject.measures and not _EVENT_WORDS.search(subject.text[-40:]))
    if cue:
        return person
    return amount.unit == "year" and not subject.measures and _personish(subject)


def _onset(phrase: Phrase, subject: Subject, markers: list[Phrase]) -> bool:
    return any(subject.start - 12 <= m.start and m.end <= phrase.start for m in markers if m.kind == "onset")


def _mentions_of(phrase: Phrase, wording: str, after: str, subject: Subject, markers: list[Phrase]) -> list[Mention]:
    amounts = _with_shared_unit(phrase.amounts)
    if _onset(phrase, subject, markers):
        category: Category = "onset"
    elif _is_age(phrase, wording, after, subject, markers):
        category = "age"
    elif amounts[-1].kind == "limit":
        category = "relative"
    elif amounts[-1].kind == "count":
        category = "count"
    elif amounts[-1].kind == "time":
        category = "window"
    else:
        category = "numeric"
    if category in ("age", "onset"):
        amounts = tuple(_as_years(a) for a in amounts)
    if len(amounts) == 2:
        low, high = amounts
        return [
            Mention(category, ">=", low, subject, phrase),
            Mention(category, phrase.upper_op, high, subject, phrase),
        ]
    return [Mention(category, phrase.op or "<=", amounts[0], subject, phrase)]


def _with_shared_unit(amounts: tuple[Amount, ...]) -> tuple[Amount, ...]:
    """In a range, a bare first number takes the unit of the second ("18-65 years")."""
    if len(amounts) == 2 and amounts[0].kind == "plain" and not amounts[0].unit and amounts[1].unit:
        low, high = amounts
        low = Amount(low.value, high.unit, high.kind, low.start, low.end, high.age_tail, low.repair, high.noun)
        return low, high
    return amounts


def _as_years(amount: Amount) -> Amount:
    if amount.kind == "time":
        return amount
    return Amount(amount.value, "year", "time", amount.start, amount.end, True, amount.repair)


def _noise(phrase: Phrase, after: str) -> bool:
    """Numbers that are not thresholds: scale definitions ("0-10 VAS"), "one or more of the following",
    spans of calendar years."""
    first = phrase.amounts[0]
    if phrase.kind == "range" and not first.unit and first.value <= 1 and _SCALE_AFTER.match(after):
        return True
    if first.kind == "plain" and not first.unit and _OF_SET.match(after):
        return True
    return phrase.kind == "range" and all(not a.unit and 1900 <= a.value <= 2100 for a in phrase.amounts)


def _following(
    text: str, phrase: Phrase, lexicon: Lexicon, strict: bool, pattern: re.Pattern | None = None
) -> Subject | None:
    """A subject written after the phrase: "10 mL of whole blood", "within 2 years of chemotherapy"."""
    rest = text[phrase.end : phrase.end + 80]
    match = (pattern or (_OF_WHAT if strict else _FOLLOWING)).match(rest)
    if not match:
        return None
    start = phrase.end + match.start(1)
    subject = _subject(text, start, start + len(match.group(1).rstrip()), lexicon)
    return subject if subject.content or subject.measures else None


def _after_subject(text: str, phrase: Phrase, subject: Subject, lexicon: Lexicon) -> Subject:
    """Measures named after the value: "10 mL of whole blood", "≥ 140 mmHg systolic", "> 5 on the Roland-Morris
    Disability Questionnaire". Used when the words before name no known measure."""
    amount = phrase.amounts[-1]
    if amount.kind != "plain" or subject.measures:
        return subject
    if amount.unit not in ("", "%"):
        found = _following(text, phrase, lexicon, True)
        if found is not None:
            return found
    if {w.lower() for w in subject.content} <= _GENERIC:
        found = _following(text, phrase, lexicon, True, _ON_WHAT)
        if found is not None:
            return found
    if amount.unit:
        found = _following(text, phrase, lexicon, True, _POSTPOSED)
        if found is not None and (found.measures or not subject.measures):
            return found
    return subject


def _has_marker(subject: Subject, markers: list[Phrase]) -> bool:
    return any(subject.start - 1 <= m.start and m.end <= subject.end + 1 for m in markers)


def attribute(text: str, phrases: list[Phrase], lexicon: Lexicon) -> list[Mention]:
    """Mentions of a criterion's phrases, in text order (``text`` is the normalised criterion)."""
    markers = [p for p in phrases if p.kind in ("age", "onset")]
    left = numbering_end(text)
    previous: Subject | None = None
    mentions: list[Mention] = []
    for phrase in phrases:
        if phrase.kind in ("age", "onset") or phrase.start < left:
            continue
        after = text[phrase.end : phrase.end + 40]
        if phrase.kind == "bare":
            if _ENUMERATION.match(text, max(0, phrase.start - 1)):
                left = max(left, phrase.end + 1)
            continue
        subject = _subject(text, left, max(left, phrase.start), lexicon)
        left = max(left, phrase.end)
        if _noise(phrase, after):
            continue
        own = subject.content or subject.measures
        subject = _after_subject(text, phrase, subject, lexicon)
        if subject.start >= phrase.end:  # "≥ 140 mmHg systolic and/or ≥ 90 mmHg diastolic": read, not the next's
            left = max(left, subject.end)
        if phrase.kind == "window" and text.startswith("前", phrase.start):
            subject = _following(text, phrase, lexicon, strict=False) or Subject("", phrase.end, phrase.end)
        elif not (subject.content or subject.measures or _has_marker(subject, markers)):
            if previous is not None:
                subject = previous
            elif subject.empty and not phrase.before:
                subject = _following(text, phrase, lexicon, strict=False) or subject
        mentions.extend(_mentions_of(phrase, text[phrase.start : phrase.end], after, subject, markers))
        if own:
            previous = subject
    return _share_units(text, _attach_windows(mentions))


def _share_units(text: str, mentions: list[Mention]) -> list[Mention]:
    """ "≥ 20 and ≤ 80 years of age", "≥ 12 to < 18 years": a bare first bound takes the second's unit."""
    result = list(mentions)
    for index in range(len(result) - 2, -1, -1):
        first, second = result[index], result[index + 1]
        gap = text[first.phrase.end : second.phrase.start]
        if first.amount.unit or not second.amount.unit or not _JOINER.match(gap):
            continue
        amount = Amount(
            first.amount.value,
            second.amount.unit,
            second.amount.kind,
            first.amount.start,
            first.amount.end,
            second.amount.age_tail,
        )
        result[index] = Mention(second.category, first.op, amount, second.subject, first.phrase)
    return result


def _attach_windows(mentions: list[Mention]) -> list[Mention]:
    """A count followed by a window counts within that window ("≥ 2 relapses within 12 months")."""
    attached: dict[int, Mention] = {}
    for index, mention in enumerate(mentions):
        if mention.category == "count":
            neighbour = next(
                (
                    m
                    for m in mentions[index + 1 : index + 2] + mentions[max(0, index - 1) : index]
                    if m.category == "window" and m.phrase.kind == "window" and id(m) not in attached
                ),
                None,
            )
            if neighbour is not None:
                attached[id(neighbour)] = neighbour
                mentions[index] = Mention(
                    "count",
                    mention.op,
                    mention.amount,
                    mention.subject,
                    mention.phrase,
                    neighbour.amount,
                    neighbour.phrase,
                )
    return [m for m in mentions if id(m) not in attached]
