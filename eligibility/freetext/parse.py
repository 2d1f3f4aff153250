"""Reading one criterion: normalise, parse with the criteria grammar, attribute, and report."""

from __future__ import annotations

from dataclasses import dataclass

from lark.exceptions import LarkError

from ..errors import EligibilityError
from ..parsing import parser
from ..vocabulary import Vocabulary, default_vocabulary
from .atoms import atoms
from .attribution import Mention, attribute
from .lexicon import lexicon
from .normalize import Normalized, normalize
from .phrases import Phrase
from .transformer import CriteriaTransformer


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


def phrases_of(text: Normalized) -> list[Phrase]:
    """The phrases of normalised text; :class:`EligibilityError` if the grammar fails (a bug, not user error)."""
    try:
        tree = parser("criteria.lark").parse(text.text)
    except LarkError as error:  # the grammar accepts any text; this guards the guarantee
        raise EligibilityError(f"criteria grammar failed on {text.source!r}: {error}",
                               hint="please report this text; it is kept for review") from None
    return CriteriaTransformer(text.text).transform(tree)


def parse_criterion(text: str, vocabulary: Vocabulary | None = None) -> ParsedCriterion:
    """Read one criterion (a line or item of registry text)."""
    vocabulary = vocabulary or default_vocabulary()
    normalized = normalize(text)
    phrases = phrases_of(normalized)
    mentions = attribute(normalized.text, phrases, lexicon(vocabulary))
    return ParsedCriterion(normalized, tuple(phrases), tuple(mentions), vocabulary)
