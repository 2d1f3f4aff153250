"""Wording of findings shared by every patient (:func:`eligibility.engine.sharing.is_shared`), worded once.

A shared finding carries no evidence, so its wording depends on nothing about the patient: it is kept in a
table keyed by the finding's id. Each entry keeps its finding alive, so the id is not reused while it is a key;
the table is emptied when it reaches its limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from eligibility.engine.findings import Finding
from eligibility.engine.sharing import shared_ids

T = TypeVar("T")
LIMIT = 100_000


def shared_wording(word: Callable[[Finding], T]) -> Callable[[Finding], T]:
    """``word``, with its result kept for shared findings (worked out anew for the others)."""
    table: dict[int, tuple[Finding, T]] = {}
    shared = shared_ids()

    def worded(finding: Finding) -> T:
        if id(finding) not in shared:
            return word(finding)
        entry = table.get(id(finding))
        if entry is None or entry[0] is not finding:
            if len(table) >= LIMIT:
                table.clear()
            entry = table[id(finding)] = (finding, word(finding))
        return entry[1]

    return worded
