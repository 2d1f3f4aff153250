"""A fully read item whose parts are independent becomes one sub-clause per part, each with its slice of text."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from eligibility.lang import ast
from eligibility.text.rules import Draft

if TYPE_CHECKING:
    from eligibility.registry.drafting import DraftedClause


def suffix(parent: str, index: int) -> str:
    """The id of the ``index``-th sub-clause of ``parent``: ``E9`` → ``E9a``; ``E9a`` → ``E9a-2``."""
    return (
        f"{parent}{chr(ord('a') + index)}"
        if not re.search(r"[a-z]$", parent) and index < 26
        else f"{parent}-{index + 1}"
    )


def _piece_text(text: str, start: int, end: int) -> str:
    return re.sub(r"^(?:[\s,;，；]|(?i:or|and|and/or)\b|[或和])+", "", text[start:end]).strip(" ,;，；")


def _separator(text: str, after: int, before: int) -> int | None:
    """Where to cut between two parts: the last ", ", ";", " or ", " and " between them, outside parentheses."""
    found = None
    for match in re.finditer(r"[,;，；、]|(?i:\s(?:and/or|or|and)\s)|[或和]", text[after:before]):
        position = after + match.start()
        if re.match(
            r"(?i)[,;，；、\s]*(?:or\s+|and\s+)?(?:such as|e\.g|including|like|especially|particularly|如|例如|包括)",
            text[position:],
        ):
            return None
        if text[:position].count("(") + text[:position].count("（") <= text[:position].count(")") + text[
            :position
        ].count("）"):
            found = position
    return found


def _parts(node) -> list:
    return list(node.items) if isinstance(node, (ast.AnyOf, ast.AllOf)) else [node]


def _subject_of(node) -> tuple:
    leaves: list = [n for n in ast.walk(node) if isinstance(n, ast.LEAF_TYPES)]
    return tuple(sorted({getattr(n, "measure", None) or getattr(n, "concept", None) or n.kind for n in leaves}))


def split_clause(clause: DraftedClause) -> list[DraftedClause]:
    """A fully read item whose parts are independent ("Serum creatinine > 2.5mg/dl or ALT / AST > 3 times ULN or
    bilirubin > 2.0mg/dl") becomes one sub-clause per part, each with its slice of the verbatim text. Parts join
    the way clauses do: inclusion parts must all pass, exclusion parts each exclude."""
    rule = clause.draft.rule
    joined = ast.AnyOf if clause.kind == "exclusion" else ast.AllOf
    if clause.draft.coverage != "rule" or not isinstance(rule, joined) or len(rule.items) < 2:
        return [clause]
    parts = rule.items
    spans = [[n.span for n in ast.walk(p) if n.span] for p in parts]
    subjects = [_subject_of(p) for p in parts]
    if not all(spans) or len(set(subjects)) < len(subjects):
        return [clause]
    bounds = [(min(s.start for s in group), max(s.end for s in group)) for group in spans]
    cuts = [_separator(clause.text, bounds[i][1], bounds[i + 1][0]) for i in range(len(parts) - 1)]
    stops = [cut for cut in cuts if cut is not None] + [len(clause.text)]
    if len(stops) < len(parts) or bounds != sorted(bounds):
        return [clause]
    result, start = [], 0
    for index, part in enumerate(parts):
        stop = stops[index]
        text = _piece_text(clause.text, start, stop)
        draft = Draft(part, "rule", "")
        result.append(
            replace(
                clause,
                id=suffix(clause.id, index),
                text=text,
                draft=draft,
                alt_text=None,
                notes=list(clause.notes) if index == 0 else [],
            )
        )
        start = stop
    if clause.alt_text:
        result[0].notes.append(f"the Chinese text of the whole item: {clause.alt_text}")
    return result
