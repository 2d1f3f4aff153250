"""A parenthesis after a name elaborates it: "cardiovascular disease (heart failure, CAD, hypertension)",
"Hepatitis B (HBsAg positive)", "any steroid (IV, oral, inhaled)", "coagulopathy (PT > 15 s, INR > 1.5".

What is read inside (P) never replaces the head before it (H), nor is it joined to it by "and": the parenthesis may
list examples of the head (the truth is H), define it (the truth is P) or narrow it (the truth is H and P). The
rule of the group decides only where every reading agrees:

- examples ("e.g.", "such as", "including"): each is enough — ``H or P`` (``P or review`` when H is unread);
- the names inside all kinds of the head in the vocabulary, or conditions listed after a condition, every one
  read: ``P or (H and review)`` (``P or review`` when some are unread);
- a test or measure inside, all read: ``P and (H or review)`` (``P and review`` when H is unread);
- other names inside, all read: ``(H and P) or ((H or P) and review)``;
- anything unread inside, or in the head: what a reading would decide alone is left for review.

The head is the text from the last separator before the parenthesis; an unclosed parenthesis runs to the end of
the clause. Exceptions in parentheses ("(inactivated vaccines are permitted)") are left to the exception rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eligibility.lang import ast
from eligibility.text.leaves import first_concept, in_exception_parentheses
from eligibility.text.lexicon import lexicon
from eligibility.text.necessity import EXAMPLE, QUALIFIER, generic
from eligibility.vocab.vocabulary import Vocabulary

if TYPE_CHECKING:
    from eligibility.text.builder import Builder

_HEAD_BREAK = re.compile(r"(?i)[,;:，；：、]|\b(?:and|or|and/or|with|without|of)\b|[()（）]|[和或及]")
_MEASURED = (ast.Comparison, ast.RelativeComparison, ast.Qualitative)


@dataclass
class Group:
    """One parenthesis: where its head starts, where it opens and closes, and the leaves in each part."""

    head: int
    opened: int
    closed: int
    inside: list[int] = field(default_factory=list)
    before: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)


def parenthesis_groups(text: str) -> list[tuple[int, int, int]]:
    """(head start, opening, closing) of every top-level parenthesis; an unclosed one closes at the clause end."""
    groups, depth, opened = [], 0, -1
    for index, char in enumerate(text):
        if char in "(（":
            depth += 1
            if depth == 1:
                opened = index
        elif char in ")）" and depth:
            depth -= 1
            if depth == 0:
                groups.append((_head_start(text, opened), opened, index + 1))
    if depth:
        groups.append((_head_start(text, opened), opened, len(text)))
    return groups


def _head_start(text: str, opened: int) -> int:
    breaks = list(_HEAD_BREAK.finditer(text[:opened]))
    return breaks[-1].end() if breaks else 0


def _measured(node: ast.Node) -> bool:
    """True for a comparison or test result, or a group of them."""
    if isinstance(node, (ast.AllOf, ast.AnyOf)):
        return all(_measured(item) for item in node.items)
    return isinstance(node, _MEASURED)


def _inner(node: ast.Node) -> ast.Node:
    return node.item if isinstance(node, ast.Not) else node


def _about_head(text: str, node: ast.Node, place: tuple[int, int], group: Group) -> bool:
    """ "Platelets (≥ 100 x 10^9/L)": a comparison inside whose measure is named before the parenthesis is the
    head's own threshold, not an elaboration."""
    if not isinstance(node, _MEASURED):
        return False
    name = (node.measure_text or "").lower()
    return bool(name) and name not in text[group.opened : group.closed].lower()


@dataclass(frozen=True)
class Combined:
    """The rule of one group (None: left for review), and the span it accounts for."""

    node: ast.Node | None
    span: tuple[int, int]
    reviewed: bool


