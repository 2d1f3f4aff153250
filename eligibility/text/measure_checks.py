"""Checks on thresholds drafted from a criterion: a measure named again with another value in unread words, and a
procedure named only as how a measure was taken.

"ASA 2 and stable ASA 3 patients": the rule reads ``asa_class == 2``; "stable ASA 3" is left over. Whether the
unread value is another alternative (ASA 2 or a stable ASA 3) or a further condition, no review leaf joined to the
read value decides rightly both ways, so such an item is left for review as a whole.
"""

from __future__ import annotations

import re

from eligibility.lang import ast
from eligibility.text.lexicon import lexicon
from eligibility.vocab.vocabulary import Vocabulary

_VALUE_AFTER = re.compile(r"\s*(?:[:=<>≤≥]\s*)?(?:\d|(?:I{1,3}|IV|V|VI)\b)")


def measure_named_again(
    text: str, leaves: list[ast.Node], unread: list[tuple[int, int]], vocabulary: Vocabulary
) -> bool:
    """True when a measure compared in ``leaves`` is named in unread words of ``text`` right before a value."""
    read = {node.measure for leaf in leaves for node in ast.walk(leaf) if isinstance(node, ast.Comparison)}
    if not read or not unread:
        return False
    for hit in lexicon(vocabulary).measures.find(text):
        if hit.id in read and any(start <= hit.start < end for start, end in unread):
            if _VALUE_AFTER.match(text, hit.end):
                return True
    return False


_METHOD = re.compile(
    r"(?i)[\s,]*(?:(?:as\s+)?(?:measured|assessed|determined)\s+)?(?:on|by|via|using)\s+"
    r"(?:an?\s+|the\s+)?(?:\d+[- ]lead\s+)?"
)


def method_of_measure(
    text: str, places: list[tuple[int, int]], leaves: list[ast.Node], category: str, begin: int
) -> bool:
    """ "QTc > 500 ms on EKG": a procedure named right after a threshold read in ``leaves`` (at ``places``), as how it
    was measured, is no record to require ("CKD on hemodialysis" is: no threshold before it)."""
    if category != "procedure":
        return False
    ends = [
        end
        for (_, end), leaf in zip(places, leaves, strict=False)
        if isinstance(leaf, (ast.Comparison, ast.RelativeComparison)) and end <= begin
    ]
    return bool(ends) and _METHOD.fullmatch(text[max(ends) : begin]) is not None
