"""Mentions → a rule for one criterion item, and what part of its text the rule covers.

Only what the vocabulary can resolve becomes a rule: comparisons on known measures with units that convert,
multiples of ULN/LLN, ages, records of known concepts (optionally within a window, negated, or counted). The
text no rule captures stays in the rule as a needs-review leaf, so nothing is lost and a person sees exactly
what was not read. Leaves are joined the way the item's kind reads: inclusion items by "and", exclusion items
by "or" — unless the text around them says otherwise ("unless", "except", "if" turn the join around, since
"A unless B" must not decide on A alone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from eligibility.lang import ast
from eligibility.text.builder import Builder
from eligibility.text.cues import cue
from eligibility.text.parse import ParsedCriterion

Coverage = Literal["rule", "partial", "review"]


@dataclass(frozen=True)
class Draft:
    """The rule read from one criterion, what it covers, and the text left for review."""

    rule: ast.Node | None
    coverage: Coverage
    leftover: str


def _join(text: str, places: list[tuple[int, int]], leaves: list[ast.Node], default: str) -> ast.Node:
    """Join leaves as written: a comma or semicolon before "and"/"or" separates groups ("(A or B), and C"),
    a bare "and"/"or" joins neighbours; elsewhere the item's kind decides."""
    unique = list(dict.fromkeys(range(len(leaves))))
    seen: list[ast.Node] = []
    for index in unique:
        if leaves[index] in seen:
            unique.remove(index)
        seen.append(leaves[index])
    places, leaves = [places[i] for i in unique], [leaves[i] for i in unique]
    if len(leaves) == 1:
        return leaves[0]
    groups: list[tuple[str, list[ast.Node]]] = []
    words: list[str] = []
    current = [leaves[0]]
    inner = default
    for index in range(1, len(leaves)):
        gap = text[places[index - 1][1] : places[index][0]]
        top = re.search(r"(?i)[,;]\s*(and|or)\b", gap)
        word = re.search(r"(?i)\b(and|or)\b|和|或", gap)
        if top:
            groups.append((inner, current))
            words.append(top.group(1).lower())
            current, inner = [leaves[index]], default
        else:
            if word:
                inner = "or" if word.group(0).lower() in ("or", "或") else "and"
            current.append(leaves[index])
    groups.append((inner, current))
    nodes = [
        items[0] if len(items) == 1 else (ast.AnyOf if how == "or" else ast.AllOf)(items=tuple(items))
        for how, items in groups
    ]
    if len(nodes) == 1:
        return nodes[0]
    outer = words[0] if len(set(words)) == 1 else default
    return (ast.AnyOf if outer == "or" else ast.AllOf)(items=tuple(nodes))


def draft_rule(parsed: ParsedCriterion, kind: str = "inclusion") -> Draft:
    """The rule of one criterion item (``kind`` decides how its parts join)."""
    builder = Builder(parsed, kind)
    builder.intro()
    for mention in parsed.mentions:
        builder.mention(mention)
    builder.qualitative()
    builder.concepts()
    leftover = builder.leftover()
    leaves = builder.leaves
    if not leaves:
        return Draft(None, "review", leftover)
    default = "or" if kind == "exclusion" else "and"
    ordered = sorted(zip(builder.places, leaves, strict=False), key=lambda pair: pair[0])
    rule = _join(parsed.text.text, [p for p, _ in ordered], [leaf for _, leaf in ordered], default)
    if leftover:
        conditional = bool(cue("conditional").search(parsed.text.text))
        review = ast.NeedsReview(text=parsed.text.source.strip())
        group = ast.AnyOf if (kind == "exclusion") != conditional else ast.AllOf
        rule = group(items=(rule, review))
    return Draft(rule, "partial" if leftover else "rule", leftover)