def combine(
    vocabulary: Vocabulary,
    text: str,
    group: Group,
    leaves: list[ast.Node],
    unread: list[tuple[int, int]],
    review: ast.NeedsReview,
) -> Combined:
    """The rule of one group, given the leaves and the spans of the unread words of the item."""
    head = [leaves[i] for i in group.before]
    inside = [leaves[i] for i in group.inside]
    paren_read = not any(group.opened < start < group.closed for start, _ in unread)
    head_read = bool(head) and not any(group.head <= start < group.opened for start, _ in unread)
    span = (group.head, group.closed)
    h = _either(head) if head else None
    if any(isinstance(node, ast.Not) for node in head + inside):
        return Combined(None, span, True)
    example = EXAMPLE.search(text[group.opened : group.closed])
    kinds_of_head = bool(head) and _subsumed(vocabulary, head, inside)  # "cardiovascular disease (… CAD …)"
    if not kinds_of_head and any(generic(vocabulary, c) for node in inside for c in _concepts(node)):
        return Combined(None, span, True)  # "Haematological disorders (… malignancy …)": its kind of it, or any?
    if not inside:  # a list naming kinds beyond the head's concept ("steroid (oral, inhaled)"): see widens()
        return Combined(None, span, True)
    p = _either(inside)
    if example:
        if QUALIFIER.search(text[: group.opened + example.start()]) or _noun_after(text, group, unread):
            return Combined(None, span, True)  # "severe infection (e.g. pneumonia)": no example is enough
        if h is not None and head_read and _categories(head) == _categories(inside):
            return Combined(ast.AnyOf(items=(*head, *inside)), span, not paren_read)
        if head_read or _plain_category(text, group, unread, True):  # "ischemic disorders (e.g. stroke)": no
            return Combined(ast.AnyOf(items=(p, review)), span, True)
        return Combined(None, span, True)
    measured = all(_measured(node) for node in inside)
    if h is None or not head_read:
        if measured and paren_read:  # "Extreme obesity (BMI ≥ 40)": false whenever the threshold is
            return Combined(ast.AllOf(items=(p, review)), span, True)
        if h is not None and _subsumed(vocabulary, head, inside) and paren_read:
            return Combined(ast.AllOf(items=(h, review)), span, True)
        if not measured and _plain_category(text, group, unread):
            return Combined(ast.AnyOf(items=(p, review)), span, True)
        return Combined(None, span, True)
    plain_head = not QUALIFIER.search(text[: group.opened])  # "uncontrolled infection (…)" qualifies each kind
    if _subsumed(vocabulary, head, inside) or (plain_head and _kinds_listed(head, inside)):
        if paren_read:
            return Combined(ast.AnyOf(items=(p, ast.AllOf(items=(h, review)))), span, True)
        return Combined(ast.AnyOf(items=(p, review)), span, True)
    if measured and paren_read:
        return Combined(ast.AllOf(items=(p, ast.AnyOf(items=(h, review)))), span, True)
    both = ast.AllOf(items=(h, p))
    if paren_read:
        return Combined(ast.AnyOf(items=(both, ast.AllOf(items=(ast.AnyOf(items=(h, p)), review)))), span, True)
    return Combined(ast.AnyOf(items=(both, review)), span, True)


def _named_in(text: str, node: ast.Node, start: int, end: int) -> bool:
    """ "any steroid (IV, oral, inhaled) within 3 weeks": a record read with a window after the parenthesis whose
    names are all in ``text[start:end]``."""
    names = [n.concept_text for n in ast.walk(node) if isinstance(n, ast.Presence)]
    part = text[start:end].lower()
    return bool(names) and all(name and name.lower() in part for name in names)


def widens(vocabulary: Vocabulary, text: str, group: Group, leaves: list[ast.Node]) -> bool:
    """ "any steroid (IV, oral, inhaled)": a word in the parenthesis that, put before the head's name, names a
    concept which is no kind of the head's ("inhaled steroid" is not a systemic one): the head alone is too narrow
    to be a necessary condition."""
    finders = lexicon(vocabulary).concepts
    words = re.findall(r"[^\W\d_][\w\-]*", text[group.opened : group.closed])
    for node in (n for i in group.before for n in ast.walk(leaves[i]) if isinstance(n, ast.Presence)):
        kinds = vocabulary.descendants(node.concept)
        for word in words:
            found = first_concept(f"{word} {node.concept_text}", finders)
            if found is not None and found[1].start == 0 and found[1].id not in kinds:
                return True
    return False


def _grade(vocabulary: Vocabulary, node: ast.Node) -> bool:
    """True for a comparison on a score or class (NYHA, ECOG)."""
    measures = [n.measure for n in ast.walk(node) if isinstance(n, ast.Comparison)]
    return bool(measures) and all(vocabulary.measures[m].kind == "score" for m in measures)


# "cardiovascular disease (heart failure, …)": a head naming only a body system and a kind of disorder lists or
# defines its kinds in the parenthesis (never narrows them by severity), so each kind named is enough.
_CATEGORY_WORD = re.compile(
    r"(?i)(?:cardio\w*|cardiac|heart|vascular|cerebrovascular|pulmonary|lung|respiratory|renal|kidney|hepatic|liver|"
    r"neurologic\w*|psychiatric|mental|gastrointestinal|endocrine|metabolic|ha?ematologic\w*|autoimmune|infectious|"
    r"immunologic\w*|thrombo\w*|skin|medical|systemic|diseases?|disorders?|conditions?|illness(?:es)?|infections?|"
    r"problems?|events?)"
)


def _plain_category(text: str, group: Group, unread: list[tuple[int, int]], empty: bool = False) -> bool:
    """True when the unread words before the parenthesis only name a body system and a kind of disorder (or there
    are none, if ``empty``)."""
    words = [text[a:b] for a, b in unread if a < group.opened]
    return (empty or bool(words)) and all(_CATEGORY_WORD.fullmatch(word) for word in words)


