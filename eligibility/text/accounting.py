"""What a drafted rule must account for in its text: words, numbers, comparators, sex words, abbreviations."""

from __future__ import annotations

import re
from collections.abc import Callable

# What must be accounted for: words, numbers, comparators, and sex words however short ("men", "男").
CONTENT = re.compile(
    r"[A-Za-z][A-Za-z0-9'\-]{2,}|[\u4e00-\u9fff]{2,}|\d+(?:[.,]\d+)?|[<>≤≥≦≧＜＞]|(?i:\bm[ae]n\b)|[男女]|\b[A-Z]\b"
)
# "Bacillus Calmette-Guérin (BCG)", "body mass index [BMI]": an abbreviation in parentheses or brackets.
ABBREVIATION = re.compile(r"\s*[(（\[]\s*((?=[^)）\]]*[A-Z])[A-Za-z][A-Za-z0-9]{1,7})\s*[)）\]]")
# Between a leftover word and a leaf, one of these makes the leftover a separate part rather than a qualifier.
EXPANSION = re.compile(r"\b([A-Z]{2,6})\s*[(（]([A-Za-z][A-Za-z\s\-]{4,80})[)）]")
SEPARATOR = re.compile(r"(?i)[,;，；。、/]|\b(?:or|and|and\s*/\s*or)\b|[或和及]")
AGE_WORD = re.compile(r"(?i)\b(?:age[sd]?|old|older|younger|years?|yrs?|months?)\b|岁|年龄")
FEMALE_CONDITIONS = {"pregnancy", "breastfeeding", "lactation", "childbearing_potential"}
SEX_WORDS = {
    "male": re.compile(r"(?i)\b(?:males?|men|man|boys?)\b|男性|男"),
    "female": re.compile(r"(?i)\b(?:females?|women|woman|girls?)\b|女性|女"),
}


_LINKS = {"of", "and", "the", "for"}


def abbreviation_spans(body: str, is_covered: Callable[[int], bool]) -> list[tuple[int, int]]:
    """ "Bacillus Calmette-Guérin (BCG)", "丙氨酸转氨酶 (ALT)": a name and its abbreviation in parentheses are one
    name; whichever of the two was read (``is_covered``) accounts for the other. The spans to cover."""
    spans = []
    for match in ABBREVIATION.finditer(body):
        letters = match.group(1)
        inside = is_covered(match.start(1))
        offset = max(0, match.start() - 80)
        words = [w for w in re.finditer(r"[^\W\d_]+", body[offset : match.start()]) if w.group(0) not in _LINKS]
        words = words[-len(letters) :]
        named = len(words) == len(letters) and all(
            w.group(0)[0].lower() == c.lower() for w, c in zip(words, letters, strict=True)
        )
        before = offset + words[0].start() if named else match.start()
        if inside and named:
            spans.append((before, match.start()))
        elif (is_covered(match.start() - 1) and _initial_of(letters, words)) or (named and is_covered(before)):
            spans.append((match.start(), match.end()))
    return spans


def _initial_of(letters: str, words: list[re.Match[str]]) -> bool:
    """ "Myocardial infarction (STEMI)" is no abbreviation of the name before it but a narrower term: an
    abbreviation starts with the initial of one of the words it follows."""
    if words and re.match(r"[\u4e00-\u9fff]", words[-1].group(0)):
        return True  # "体重指数(BMI)": a Chinese name has no initials
    return any(w.group(0)[0].lower() == letters[0].lower() for w in words)


def expansion_spans(body: str, is_covered: Callable[[int], bool]) -> list[tuple[int, int]]:
    """ "ECOG (Eastern Cooperative Oncology Group)": an abbreviation read, then its words spelled out in
    parentheses (their initials are its letters, typos aside) — the parenthesis is part of the name."""
    spans = []
    for match in EXPANSION.finditer(body):
        letters, words = match.group(1), re.findall(r"[^\W\d_]+", match.group(2))
        initials = "".join(w[0] for w in words if w.lower() not in ("of", "and", "the", "for"))
        if is_covered(match.start(1)) and initials.lower() == letters.lower():
            spans.append((match.end(1), match.end()))
    return spans
