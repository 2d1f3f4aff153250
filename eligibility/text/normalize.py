"""Text normalisation before lexing, keeping a map back to the original characters.

Full-width characters become ASCII, comparison signs get one spelling (``≤ ≦ =<`` → ``<=``), superscript
powers of ten become ``10^9``, dashes and tildes are unified, markdown escapes (``\\<``) and Chia's
``<U+2267>`` mojibake are undone, and a window without a number gets one ("in the past year" → "in the past 1
year"). Every normalised character remembers the original position it came from, so
spans reported to users point into the text they wrote.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_POWER = re.compile(r"10\s?([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
_CODEPOINT = re.compile(r"<U\+([0-9A-Fa-f]{4,5})>")
_REPLACEMENTS = [
    (r"[≤≦⩽]|=\s?<|<\s?/?\s?=|＜\s*=", "<="),
    (r"[≥≧⩾]|=\s?>|>\s?/?\s?=|＞\s*=", ">="),
    (r"\\[<>*\-_~\[\]().#+^]", None),  # markdown escape: keep the character
    (r"[‐‑‒–—―−﹣－]", "-"),
    (r"[～〜∼]", "~"),
    (r"[×✕]", "x"),
    (r"[。]", "."),
    (r"[、]", ","),
    (r"[“”„]", '"'),
    (r"[‘’]", "'"),
    (r"[µμ]", "u"),
    (r"\u00a0|\u2009|\u202f|\u3000", " "),
]
_ONE_PASS = re.compile("|".join(f"({pattern})" for pattern, _ in _REPLACEMENTS))


def _replacement(match: re.Match) -> str:
    assert match.lastindex is not None  # one group of the alternation matched
    index = match.lastindex - 1
    replacement = _REPLACEMENTS[index][1]
    return match.group(0)[1:] if replacement is None else replacement


_SPECIAL = re.compile(r"[^\x00-\x7f]|[<>=\\]")
# A window named without a number: "in the past year" is the past 1 year, "half a year" and "半年" 6 months.
_NUMBERLESS = re.compile(
    r"(?i)\b(?:within|in|during|over)(?:\s+the)?\s+(?:past|last|previous|preceding)(?:(?=\s+year\b(?!s))|"
    r"(\s+half[\s-]+(?:a[\s-]+)?year\b(?!s)))|半年"
)


def _numberless(text: str, origin: list[int]) -> tuple[str, list[int]]:
    """Each numberless window with its number; new characters map onto the words they stand for."""
    pieces, mapped, last = [], [], 0
    for match in _NUMBERLESS.finditer(text):
        if match.group(0) == "半年":
            kept, new = "", "6个月"
        elif match.group(1):
            kept, new = text[match.start() : match.start(1)], " 6 months"
        else:
            kept, new = match.group(0), " 1"
        pieces += [text[last : match.start()], kept, new]
        mapped += origin[last : match.start() + len(kept)]
        first, width = match.start() + len(kept), max(1, match.end() - match.start() - len(kept))
        mapped += [origin[min(first + i * width // len(new), len(origin) - 1)] for i in range(len(new))]
        last = match.end()
    pieces.append(text[last:])
    mapped += origin[last:]
    return "".join(pieces), mapped


@dataclass(frozen=True)
class Normalized:
    """Normalised text and, for each of its characters, the index of the original character
    (``origin`` is ``None`` when nothing changed)."""

    text: str
    origin: tuple[int, ...] | None
    source: str

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` of a normalised ``[start, end)``."""
        if self.origin is None:
            return start, end
        if start >= len(self.origin):
            return len(self.source), len(self.source)
        last = self.origin[end - 1] + 1 if end > start else self.origin[start]
        return self.origin[start], last

    def original(self, start: int, end: int) -> str:
        """The original text behind a normalised span."""
        begin, finish = self.span(start, end)
        return self.source[begin:finish]


def _substitute(text: str, origin: list[int], pattern: re.Pattern, replacement) -> tuple[str, list[int]]:
    pieces, mapped, last = [], [], 0
    for match in pattern.finditer(text):
        pieces.append(text[last : match.start()])
        mapped.extend(origin[last : match.start()])
        new = match.expand(replacement) if isinstance(replacement, str) else replacement(match)
        pieces.append(new)
        anchor = origin[match.start()] if match.start() < len(origin) else (origin[-1] if origin else 0)
        mapped.extend([anchor] * len(new))
        last = match.end()
    pieces.append(text[last:])
    mapped.extend(origin[last:])
    return "".join(pieces), mapped


def normalize(source: str) -> Normalized:
    """Normalise criteria text for the lexer (see the module docstring)."""
    if not _SPECIAL.search(source) and not _NUMBERLESS.search(source):
        return Normalized(source, None, source)
    text, origin = source, list(range(len(source)))
    text, origin = _numberless(text, origin)
    text, origin = _substitute(text, origin, _CODEPOINT, lambda m: chr(int(m.group(1), 16)))
    text, origin = _substitute(text, origin, _POWER, lambda m: "10^" + m.group(1).translate(_SUPERSCRIPT_DIGITS))
    chars, mapped = [], []
    for position, char in enumerate(text):
        folded = unicodedata.normalize("NFKC", char) if ord(char) > 127 else char
        chars.append(folded)
        mapped.extend([origin[position]] * len(folded))
    text, origin = "".join(chars), mapped
    text, origin = _substitute(text, origin, _ONE_PASS, _replacement)
    return Normalized(text, tuple(origin), source)
