"""Reading one criterion: normalise, parse with the criteria grammar, attribute, and report."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lark.exceptions import LarkError

from eligibility.errors import EligibilityError
from eligibility.lang.parsing import parser
from eligibility.text.atoms import atoms
from eligibility.text.attribution import Mention, attribute
from eligibility.text.lexicon import lexicon
from eligibility.text.normalize import Normalized, normalize
from eligibility.text.phrases import Phrase
from eligibility.text.transformer import CriteriaTransformer
from eligibility.vocab.vocabulary import Vocabulary, default_vocabulary


@dataclass(frozen=True)
class ParsedCriterion:
    """A criterion read from text: its phrases and mentions (atoms and rules derive from them)."""

    text: Normalized
    phrases: tuple[Phrase, ...]
    mentions: tuple[Mention, ...]
    vocabulary: Vocabulary

    def atoms(self) -> list[dict]:
        """The flat atoms (see the README's atom contract)."""
        return atoms(list(self.mentions), self.text, self.vocabulary)


# Every phrase of the criteria grammar holds a number: text without one has none (and is not parsed).
_NUMBER = re.compile(
    r"\d|(?i:\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|"
    r"ninety|hundred|twice|single|triple|double|thrice)\b)|[一二两三四五六七八九十]|\b(?:I|II|III|IV|V|VI|VII|VIII|IX|X)\b"
    r"|\b(?:ULN|LLN)\b|(?i:\b(?:upper|lower) (?:limits? of|normal)\b|\bnormal upper limit)"
)


_BEFORE, _AFTER = 80, 60


def focus(text: str) -> str | None:
    """The text with everything far from any number blanked out (offsets kept), or None if it has no number.

    Structural tokens only ever sit next to a number (comparators, units, windows, ages within a few words), so
    the lexer need not read the rest; blanking it makes long items cheap to lex.
    """
    spans: list[list[int]] = []
    for match in _NUMBER.finditer(text):
        start, end = max(0, match.start() - _BEFORE), match.end() + _AFTER
        if spans and start <= spans[-1][1]:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    if not spans:
        return None
    if spans[0][0] == 0 and spans[-1][1] >= len(text) and len(spans) == 1:
        return text
    pieces, last = [], 0
    for start, end in spans:
        pieces.append(" " * (start - last))
        pieces.append(text[start:end])
        last = end
    pieces.append(" " * max(0, len(text) - last))
    return "".join(pieces)[: len(text)]


def phrases_of(text: Normalized) -> list[Phrase]:
    """The phrases of normalised text; :class:`EligibilityError` if the grammar fails (a bug, not user error)."""
    visible = focus(text.text)
    if visible is None:
        return []
    try:
        tree = parser("criteria.lark", positions=False).parse(visible)
    except LarkError as error:  # the grammar accepts any text; this guards the guarantee
        raise EligibilityError(
            f"criteria grammar failed on {text.source!r}: {error}",
            hint="please report this text; it is kept for review",
        ) from None
    return CriteriaTransformer(text.text).transform(tree)


def parse_criterion(text: str, vocabulary: Vocabulary | None = None) -> ParsedCriterion:
    """Read one criterion (a line or item of registry text)."""
    vocabulary = vocabulary or default_vocabulary()
    normalized = normalize(text)
    phrases = phrases_of(normalized)
    mentions = attribute(normalized.text, phrases, lexicon(vocabulary))
    return ParsedCriterion(normalized, tuple(phrases), tuple(mentions), vocabulary)
