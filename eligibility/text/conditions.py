"""Clauses that say whom they concern: "If receiving methotrexate, last dose at least 4 weeks before enrolment",
"For patients receiving rituximab: …", "If female, negative pregnancy test", "对于接受利妥昔单抗治疗者，…".

The opening names one known concept (a drug being taken, a condition, childbearing potential) or a sex, with no
other word than who and how ("patients", "receiving", "treated with", 患者, 接受); the rest is drafted on its own.
Only when the rest is read fully does the clause become ``if A then B`` (inclusion: it holds for whoever A does not
concern) or ``A and B`` (exclusion: it excludes whoever both concern). Otherwise the caller drafts the clause as
before, and it stays partly or wholly for review.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from eligibility.lang import ast
from eligibility.text.lexicon import lexicon
from eligibility.text.parse import ParsedCriterion, parse_criterion

_OPENING = re.compile(
    r"(?i)^\s*(?:if|for)\s+(?P<who>[^:,;，：；()]{2,80}?)\s*[:,，：]\s*(?=\S)|^\s*对于(?P<zh>[^:,;，：；()]{2,40}?)[:,，：]\s*(?=\S)"
)
_WHO = re.compile(
    r"(?i)\b(?:patients?|subjects?|participants?|those|people|individuals?|who|are|is|be|being|currently|receiving|"
    r"taking|on|treated|with|using|under|treatment|therapy|the|a|an|of)\b|患者|受试者|者|接受|使用|正在|治疗|的|\s|[-/]"
)
_TAKING_NOW = re.compile(r"(?i)\b(?:receiving|taking|on|using|currently|under)\b|正在")
_SEX = {
    "female": re.compile(r"(?i)^(?:a\s+)?(?:females?|women|woman)$|^女性$"),
    "male": re.compile(r"(?i)^(?:a\s+)?(?:males?|men|man)$|^男性$"),
}

_PEOPLE = re.compile(
    r"(?i)\b(?:patients?|subjects?|participants?|those|women|females?|men|males?|receiving|taking|treated)\b|患者|受试者|者"
)


def _condition(words: str, parsed: ParsedCriterion) -> ast.Node | None:
    """The concept (or sex) an opening names, when it names nothing else."""
    for sex, pattern in _SEX.items():
        if pattern.match(words.strip()):
            return ast.Sex(value=sex)
    finders = lexicon(parsed.vocabulary).concepts
    hits = [(category, hit) for category in ("medication", "condition") for hit in finders[category].find(words)]
    if len({hit.id for _c, hit in hits}) != 1:
        return None
    category, hit = hits[0]
    rest = words[: hit.start] + " " * (hit.end - hit.start) + words[hit.end :]
    if _WHO.sub("", rest).strip(" ,."):
        return None  # "For participants with plaque psoriasis": a word the concept does not say
    active = category == "medication" and bool(_TAKING_NOW.search(words))
    return ast.Presence(category=category, concept=hit.id, concept_text=hit.text, active=active)


def _about_doses(rule: ast.Node, concept: str) -> bool:
    """True when the rule is about when or how much of the drug was taken."""
    kinds = (ast.DoseTiming, ast.DoseComparison)
    return any(isinstance(node, kinds) and node.concept == concept for node in ast.walk(rule))


def conditional_opening(parsed: ParsedCriterion) -> re.Match[str] | None:
    """The opening "If …," / "For …:" / "对于…，" of an item, if it has one."""
    return _OPENING.match(parsed.text.text)


def concerns_some(parsed: ParsedCriterion) -> bool:
    """True when the item opens by saying whom it concerns ("For patients receiving rituximab: …")."""
    opening = conditional_opening(parsed)
    return opening is not None and bool(_PEOPLE.search(opening.group("who") or opening.group("zh")))


def draft_conditional(parsed: ParsedCriterion, kind: str, draft: Callable) -> ast.Node | None:
    """``if A then B`` (inclusion) or ``A and B`` (exclusion) when the opening names A and the rest reads fully as
    B; None otherwise. ``draft`` drafts the rest (``text.rules.draft_rule``)."""
    opening = conditional_opening(parsed)
    if opening is None:
        return None
    condition = _condition(opening.group("who") or opening.group("zh"), parsed)
    if condition is None:
        return None
    begin = parsed.text.span(opening.end(), opening.end())[0]
    rest = draft(parse_criterion(" " * begin + parsed.text.source[begin:], parsed.vocabulary), kind)
    if rest.coverage != "rule" or rest.rule is None:
        return None
    if isinstance(condition, ast.Presence) and condition.active and _about_doses(rest.rule, condition.concept):
        condition = condition.model_copy(update={"active": False})  # "receiving X: last dose of X …" means treated
    if kind == "exclusion":
        return ast.AllOf(items=(condition, rest.rule))
    return ast.Implies(condition=condition, then=rest.rule)
