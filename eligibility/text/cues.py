"""The cue words of drafting (negation, history, exceptions, filler, …) as patterns, built once from
``eligibility/data/cues.yaml``: the word lists are data, as pint keeps its units in a definitions file."""

from __future__ import annotations

import re
from functools import cache

import yaml

from eligibility.resources import data_path


@cache
def _lists() -> dict[str, dict[str, list[str]]]:
    data = yaml.safe_load(data_path("cues.yaml").read_text(encoding="utf-8"))
    return {name: {lang: str(words).split() for lang, words in entry.items()} for name, entry in data.items()}


@cache
def cue(name: str, extra: str = "") -> re.Pattern[str]:
    """The pattern of one cue list: its English words between word boundaries (any case), its Chinese words
    anywhere, and ``extra`` (a pattern of other characters) as a further alternative."""
    words = _lists()[name]
    parts = [r"(?i:\b(?:" + "|".join(words.get("en", [])) + r")\b)"]
    parts += words.get("zh", [])
    if extra:
        parts.append(extra)
    return re.compile("|".join(parts))
