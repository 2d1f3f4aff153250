"""Where the grammars, the bundled rules and the vocabulary data live.

In a built wheel ``grammars/`` and ``rules/`` are shipped inside the package (``eligibility/grammars``,
``eligibility/rules``); in a source checkout (including an editable install) they are the top-level folders
of the repository. Both layouts are found here and nowhere else.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped_or_source(name: str) -> Path:
    inside = _PACKAGE / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name


def grammar_path(name: str) -> Path:
    """Path of a grammar file shipped with the package (``rule.lark``, ``criteria.lark``)."""
    return _shipped_or_source("grammars") / name


def bundled_rules_dir() -> Path:
    """The folder of trial rule files bundled with the package."""
    return _shipped_or_source("rules")


def data_path(name: str) -> Path:
    """Path of a vocabulary data file inside the package."""
    return _PACKAGE / "data" / name
