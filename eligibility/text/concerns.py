"""Whom an inclusion's requirement concerns: "Female patients must have a negative serum pregnancy test",
"Women of childbearing potential must use contraception", "Hemoglobin ≥ 12 g/dL for women", "女性患者须妊娠试验阴性".

A sex word or childbearing potential named beside a requirement may describe the population ("Women aged 18-45":
``sex is female and age …``) or only say whom the requirement concerns: then the clause holds for everyone else,
``if sex is female then …``, and a conjunction would fail every man. The clause is read as whom it concerns when
the requirement is one only a woman can meet (a pregnancy test, contraception, not pregnant or breastfeeding), when
a modal verb follows the scope words ("must", "should", 须), when a colon does ("Females: …"), when the scope words
come after the requirement ("… for women", "(men)"), or when they stand right before a measure ("女性血红蛋白 …": a
threshold by sex). Exclusions need nothing of this: "excluded when both hold" is the same either way.
"""

from __future__ import annotations

import re

from eligibility.lang import ast
from eligibility.text.accounting import SEX_WORDS

_MODAL = re.compile(
    r"(?i)\b(?:must|should|shall|needs?\s+to|(?:is|are)\s+required\s+to|will\s+(?:need|have)\s+to|has\s+to|have\s+to)"
    r"\b|须|必须|应|需要|需"
)
_COLON = re.compile(r"(?i)^\s*(?:(?:patients?|subjects?|participants?|only)\s*)*[:：]|^\s*(?:患者|受试者)?[:：]")
_TRAILING = re.compile(r"(?i)(?:\bfor|\bin|\bamong|[(（])\s*(?:the\s+|all\s+|any\s+)?$")
_BEFORE_MEASURE = re.compile(r"^(?:\s|患者|受试者|的)*$")
# "Group 4: Patients with plaque psoriasis …", "Cohort 1 only: …", "A组：…": an inclusion for one cohort only.
_ONE_COHORT = re.compile(
    r"(?i)^\W*(?:\d+[.)]\s*)?(?:(?:for\s+)?(?:groups?|cohorts?|arms?|parts?|phases?|stages?)\s*[\w\-]{1,4}(?:\s*(?:and|or|&|,)\s*"
    r"[\w\-]{1,4})*(?:\s+only)?|[A-Za-z0-9一二三四五六七八九十]{1,3}\s*(?:组|队列))\s*[:：]"
)
_EVERY_COHORT = re.compile(r"(?i)^\W*(?:all|both|each|every)\s+(?:groups?|cohorts?|arms?|parts?)")
_WOMEN_ONLY = {"pregnancy", "breastfeeding", "lactation"}
_CONTRACEPTION = {"hormonal_contraceptive", "iud_procedure"}
_CHILDBEARING = "childbearing_potential"


def women_only(rule: ast.Node) -> bool:
    """True when the rule asks what only a woman can meet: a pregnancy test, contraception, not being pregnant."""
    for node in ast.walk(rule):
        if isinstance(node, ast.Qualitative) and node.measure == "pregnancy_test":
            return True
        if isinstance(node, ast.Presence) and node.concept in _CONTRACEPTION:
            return True
        item = node.item if isinstance(node, ast.Not) else None
        if isinstance(item, ast.Presence) and item.concept in _WOMEN_ONLY:
            return True
    return False


def _before_measure(text: str, end: int, measures: list[tuple[tuple[int, int], ast.Node]]) -> bool:
    """True when a measure's name follows right after ``end`` ("女性血红蛋白 ≥ 110 g/L")."""
    for (begin, _), leaf in measures:
        name = getattr(leaf, "measure_text", None) or ""
        gap = text[end:begin] if begin >= end else "x"
        if _BEFORE_MEASURE.match(gap.replace(name, "", 1) if name else gap):
            return True
    return False


def _concerns(
    text: str, place: tuple[int, int], then: ast.Node, measures: list[tuple[tuple[int, int], ast.Node]]
) -> bool:
    """True when the scope words at ``place`` say whom ``then`` concerns rather than describe the population."""
    start, end = place
    after = text[end:]
    return (
        women_only(then)
        or bool(_MODAL.search(after))
        or bool(_COLON.match(after))
        or (start > 0 and bool(_TRAILING.search(text[:start])) and bool(text[:start].strip()))
        or _before_measure(text, end, measures)
    )


def _items(rule: ast.Node) -> list[ast.Node]:
    """The items of a conjunction, nested conjunctions flattened."""
    if isinstance(rule, ast.AllOf):
        return [part for item in rule.items for part in _items(item)]
    return [rule]


def _childbearing(node: ast.Node) -> bool:
    return isinstance(node, ast.Presence) and node.concept == _CHILDBEARING


def _sex_place(text: str, sex: ast.Sex) -> tuple[int, int]:
    match = SEX_WORDS[sex.value].search(text)
    return (match.start(), match.end()) if match else (0, 0)


def scoped(
    text: str,
    kind: str,
    rule: ast.Node | None,
    sex: ast.Sex | None,
    leaves: list[tuple[tuple[int, int], ast.Node]],
    review: ast.NeedsReview,
) -> ast.Node | None:
    """The clause's rule with its scope applied: ``sex`` (a sex word read) and a childbearing-potential leaf
    joined to the rest by "and" (the population) or as ``if … then …`` (whom the rest concerns); ``leaves`` are
    the leaves read with their places in ``text``, ``review`` the clause for a person where the readings differ."""
    measures: list[tuple[tuple[int, int], ast.Node]] = [
        (place, leaf) for place, leaf in leaves if isinstance(leaf, (ast.Comparison, ast.Qualitative))
    ]
    if kind == "inclusion" and rule is not None:
        rule = _childbearing_scope(text, rule, leaves, measures, review)
    if sex is None:
        return rule
    if rule is None:
        return sex
    if kind == "inclusion" and _concerns(text, _sex_place(text, sex), rule, measures):
        return ast.Implies(condition=sex, then=rule)
    return ast.AllOf(items=(sex, rule))


def _childbearing_scope(
    text: str,
    rule: ast.Node,
    leaves: list[tuple[tuple[int, int], ast.Node]],
    measures: list[tuple[tuple[int, int], ast.Node]],
    review: ast.NeedsReview,
) -> ast.Node:
    """ "Women of childbearing potential must have a negative pregnancy test": ``if childbearing then …``. Where
    nothing says so ("Women of childbearing potential aged 18-45"), the rule decides only where the population
    and the scope readings agree: for a woman of childbearing potential."""
    items = _items(rule)
    scope = next((item for item in items if _childbearing(item)), None)
    rest = [item for item in items if not _childbearing(item)]
    if scope is None or not rest:
        return rule
    then = rest[0] if len(rest) == 1 else ast.AllOf(items=tuple(rest))
    place = next((p for p, leaf in leaves if _childbearing(leaf)), (0, 0))
    if _concerns(text, place, then, measures):
        return ast.Implies(condition=scope, then=then)
    return ast.AnyOf(items=(ast.AllOf(items=(scope, then)), ast.AllOf(items=(ast.Not(item=scope), review))))


def for_one_cohort(text: str) -> bool:
    """True when an inclusion opens by naming the cohort it is for ("Group 4: …", "Cohort 1 only: …", "A组：…"):
    for a patient of another cohort it does not apply, so a rule read from it would exclude them."""
    return bool(_ONE_COHORT.match(text)) and not _EVERY_COHORT.match(text)
