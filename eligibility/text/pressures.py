"""Blood pressure written as one pair, "BP > 140/90 mmHg": a systolic and a diastolic threshold.

Whether a pair holds when one pressure passes its number or only when both do depends on what the text means, not
on its words: "BP >= 140/90" is hypertension when either is as high, "BP < 140/90" is controlled only when both are
below, but "BP < 90/60" is hypotension when either is that low. The rule decides only where both readings agree:
met when both pressures pass, not met when neither does, and a person decides when one does —
``(systolic and diastolic) or ((systolic or diastolic) and review)``. A pair with an equals sign (often a lost
"≤" or "≥") or with no comparator is not read.
"""

from __future__ import annotations

import re
from decimal import Decimal

from eligibility.lang import ast

_NAME = (
    r"(?i:\b(?:systolic\s*/\s*diastolic|SBP\s*/\s*DBP)(?:\s+(?:blood\s+)?pressure)?\b"
    r"|\bblood\s*pressured?\b|\bBP\b)"
)
_FILLER = r"(?:\s*\((?:BP|SBP\s*/\s*DBP)\))?(?:\s+(?i:of|is|was|must be|should be|at))?"
_OPS = {
    ">=": r">=|(?i:at or above|at\s*/\s*above|at least|no less than|not less than)",
    "<=": r"<=|(?i:at or below|at\s*/\s*below|at most|no more than|not more than|not exceeding|not to exceed)",
    ">": r">|(?i:greater than|more than|higher than|above|over|exceeding)",
    "<": r"<|(?i:less than|lower than|below|under)",
}
_PREFIX = "|".join(
    f"(?P<{name}>{pattern})" for name, pattern in zip(("ge", "le", "gt", "lt"), _OPS.values(), strict=True)
)
_PAIR = r"(?P<systolic>\d{2,3})\s*/\s*(?P<diastolic>\d{2,3})(?![\d/])(?:\s*(?i:mm\s*hg))?"
_POSTFIX = r"(?:\s+(?i:or\s+(?P<post_ge>higher|above|more|greater)|or\s+(?P<post_le>lower|less|below)))?(?![A-Za-z])"
_PRESSURE = re.compile(_NAME + _FILLER + rf"\s*(?:(?:{_PREFIX})\s*)?" + _PAIR + _POSTFIX)
_SIGNS = {"ge": ">=", "le": "<=", "gt": ">", "lt": "<", "post_ge": ">=", "post_le": "<="}


def _operator(match: re.Match[str]) -> str | None:
    found = [_SIGNS[name] for name in _SIGNS if match.group(name)]
    return found[0] if len(found) == 1 else None


def _leaf(measure: str, op: str, value: str, name: str) -> ast.Comparison:
    quantity = ast.Quantity(value=Decimal(value), unit="mmHg")
    return ast.Comparison(measure=measure, op=op, quantity=quantity, measure_text=name)


def pressure_pairs(text: str, taken) -> list[tuple[ast.Node, tuple[int, int]]]:
    """Leaves read from blood pressure pairs, with the span each accounts for; ``taken(start)`` tells whether a
    position is already read."""
    found: list[tuple[ast.Node, tuple[int, int]]] = []
    for match in _PRESSURE.finditer(text):
        op = _operator(match)
        if op is None or taken(match.start()) or taken(match.start("systolic")):
            continue
        items = (
            _leaf("systolic_bp", op, match.group("systolic"), "blood pressure"),
            _leaf("diastolic_bp", op, match.group("diastolic"), "blood pressure"),
        )
        review = ast.NeedsReview(text=f"one of the two pressures only: {match.group(0)}")
        both, either = ast.AllOf(items=items), ast.AnyOf(items=items)
        node = ast.AnyOf(items=(both, ast.AllOf(items=(either, review))))
        found.append((node, (match.start(), match.end())))
    return found