def _either(nodes: list[ast.Node]) -> ast.Node:
    """The leaves of one part as alternatives (a list in a parenthesis offers choices, never requirements)."""
    return nodes[0] if len(nodes) == 1 else ast.AnyOf(items=tuple(nodes))


# Between a name and an unread word after it: the word is its head noun or its body site ("tumor of the oral
# cavity", "surgery on either breast").
NARROWING = re.compile(r"(?i)[\s\-]+|\s+(?:of|on|in)\s+(?:the\s+|either\s+|both\s+)?")


def _noun_after(text: str, group: Group, unread: list[tuple[int, int]]) -> bool:
    """ "(e.g. herpes zoster myelopathy)": an unread word right after a name read inside makes it narrower."""
    return any(end < start and NARROWING.fullmatch(text[end:start]) for start, _ in unread for end in group.ends)


def _kinds_listed(head: list[ast.Node], inside: list[ast.Node]) -> bool:
    """ "cardiovascular disease (heart failure, CAD, hypertension)": conditions listed after a condition are kinds
    of it, whatever the vocabulary knows of them; each is enough whether the list gives examples or narrows."""
    presences = all(isinstance(n, ast.Presence) for n in head + inside)
    return presences and _categories(head) == _categories(inside) == {"condition"}


def _categories(nodes: list[ast.Node]) -> set[str]:
    return {n.category for node in nodes for n in ast.walk(node) if isinstance(n, ast.Presence)}


def _concepts(node: ast.Node) -> set[str]:
    return {n.concept for n in ast.walk(node) if isinstance(n, ast.Presence)}


def _subsumed(vocabulary: Vocabulary, head: list[ast.Node], inside: list[ast.Node]) -> bool:
    """True when every leaf inside is a record of a kind of a concept of the head."""
    heads = set().union(*(_concepts(n) for n in head))
    inner = [_inner(n) for n in inside]
    if not heads or not all(isinstance(n, ast.Presence) for n in inner):
        return False
    return all(heads & set(vocabulary.ancestors(n.concept)) for n in inner if isinstance(n, ast.Presence))


def groups_of(vocabulary: Vocabulary, text: str, places: list[tuple[int, int]], leaves: list[ast.Node]) -> list[Group]:
    """The parentheses of an item that have leaves read inside them (and are no exception)."""
    found = []
    for head, opened, closed in parenthesis_groups(text):
        if in_exception_parentheses(text, opened + 1):
            continue
        group = Group(head, opened, closed)
        for index, (start, end) in enumerate(places):
            if (opened < start and end <= closed + 1) or _named_in(text, leaves[index], opened, closed):
                group.inside.append(index)
                group.ends.append(end)
            elif start >= closed and _named_in(text, leaves[index], head, opened):
                group.before.append(index)
            elif head <= start and end <= opened + 1 and not text[end:opened].strip(" -"):
                group.before.append(index)
            elif head <= start < opened:
                group.before.append(index)
        if not group.inside and not (group.before and widens(vocabulary, text, group, leaves)):
            continue
        if any(_about_head(text, leaves[i], places[i], group) or _grade(vocabulary, leaves[i]) for i in group.inside):
            continue  # "Heart failure (NYHA class III or IV)": a score inside grades the head, both are needed
        heads = set().union(set(), *(_concepts(leaves[i]) for i in group.before))
        if group.inside and all(_concepts(leaves[i]) and _concepts(leaves[i]) <= heads for i in group.inside):
            continue  # "myocardial infarction (MI)": the same concept, abbreviated
        found.append(group)
    return found


def apply(builder: Builder) -> None:
    """Replaces the leaves of each parenthesis group of the builder's item by the group's rule (or by nothing,
    leaving its words for review); the words the rule accounts for are covered."""
    text = builder.text.text
    review = ast.NeedsReview(text=builder.parsed.text.source.strip())
    unread = [(t.start(), t.end()) for t in builder.leftover_tokens()]
    drop: set[int] = set()
    added: list[tuple[tuple[int, int], ast.Node]] = []
    for group in groups_of(builder.vocabulary, text, builder.places, builder.leaves):
        members = set(group.inside) | set(group.before)
        if members & drop:
            continue
        combined = combine(builder.vocabulary, text, group, builder.leaves, unread, review)
        drop |= members
        builder.reviewed = builder.reviewed or combined.reviewed
        added.append((combined.span, combined.node or review))
        builder.cover(*combined.span)
    if not drop:
        return
    kept = [(p, n) for i, (p, n) in enumerate(zip(builder.places, builder.leaves, strict=True)) if i not in drop]
    kept += added
    builder.places = [p for p, _ in kept]
    builder.leaves = [n for _, n in kept]
