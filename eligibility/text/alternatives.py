"""Unread alternatives of an exclusion that a qualifier beside a leaf must not hide.

"Other significant illness: pulmonary dysfunction in the previous 6 months, malignancy other than skin basal cell
carcinoma in previous 5 years, immunodeficiency syndromes": the exception ("other than …") qualifies what was read
(``malignancy and review``), while the unread items outside its reach are alternatives that exclude on their own
(``… or review``): together nothing is settled, and the clause is for review. "valvular heart disease moderate to
severe pericardial effusion LVEF < 40%": a list run together without separators, whose unread words between two
leaves may be items of their own — joining them by "and" with a review would let either alone through.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Literal

from eligibility.lang import ast
from eligibility.text.accounting import SEPARATOR, SEX_WORDS
from eligibility.text.cues import cue

_SENTENCE_END = re.compile(r"[;。；]|\.(?:\s+(?=[A-Z])|\s*$)")
# "if", "provided": a condition, not an exception of what was read ("confirmed by a repeat if deemed necessary").
_CONDITION_ONLY = re.compile(r"(?i)(?:only\s+)?if|provided")
# "within 30 days or 5 half-lives, whichever is longer": the window read is only the shortest the clause allows.
_WHICHEVER = re.compile(r"(?i)\bwhichever\b")


def _exception_scopes(body: str) -> list[tuple[int, int]]:
    """Where each exception word ("unless", "other than", 除外) reaches: its list may go on after commas ("except
    for carcinoma in situ, basal cell carcinoma or …"), so up to the end of the sentence."""
    scopes = []
    for match in cue("conditional").finditer(body):
        if _CONDITION_ONLY.fullmatch(match.group(0)):
            continue
        end = _SENTENCE_END.search(body, match.end())
        scopes.append((match.start(), end.start() if end else len(body)))
    return scopes


def _apart(body: str, token: re.Match[str], places: list[tuple[int, int]]) -> bool:
    """True when a separator stands between ``token`` and every leaf read."""
    gaps = [body[end : token.start()] if end <= token.start() else body[token.end() : start] for start, end in places]
    return bool(gaps) and all(SEPARATOR.search(gap) for gap in gaps)


def separate_outside_exception(body: str, tokens: list[re.Match[str]], places: list[tuple[int, int]]) -> bool:
    """True when the clause has an exception and an unread word (``tokens``) lies outside its reach and apart from
    every leaf read (``places``): an alternative of its own beside an exception of what was read."""
    scopes = _exception_scopes(body)
    return bool(scopes) and any(
        _apart(body, token, places) and not any(start <= token.start() < end for start, end in scopes)
        for token in tokens
    )


def run_together(body: str, tokens: list[re.Match[str]], places: list[tuple[int, int]]) -> bool:
    """True when an unread word stands between two leaves with no separator anywhere between them ("…disease
    moderate to severe pericardial effusion left ventricular ejection fraction < 40%")."""
    for token in tokens:
        before = [end for _start, end in places if end <= token.start()]
        after = [start for start, _end in places if start >= token.end()]
        if before and after and not SEPARATOR.search(body[max(before) : min(after)]):
            return True
    return _trailing_run(body, tokens, places)


# Words that open a qualifier of what was read before them ("> 28 kg/m2 despite diet", "< 18 years at screening").
_QUALIFIER_START = re.compile(
    r"(?i)(?:with|without|requiring|requires?|in|on|of|for|due|at|after|before|within|during|despite|per|and|or|"
    r"unless|except|if|when|while|who|which|that|as|by|from|to|than|prior|since|measured|confirmed|documented|"
    r"determined|according|post|pre|predicted|following|including|excluding|times?|x|ULN|LLN|normal|the|a|an|any|each|"
    r"this|these|those|their|his|her|its|study|trial|first|last|initial|baseline|screening|visit|day|dose|"
    r"is|are|was|were|be|been|being|will|should|must|shall|may|can|also|only|not|"
    r"using|even|based|calculated|estimated|assessed|defined|evaluated|obtained|by|over|under|regardless)"
)


_WINDOW_WORD = re.compile(r"(?i)\b(?:within|prior|before|after|ago|since|past|last|previous|during)\b")


def _trailing_run(body: str, tokens: list[re.Match[str]], places: list[tuple[int, int]]) -> bool:
    """ "BMI <18 and >28 current prescription medication": a quantity read, then words run on with no separator
    that no qualifier word opens — another item of a list run together, not a qualifier of the quantity."""
    if not places:
        return False
    start, end = max(places, key=lambda place: place[1])
    run = re.match(r"\s+([A-Za-z][^,;:.()]*)", body[end:])
    if run is None or not re.search(r"\d", body[start:end]) or _WINDOW_WORD.search(body[start:end]):
        return False
    words = re.findall(r"[A-Za-z]+", run.group(1))
    unread = any(end + run.start(1) <= t.start() < end + run.end(1) for t in tokens)
    return len(words) >= 2 and unread and not _QUALIFIER_START.fullmatch(words[0])


def run_on_item(gap: str, before: ast.Node, after: ast.Node) -> bool:
    """ "age less than 18 years allergy to study drugs": a quantity read, then straight on (nothing but spaces
    between) a condition — two items of a list run together, never one qualifying the other."""
    quantity = isinstance(before, ast.Age | ast.Comparison)
    return quantity and isinstance(after, ast.Presence) and not gap.strip()


def hidden_alternatives(
    body: str, tokens: list[re.Match[str]], places: list[tuple[int, int]]
) -> Literal["exception", "run", ""]:
    """Whether an exclusion's unread words may be alternatives of their own although some sit right beside a leaf:
    beside an exception or a window "whichever is longer" ("exception"), or in a list run together ("run"); ""
    when neither."""
    if _WHICHEVER.search(body) or separate_outside_exception(body, tokens, places):
        return "exception"
    return "run" if run_together(body, tokens, places) else ""


def either(items: list[ast.Node], review: ast.NeedsReview) -> ast.Node:
    """ "AST/ALT ≤ 2.5 × ULN" in an inclusion: each of them, or one of them? The rule decides only where the two
    readings agree — true when all hold, false when none does — and leaves the rest to a person."""
    every, some = ast.AllOf(items=tuple(items)), ast.AnyOf(items=tuple(items))
    return ast.AnyOf(items=(every, ast.AllOf(items=(some, review))))


_CLAUSE_END = re.compile(r"[,;:.)，；：。）]")
_POPULATION_IF = re.compile(
    r"(?i)\b(?:included|includes?|eligible|enrolled|accepted|considered)\s+(?:\w+\s+)?(?:if|when)\b"
)


def relaxation(body: str, places: list[tuple[int, int]]) -> Literal["inside", "outside", "population", ""]:
    """How an inclusion's condition or exception ("INR ≤ 1.5 unless receiving anticoagulation", "≤ 3 × ULN if
    Gilbert syndrome", "if not on warfarin") bears on the leaves read: "outside" when every leaf lies outside its
    clause — the requirement read is then enough but not needed (``… or review``); "inside" when a leaf is part of
    the condition itself (nothing read is settled); "population" when it says whom the clause admits ("were included
    if …": every leaf stays needed); "" when there is none."""
    if _POPULATION_IF.search(body):
        return "population"
    scopes = []
    for match in cue("conditional").finditer(body):
        end = _CLAUSE_END.search(body, match.end())
        scopes.append((match.start(), end.start() if end else len(body)))
    if not scopes:
        return ""
    inside = any(start <= begin < end for begin, _ in places for start, end in scopes)
    return "inside" if inside else "outside"


def _window_key(node: ast.Node) -> tuple[str, str, bool] | None:
    if isinstance(node, ast.Presence) and node.window is not None and node.window.op == "<=":
        return (node.category, node.concept, node.active)
    return None


def ranged_windows(rule: ast.Node, review: ast.NeedsReview) -> ast.Node:
    """ "Stroke within 3 to 24 months", "within 2-7 days of presentation": two windows of one record read as both
    ``within 3 months and within 24 months`` would require the shorter one; the text asks for a record between the
    two. Only the longer window is needed: ``within 24 months and review``."""
    if isinstance(rule, (ast.AnyOf, ast.Not, ast.Implies)):
        if isinstance(rule, ast.AnyOf):
            return ast.AnyOf(items=tuple(ranged_windows(item, review) for item in rule.items))
        if isinstance(rule, ast.Not):
            return ast.Not(item=ranged_windows(rule.item, review))
        return ast.Implies(condition=rule.condition, then=ranged_windows(rule.then, review))
    if not isinstance(rule, ast.AllOf):
        return rule
    items = [ranged_windows(item, review) for item in rule.items]
    keys = [_window_key(item) for item in items]
    repeated = {key for key in keys if key is not None and keys.count(key) > 1}
    if not repeated:
        return ast.AllOf(items=tuple(items))
    kept: list[ast.Node] = []
    for key in repeated:
        same = [item for item, k in zip(items, keys, strict=True) if k == key]
        kept.append(max(same, key=lambda node: _days(node)))
    kept += [item for item, key in zip(items, keys, strict=True) if key not in repeated]
    return ast.AllOf(items=(*kept, review))


_DAYS = {"day": Fraction(1), "week": Fraction(7), "month": Fraction(30), "year": Fraction(365), "hour": Fraction(1, 24)}


def _days(node: ast.Node) -> Fraction:
    """About how many days a record's window reaches back (to tell the longer of two windows)."""
    window = getattr(node, "window", None)
    duration = window.duration if window is not None else None
    if not isinstance(duration, ast.Duration):
        return Fraction(0)
    return Fraction(duration.value) * _DAYS.get(str(duration.unit).rstrip("s"), Fraction(1))


def measures_joined(items: list[ast.Node], connective: str | None, kind: str, review: ast.NeedsReview) -> ast.Node:
    """Comparisons of several measures named together ("AST and ALT ≤ 2.5 × ULN"): all of them, or any for "or"
    — except an inclusion's "AST/ALT ≤ 2.5 × ULN", decided only where "both" and "either" agree (:func:`either`).
    Qualitative results joined by "or" ("positive ANA or anti-dsDNA") stay alternatives."""
    if connective == "or" and kind == "inclusion" and not any(isinstance(i, ast.Qualitative) for i in items):
        return either(items, review)
    return (ast.AnyOf if connective == "or" else ast.AllOf)(items=tuple(items))


# "Patients with prior surgically-cured malignancies are not excluded": an exclusion clause stating an exception.
_NOT_EXCLUDED = re.compile(
    r"(?i)\b(?:are|is|will\s+be|shall\s+be)\s+not\s+(?:be\s+)?excluded\b|\b(?:are|is|will\s+be)\s+(?:eligible|allowed|"
    r"permitted|acceptable)\b|不(?:予)?排除|可以入组|允许入组"
)
_SHORT_NEGATION = re.compile(r"(?i)\b(?:no|not|never|without|none)\b|[无未不]")
_WINDOW_WORDS = re.compile(
    r"(?i)\b(?:within|in\s+the\s+(?:past|last|previous|preceding)|during\s+the\s+(?:past|last|previous)|(?:past|last|"
    r"previous|preceding)\s+(?:\d+|one|two|three|four|six|twelve)?\s*(?:days?|weeks?|months?|years?))\b|\d+\s*(?:个月|周|天|年)内"
)


def exception_note(text: str) -> bool:
    """True when an exclusion states who is not excluded ("… are not excluded", "… are eligible"): a rule read from
    its concepts would exclude exactly those patients. An exception in parentheses ("(inactivated vaccines are
    permitted)") only narrows the clause."""
    return bool(_NOT_EXCLUDED.search(re.sub(r"[(（\[][^()（）\[\]]*[)）\]]", " ", text)))


def _uncovered(match: re.Match[str], covered: list[tuple[int, int]]) -> bool:
    return not any(start <= match.start() < end for start, end in covered)


def negation_before(body: str, places: list[tuple[int, int]], covered: list[tuple[int, int]]) -> bool:
    """True when a negation no leaf read stands before the first leaf ("There should be no plasma HIV-1 RNA > 200
    copies/mL"): what was read is then denied, not required."""
    first = min((start for start, _ in places), default=0)
    return any(_uncovered(m, covered) for m in _SHORT_NEGATION.finditer(body, 0, first))


def window_after(body: str, places: list[tuple[int, int]], covered: list[tuple[int, int]]) -> bool:
    """True when a time window no leaf read follows the last leaf ("Antibiotics or probiotics application within a
    month"): it may bound every item of the list, so none is enough on its own."""
    last = max((end for _, end in places), default=len(body))
    return any(_uncovered(m, covered) for m in _WINDOW_WORDS.finditer(body, last))


_OR_BEFORE = re.compile(r"(?i)\b(?:or|and/or)\s+$")


def implied_female_spans(text: str) -> list[tuple[int, int]]:
    """Where a female word is implied by a condition read ("pregnant women"); not where it opens an alternative of
    its own before any other ("Pregnancy or women during reproductive age"): there it names other people, who are
    left for review."""
    found = list(SEX_WORDS["female"].finditer(text))
    if found and _OR_BEFORE.search(text[: found[0].start()]):
        found = found[1:]  # the first female word, right after "or": other people ("or women of …")
    return [m.span() for m in found]
