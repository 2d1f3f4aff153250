"""Rule shapes that would read a clause against its text, found after drafting; such a clause is left for review.

- an age read where the text gives someone else's ("Have at least one child ≤ 6 years of age", "parents are 18
  years old or more") or a disease duration ("less than one year duration of Parkinson's");
- a record of an examination read where the text asks for its result ("Have a normal ECG");
- a window read as the past where the text looks ahead or plans ("planning to become pregnant in the next 6
  months", "transplantation scheduled within 6 months");
- an allergy read as any allergy where the text names what it is to ("allergy to study drugs", "hypersensitivity
  to the drugs": words the drafter takes as filler, the object still narrows it);
- bounds on one measure that no value meets together ("BMI <18 and >28" means outside the range, not both).
"""

from __future__ import annotations

import re

from eligibility.lang import ast
from eligibility.text.necessity import examination
from eligibility.text.wrong_readings import wrong_reading
from eligibility.vocab.vocabulary import Vocabulary

_SOMEONE_ELSE = re.compile(
    r"(?i)\b(?:parents?|mothers?|fathers?|caregivers?|carers?|guardians?|spouses?|partners?|siblings?|donors?)\b|"
    r"\b(?:have|has|having|with|of)\s+(?:at\s+least\s+)?(?:a|an|one|two|\d+)\s+(?:child|children|infants?|bab(?:y|ies)|"
    r"sons?|daughters?)\b|\bhealthy\s+persons?\b|父母|母亲|父亲|家长|照顾者|配偶|子女"
)
_DURATION = re.compile(r"(?i)\bduration\b|\bdisease\s+(?:for|of)\b|\bsince\s+(?:the\s+)?diagnosis\b|病程|患病")
_RESULT = re.compile(r"(?i)\b(?:ab)?normal(?:ity|ities)?\b(?!\s+(?:limits?|range|values?))|异常|正常")
_AHEAD = re.compile(
    r"(?i)\b(?:in|within|over|during)\s+the\s+(?:next|following|coming|upcoming)\b|\bscheduled\b|\bplanned\b|"
    r"\bexpected\s+to\b|未来|今后|计划"
)


def _nodes(rule: ast.Node) -> list[ast.Node]:
    return list(ast.walk(rule))


_ALLERGY_TO = re.compile(r"(?i)\b(?:allerg\w*|hypersensitiv\w*|intoleran\w*)\s+(?:to|against|towards)\s+\S")
_ALLERGY = {"hypersensitivity", "drug_allergy"}
_BELOW = {"<", "<="}
_ABOVE = {">", ">="}


def _bare_allergy(node: ast.Node, guarded: bool = False) -> bool:
    """True when an allergy is read without a review leaf beside it in an "and" (``allergy and review`` decides only
    where no allergy is on record; ``allergy or review`` would decide on any allergy)."""
    if isinstance(node, ast.Presence):
        return node.concept in _ALLERGY and not guarded
    if isinstance(node, ast.AllOf):
        guarded = guarded or any(isinstance(item, ast.NeedsReview) for item in node.items)
    if isinstance(node, (ast.AllOf, ast.AnyOf)):
        return any(_bare_allergy(item, guarded) for item in node.items)
    if isinstance(node, ast.Not):
        return _bare_allergy(node.item, guarded)
    if isinstance(node, ast.Implies):
        return _bare_allergy(node.condition, guarded) or _bare_allergy(node.then, guarded)
    return False


def _contradictory(group: ast.AllOf) -> bool:
    """True when two comparisons of ``group`` on the same measure, unit and window admit no common value."""
    compared = [i for i in group.items if isinstance(i, ast.Comparison)]
    for upper in (c for c in compared if c.op in _BELOW):
        for lower in (c for c in compared if c.op in _ABOVE):
            same = (upper.measure, upper.quantity.unit, upper.window) == (
                lower.measure,
                lower.quantity.unit,
                lower.window,
            )
            touching = upper.quantity.value == lower.quantity.value and not (upper.op == "<=" and lower.op == ">=")
            if same and (upper.quantity.value < lower.quantity.value or touching):
                return True
    return False


def misread(text: str, rule: ast.Node, vocabulary: Vocabulary) -> bool:
    """True when the drafted ``rule`` has a shape that reads ``text`` against its meaning (see the module)."""
    nodes = _nodes(rule)
    if any(isinstance(node, ast.AllOf) and _contradictory(node) for node in nodes):
        return True
    if _ALLERGY_TO.search(text) and _bare_allergy(rule):
        return True
    if any(isinstance(node, ast.Age) for node in nodes) and (_SOMEONE_ELSE.search(text) or _DURATION.search(text)):
        return True
    examined = [n for n in nodes if isinstance(n, ast.Presence) and examination(vocabulary, n.concept)]
    if examined and _RESULT.search(text):
        return True
    if wrong_reading(text, rule, vocabulary):
        return True
    windowed = [n for n in nodes if isinstance(n, ast.Presence) and n.window is not None]
    return bool(windowed) and bool(_AHEAD.search(text))
