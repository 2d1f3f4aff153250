"""Which concepts of an exclusion a "not had" word governs: "Current pregnancy, breastfeeding, or actively trying to
get pregnant" names pregnancy and breastfeeding as the patient's own, and a pregnancy only hoped for; "Pregnant or
suspected pregnancy" names a pregnancy, then one only suspected.

Scoped only where every such word (text.necessity ``unheld``: "trying", "planned", "family", …) leads into what
follows it ("trying to …", "unwilling to …", "suspected pregnancy", "plan to get pregnant") and opens a list part of
its own ("Pregnant, or trying to …"): it governs every concept after it, and one before it only when nothing but the
concept's own words is between ("surgery planned"). A concept before it, set off by a list separator, is another
alternative, the patient's own. A word that may reach back over a list ("penicillin, sulfa or codeine allergy",
"chemotherapy or radiotherapy planned"), an exception ("other than", "except"), a condition ("if") or a concept
named by such a word ("allergy or adverse reaction to X") leave the whole clause unscoped. "Known or suspected X"
names X among others: X is enough, never needed (``X or review``), when nothing else is left unread.
"""

from __future__ import annotations

import re

from eligibility.text.accounting import CONTENT, SEPARATOR, SEX_WORDS
from eligibility.text.cues import cue

_EXCEPTION = re.compile(r"(?i)\b(?:except\w*|excluding|other\s+than)\b")
_NEED = re.compile(r"(?i)requir|need")
# Words that open a hypothetical or someone else's record and lead into it: never a noun after what it governs.
_LEADING = re.compile(
    r"(?i)trying|attempt\w*|plan\w*|schedul\w*|expect\w*|intend\w*|intention|wish\w*|desir\w*|seek\w*|"
    r"suspect\w*|candidates?|unable|cannot|unwilling|willing|able|refus\w*|risk|family|"
    r"relatives?|parents?|siblings?|partners?|spouses?"
)
_TO_VERB = re.compile(r"(?i)\s+(?:to|for|on)\b")
_BREAK = re.compile(r"[,;:.()\[\]，；：。（）]")


def _words(text: str) -> list[str]:
    """The content words of ``text`` that are neither filler, cue words of "not had", nor sex words."""
    text = cue("not_had").sub(" ", text)
    text = cue("filler", r"[.,;:()\[\]/\-+%=~]").sub(" ", text)
    return [m.group(0) for m in CONTENT.finditer(text) if not any(p.fullmatch(m.group(0)) for p in SEX_WORDS.values())]


def _leads_into(masked: str, word: re.Match[str], spans: list[tuple[int, int]]) -> bool:
    """True when ``word`` leads into what follows it: a verb ("trying to conceive", "unwilling to use") or a
    concept named right after it ("suspected HIV", "expecting/trying to become pregnant": at most one other word
    between, no break)."""
    if not _LEADING.fullmatch(word.group(0)):
        return False
    chained = re.match(r"\s*/\s*", masked[word.end() :])
    after_slash = cue("not_had").match(masked, word.end() + chained.end()) if chained else None
    if after_slash is not None:  # "expecting/trying to become pregnant": led by the last of the chain
        return _leads_into(masked, after_slash, spans)
    if _TO_VERB.match(masked, word.end()):
        return True
    after = [start for start, _end in spans if start >= word.end()]
    if not after:
        return False
    tail = masked[word.end() : min(after)]
    return not _BREAK.search(tail) and not SEPARATOR.search(tail) and len(_words(tail)) <= 1


def _own_part(masked: str, gap_start: int, word: re.Match[str], spans: list[tuple[int, int]]) -> bool:
    """True when the list part that ``word`` opens holds nothing but it: after the last separator before it, no
    other concept ("diabetes or hypertension with planned surgery") and no relation word."""
    separators = list(SEPARATOR.finditer(masked, gap_start, word.start()))
    part = separators[-1].end() if separators else gap_start
    if any(part <= start < word.start() for start, _end in spans):
        return False
    return not cue("relation").search(masked[part : word.start()])


def _governs(masked: str, word: re.Match[str], span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    start, end = span
    if word.start() < start:
        return True
    if _NEED.match(word.group(0)):
        return False  # "renal disease requiring dialysis": the need qualifies the concept had
    if not SEPARATOR.search(masked[end : word.start()]):
        return True
    return not _own_part(masked, end, word, spans)


# "Known or suspected HIV", "current or planned pregnancy": the record is one of the alternatives the words name.
_WIDENING = re.compile(
    r"(?i)\b(?:known|confirmed|documented|diagnosed|current|existing|established|proven)\s*(?:or|and/or|/)\s*"
    r"(suspected|presumed|possible|probable|planned)\b"
)


def widening(body: str) -> list[tuple[int, int]]:
    """The spans of the words that widen a record to what is only suspected or planned ("known or suspected")."""
    return [(m.start(1), m.end(1)) for m in _WIDENING.finditer(body)]


def held(body: str, masked: str, spans: list[tuple[int, int]]) -> list[bool] | None:
    """For each concept span of an exclusion (``masked``: its ``body`` with the concepts' own words and times
    blanked), whether no "not had" word governs it; None when an exception word makes scoping unsafe. A concept
    named by a "not had" word alone ("allergy") governs the others as such a word does ("penicillin allergy")."""
    wide = widening(body)
    words = [w for w in cue("not_had").finditer(masked) if (w.start(), w.end()) not in wide]
    if _EXCEPTION.search(body) or cue("conditional").search(body):
        return None  # "other than", "or unwilling to …, if …": the scope or the join may reach over the whole list
    if any(not _leads_into(masked, word, spans) for word in words):
        return None  # "penicillin allergy", "ventricular response": a word that may reach back over a list
    if any(a <= word.start() < b for word in cue("not_had").finditer(body) for a, b in spans):
        return None  # "allergy or adverse reaction to X": a concept named by such a word has objects
    return [not any(_governs(masked, word, span, spans) for word in words) for span in spans]
