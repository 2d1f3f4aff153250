"""Mentions → flat atoms, the contract of ``eligibility parse --format atoms`` (and of the corpus scorer)."""

from __future__ import annotations

import re
from decimal import Decimal

from eligibility.text.attribution import Mention
from eligibility.text.lexicon import lexicon
from eligibility.text.normalize import Normalized
from eligibility.vocab.vocabulary import Vocabulary

_SLUG = re.compile(r"[^a-z0-9\u4e00-\u9fff]+")
_WRITTEN_NUMBER = re.compile(
    r"[\d一二两三四五六七八九十百½¼¾⅓⅔]|\b[IVXivx]+\b|(?i:\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"\w+teen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|twice|single)\b)"
)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def slug(words: list[str]) -> str:
    """A measure name made from the last content words of a subject."""
    return _SLUG.sub("_", " ".join(words[-4:]).lower()).strip("_") or "unknown"


def atoms(mentions: list[Mention], text: Normalized, vocabulary: Vocabulary) -> list[dict]:
    """One atom per mention and measure (a mention naming "AST and ALT" gives two)."""
    result = []
    for mention in mentions:
        source = text.original(mention.phrase.start, mention.phrase.end)
        if not _WRITTEN_NUMBER.search(text.original(mention.amount.start, mention.amount.end)):
            continue  # a number the normaliser supplied ("in the past year"): no value written in the text
        for measure, words in _measures(mention, text, vocabulary):
            result.append(
                {
                    "measure": measure,
                    "measure_text": words,
                    "loinc": vocabulary.measures[measure].loinc if measure in vocabulary.measures else None,
                    "op": _op(mention),
                    "value": _number(mention.amount.value),
                    "unit": mention.amount.unit,
                    "window": _window(mention),
                    "text": source,
                }
            )
    return result


def _measures(mention: Mention, text: Normalized, vocabulary: Vocabulary) -> list[tuple[str, str | None]]:
    subject = mention.subject
    words = text.original(subject.start, subject.end) if subject.end > subject.start else None
    if mention.category in ("age", "onset"):
        return [("age_at_onset" if mention.category == "onset" else "age", words)]
    if mention.category == "count" and mention.amount.noun and not subject.measures:
        found = (
            lexicon(vocabulary)
            .concepts["event"]
            .find(f"{mention.amount.noun} {text.text[mention.phrase.start : mention.phrase.end]}")
        )
        return [(found[0].id, found[0].text) if found else (mention.amount.noun, mention.amount.noun)]
    if subject.measures:
        return [(hit.id, words) for hit in subject.measures]
    if not subject.content:
        noun = mention.amount.noun
        return [(noun, noun)] if noun else [("unknown", None)]
    return [(slug(subject.content), words)]


def _op(mention: Mention) -> str:
    if mention.category == "window" and mention.phrase.kind == "window" and mention.op == "<=":
        return "within"
    return mention.op


def _window(mention: Mention) -> dict | None:
    if mention.window is None:
        return None
    return {"value": _number(mention.window.value), "unit": mention.window.unit}
