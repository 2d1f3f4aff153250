"""More rule shapes that read a clause against its text (see misreadings.py); such a clause is left for review.

- a ratio read as its numerator or denominator: "FEV1/SVC < 70%" is not ``fev1 < 70 %`` (a ratio measure such as
  ``fev1_fvc_ratio`` is read only when the text names that ratio);
- an exacerbation of a condition read as the condition or any relapse: "COPD exacerbation" is neither ``copd`` nor
  ``relapse``, and never ``copd or relapse``;
- a local corticosteroid read as systemic: "corticosteroid injection in the knee", "intra-articular steroids";
- an abbreviation read as a condition where it names a device or procedure: "VT insertions" (ventilation tubes).
"""

from __future__ import annotations

import re

from eligibility.lang import ast
from eligibility.vocab.vocabulary import Vocabulary

_WORD = r"[A-Za-z][A-Za-z0-9]*"
_LOCAL = re.compile(
    r"(?i)\b(?:injections?|injected|intra-?articular(?:ly)?|intra-?lesional|epidural|joints?|topical(?:ly)?|"
    r"inhaled|inhalation|intra-?nasal|nasal|eye\s+drops?|ophthalmic|local(?:ly)?)\b"
)
_EXACERBATION = re.compile(r"(?i)\b(?:exacerbations?|flares?|flare-ups?|attacks?)\b")
_SYSTEMIC = re.compile(r"(?i)\b(?:systemic|oral(?:ly)?|intravenous(?:ly)?|i\.?v\.?|parenteral|intramuscular)\b")
_DEVICE = (
    r"\s+(?i:insertions?|inserted|placements?|placed|removals?|tubes?|catheters?|implants?|implantations?|"
    r"devices?|surgery|surger(?:ies))\b"
)


def _measures(rule: ast.Node) -> set[str]:
    kinds = (ast.Comparison, ast.RelativeComparison, ast.Qualitative, ast.Trend)
    return {node.measure for node in ast.walk(rule) if isinstance(node, kinds)}


def _names(vocabulary: Vocabulary, measure: str) -> list[str]:
    found = vocabulary.measure(measure)
    return [measure, *(found.aliases if found else ())]


def _ratio_misread(text: str, rule: ast.Node, vocabulary: Vocabulary) -> bool:
    """A measure of the rule written as one side of "A/B" where B (or A) is no measure the rule reads."""
    measures = _measures(rule)
    read = {name.casefold() for m in measures for name in _names(vocabulary, m)}
    for measure in measures:
        for name in _names(vocabulary, measure):
            if "/" in name or not name.strip():
                continue
            escaped = re.escape(name)
            pattern = rf"(?i)(?<![\w/]){escaped}\s*/\s*(?P<after>{_WORD})|(?P<before>{_WORD})\s*/\s*{escaped}(?![\w/])"
            for match in re.finditer(pattern, text):
                other = (match.group("after") or match.group("before")).casefold()
                if other not in read and not _within_ratio_name(text, match, read):
                    return True
    return False


def _within_ratio_name(text: str, match: re.Match[str], read: set[str]) -> bool:
    """True when the "A/B" found is itself a name the rule reads ("FEV1/FVC" of ``fev1_fvc_ratio``)."""
    pair = re.sub(r"\s*/\s*", "/", match.group(0)).casefold()
    return pair in read


def _presences(rule: ast.Node) -> list[ast.Presence]:
    return [node for node in ast.walk(rule) if isinstance(node, ast.Presence)]


def _exacerbation_misread(text: str, rule: ast.Node, vocabulary: Vocabulary) -> bool:
    """ "COPD exacerbation" drafted as ``copd or relapse`` or ``copd and relapse``: an event of X read as X, or
    as any relapse (of any disease)."""
    concepts = {node.concept for node in _presences(rule)}
    if "relapse" not in concepts or not _EXACERBATION.search(text):
        return False
    return any(_is_condition(vocabulary, concept) for concept in concepts - {"relapse"})


def _is_condition(vocabulary: Vocabulary, concept: str) -> bool:
    found = vocabulary.concept(concept)
    return found is not None and found.category == "condition"


def _local_steroid_misread(text: str, rule: ast.Node) -> bool:
    """ "Corticosteroid injection in the SI joint" drafted as ``systemic_corticosteroid``."""
    systemic = any(node.concept == "systemic_corticosteroid" for node in _presences(rule))
    return systemic and bool(_LOCAL.search(text)) and not _SYSTEMIC.search(text)


def _abbreviation_misread(text: str, rule: ast.Node, vocabulary: Vocabulary) -> bool:
    """A condition read from an abbreviation ("VT") that the text uses for a device or procedure ("VT insertions")."""
    for node in _presences(rule):
        found = vocabulary.concept(node.concept)
        if found is None or found.category != "condition":
            continue
        short = [a for a in found.aliases if len(a) <= 4 and a.isupper()]
        if any(re.search(rf"(?<![\w/]){re.escape(a)}{_DEVICE}", text) for a in short):
            return True
    return False


def wrong_reading(text: str, rule: ast.Node, vocabulary: Vocabulary) -> bool:
    """True when the drafted ``rule`` reads ``text`` against its meaning in one of the ways of this module."""
    return (
        _ratio_misread(text, rule, vocabulary)
        or _exacerbation_misread(text, rule, vocabulary)
        or _local_steroid_misread(text, rule)
        or _abbreviation_misread(text, rule, vocabulary)
    )
