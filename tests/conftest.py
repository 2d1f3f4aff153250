"""Shared test set-up: hypothesis profiles and tiny loaders for golden data files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml
from hypothesis import HealthCheck, settings

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "eligibility"]  # the command line, without relying on the venv's bin on PATH

settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def load_cases(name: str) -> list[dict]:
    """A YAML list of golden cases from tests/data."""
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def grammar_text_strategy(name: str, tokens: dict | None = None, latin: bool = True):
    """Text generated from a shipped grammar (hypothesis.extra.lark), over Latin characters or all of Unicode.

    With ``tokens`` (terminal name → strategy, used instead of the terminal's regex), every token is followed by
    a space so keywords do not run together: most such texts read, so they exercise what comes after the parser.
    """
    from hypothesis import strategies as st
    from hypothesis.extra.lark import from_lark
    from lark import Lark
    from lark.lexer import PatternStr

    from eligibility.resources import grammar_path

    grammar = Lark(grammar_path(name).read_text(encoding="utf-8"), parser="lalr", lexer="contextual")
    alphabet = st.characters(max_codepoint=0x17F if latin else None, exclude_categories=("Cs",))
    if tokens is None:
        return from_lark(grammar, alphabet=alphabet)
    explicit = {}
    for terminal in grammar.terminals:
        pattern = terminal.pattern
        if terminal.name in tokens:
            token = tokens[terminal.name]
        elif isinstance(pattern, PatternStr):
            token = st.just(pattern.value)
        else:
            token = st.from_regex(pattern.to_regexp(), fullmatch=True, alphabet=alphabet)
        explicit[terminal.name] = token.map(lambda text: text + " ")
    return from_lark(grammar, explicit=explicit, alphabet=alphabet)
