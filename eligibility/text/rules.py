"""Mentions → a rule for one criterion item, and what part of its text the rule covers.

Only what the vocabulary can resolve becomes a rule: comparisons on known measures with units that convert,
multiples of ULN/LLN, ages, records of known concepts (optionally within a window, negated, or counted). The
text no rule captures stays in the rule as a needs-review leaf, so nothing is lost and a person sees exactly
what was not read. Leaves are joined the way the item's kind reads: inclusion items by "and", exclusion items
by "or" — unless the text around them says otherwise ("unless", "except", "if" turn the join around, since
"A unless B" must not decide on A alone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from eligibility.inputs import check_duration, check_number
from eligibility.lang import ast
from eligibility.text import parentheses
from eligibility.text.accounting import SEPARATOR
from eligibility.text.alternatives import (
    exception_note,
    hidden_alternatives,
    negation_before,
    ranged_windows,
    relaxation,
    run_on_item,
    window_after,
)
from eligibility.text.builder import Builder
from eligibility.text.concerns import for_one_cohort, scoped
from eligibility.text.conditions import concerns_some, draft_conditional
from eligibility.text.cues import cue
from eligibility.text.durations import read_courses
from eligibility.text.measure_checks import measure_named_again
from eligibility.text.misreadings import misread
from eligibility.text.necessity import EXAMPLE
from eligibility.text.parse import ParsedCriterion
from eligibility.text.scope import widening

Coverage = Literal["rule", "partial", "review"]
_CHOICE = re.compile(r"(?i)\b(?:or|either|nor)\b|[^\W\d_]\s*/\s*[^\W\d_]|或")
_ALTERNATIVES = re.compile(
    r"(?i)\b(?:one or more of|any (?:one )?of|either(?!\s+(?:gender|sex))|at least one of)\b|以下任[意一]|之一|任一"
)


@dataclass(frozen=True)
class Draft:
    """The rule read from one criterion, what it covers, and the text left for review."""

    rule: ast.Node | None
    coverage: Coverage
    leftover: str


def _join(
    text: str, places: list[tuple[int, int]], leaves: list[ast.Node], default: str, review: ast.Node | None = None
) -> ast.Node:
    """Join leaves as written: a comma or semicolon before "and"/"or" separates groups ("(A or B), and C"),
    a bare "and"/"or" joins neighbours; elsewhere the item's kind decides."""
    unique = list(dict.fromkeys(range(len(leaves))))
    seen: list[ast.Node] = []
    for index in unique:
        if leaves[index] in seen:
            unique.remove(index)
        seen.append(leaves[index])
    places, leaves = [places[i] for i in unique], [leaves[i] for i in unique]
    if len(leaves) == 1:
        return leaves[0]
    groups: list[tuple[str, list[ast.Node]]] = []
    words: list[str] = []
    current = [leaves[0]]
    inner = default
    for index in range(1, len(leaves)):
        gap = text[places[index - 1][1] : places[index][0]]
        top = re.search(r"(?i)[,;]\s*(and|or)\b", gap)
        word = re.search(r"(?i)\band/or\b|\b(and|or)\b|和|或", gap)
        if top:
            groups.append((inner, current))
            words.append(top.group(1).lower())
            current, inner = [leaves[index]], default
        else:
            if word and inner == "or" and EXAMPLE.search(text[places[0][1] : places[index][0]]):
                pass  # "infection including HIV and hepatitis": examples joined by "and" remain alternatives
            elif word:
                inner = "or" if word.group(0).lower() in ("or", "或", "and/or") else "and"
                if inner == "and" and default == "or" and review is not None:
                    inner = "either"  # "HIV, HBV, and HCV" in an exclusion: all of them, or any?
            elif EXAMPLE.search(gap):
                inner = "or"  # "heart disease (e.g. heart failure)": an example is enough, never needed
            elif default == "or" and review is not None and run_on_item(gap, current[-1], leaves[index]):
                inner = "either"  # "age less than 18 years allergy to study drugs": any or all of them?
            elif not re.search(r"[,;，；、/]", gap):
                # "heart failure with NYHA class 3 or 4": one qualifies the other; "X or CKD on dialysis": only
                # its neighbour, never the rest of an "or" list
                current[-1] = ast.AllOf(items=(current[-1], leaves[index]))
                continue
            current.append(leaves[index])
    groups.append((inner, current))
    nodes = [_group(how, items, review) for how, items in groups]
    if len(nodes) == 1:
        return nodes[0]
    outer = words[0] if len(set(words)) == 1 else default
    if outer == "and" and default == "or":  # "A, B, and C": a list of all, or of any?
        flat = [item for _how, items in groups for item in items] if all(h == default for h, _ in groups) else nodes
        return _group("either", flat, review)
    return (ast.AnyOf if outer == "or" else ast.AllOf)(items=tuple(nodes))


def _group(how: str, items: list[ast.Node], review: ast.Node | None) -> ast.Node:
    """The items of one group joined: "either" decides only where "all" and "any" agree."""
    if len(items) == 1:
        return items[0]
    if how == "either" and review is not None:
        every, some = ast.AllOf(items=tuple(items)), ast.AnyOf(items=tuple(items))
        return ast.AnyOf(items=(every, ast.AllOf(items=(some, review))))
    return (ast.AnyOf if how == "or" else ast.AllOf)(items=tuple(items))


def draft_rule(parsed: ParsedCriterion, kind: str = "inclusion") -> Draft:
    """The rule of one criterion item (``kind`` decides how its parts join)."""
    if (kind == "inclusion" and for_one_cohort(parsed.text.text)) or (
        kind == "exclusion" and exception_note(parsed.text.text)
    ):
        return Draft(None, "review", parsed.text.text.strip())  # "Group 4: …", "… are not excluded"
    conditional = draft_conditional(parsed, kind, draft_rule)
    if conditional is not None:
        return Draft(conditional, "rule", "")
    builder = Builder(parsed, kind)
    builder.intro()
    builder.scores()
    if not concerns_some(parsed):  # "For patients receiving X: …" read as a whole only by text.conditions
        _read_courses(builder)
    for mention in parsed.mentions:
        builder.mention(mention)
    builder.qualitative()
    builder.concepts()
    parentheses.apply(builder)
    builder.implied_sex()
    builder.sex()
    leftover = builder.leftover()
    leaves = builder.leaves
    if not leaves and builder.sex_leaf is None:
        return Draft(None, "review", leftover)
    unread = [(token.start(), token.end()) for token in builder.leftover_tokens()]
    if measure_named_again(parsed.text.text, leaves, unread, parsed.vocabulary):
        return Draft(None, "review", leftover)
    alternatives = bool(_ALTERNATIVES.search(parsed.text.text))
    default = "or" if kind == "exclusion" or alternatives else "and"
    ordered = sorted(zip(builder.places, leaves, strict=False), key=lambda pair: pair[0])
    review = ast.NeedsReview(text=parsed.text.source.strip())
    rule = _conditional(parsed.text.text, ordered, kind, default, review) if leaves else None
    if alternatives and len(leaves) > 1:
        rule = ast.AnyOf(items=tuple(leaf for _, leaf in ordered))  # "one or more of: A, B and/or C"
    if leftover and rule is not None and kind == "exclusion" and widening(parsed.text.text) and not builder.negated:
        rule = _widened(rule, review, builder)
    elif leftover:
        rule = _with_review(rule, ast.NeedsReview(text=parsed.text.source.strip()), kind, builder, alternatives)
        if builder.scoped and not (isinstance(rule, ast.AnyOf) and review in rule.items):
            rule = review  # "pregnant or trying to …": the part left unread is an alternative, never a qualifier
    rule = _tidy(ranged_windows(_tidy(rule), review)) if rule is not None else None
    rule = scoped(parsed.text.text, kind, rule, builder.sex_leaf, ordered, review)
    # A rule beyond the rule language's limits ("1,000-year-old") could not be read back: a person reads it.
    if rule is not None and misread(parsed.text.text, rule, parsed.vocabulary):
        rule = None  # "Have at least one child ≤ 6 years of age", "Have a normal ECG": read against the text
    if rule is None or isinstance(rule, ast.NeedsReview) or not _within_limits(rule):
        return Draft(None, "review", leftover)
    nodes = ast.walk(rule) if rule is not None else []
    reviewed = builder.reviewed or any(isinstance(node, ast.NeedsReview) for node in nodes)
    return Draft(rule, "partial" if leftover or reviewed else "rule", leftover)


def _widened(rule: ast.Node, review: ast.NeedsReview, builder: Builder) -> ast.Node:
    """ "Known or suspected HIV": the record read is enough (``X or review``) when only the widening words are left
    unread and nothing read is negated; otherwise the whole clause is for review."""
    spans = widening(builder.text.text)
    extra = [t for t in builder.leftover_tokens() if not any(a <= t.start() < b for a, b in spans)]
    if extra or any(isinstance(node, ast.Not) for node in ast.walk(rule)):
        return review
    return ast.AnyOf(items=(rule, review))


def _tidy(node: ast.Node) -> ast.Node:
    """A group with a review inside one of its kind flattened, repeated items dropped, reviews alone one review."""
    if not isinstance(node, (ast.AllOf, ast.AnyOf)):
        return node
    items: list[ast.Node] = []
    for item in (_tidy(i) for i in node.items):
        parts = item.items if isinstance(item, (ast.AllOf, ast.AnyOf)) and type(item) is type(node) else ()
        merge = any(isinstance(i, ast.NeedsReview) for i in parts)
        for part in parts if merge else (item,):
            if part not in items:
                items.append(part)
    if len(items) == 1 or all(isinstance(i, ast.NeedsReview) for i in items) or _never_true(node, items):
        return next((i for i in items if isinstance(i, ast.NeedsReview)), items[0])
    return type(node)(items=tuple(items))


def _never_true(node: ast.Node, items: list[ast.Node]) -> bool:
    """ "(X and review) or review": alternatives that each need a person decide nothing."""
    direct = any(isinstance(i, ast.NeedsReview) for i in items)
    return (
        isinstance(node, ast.AnyOf)
        and direct
        and all(
            isinstance(i, ast.NeedsReview)
            or (isinstance(i, ast.AllOf) and any(isinstance(j, ast.NeedsReview) for j in i.items))
            for i in items
        )
    )


def _read_courses(builder: Builder) -> None:
    """Doses, first and last doses, disease durations and ages at onset (text.doses, text.durations): leaves read
    from whole phrases, whose spans no mention reads again."""
    mentions = list(builder.parsed.mentions)
    for reading in read_courses(builder.text.text, mentions, builder.finders, builder.vocabulary, builder.kind):
        builder.leaves.append(reading.node)
        builder.places.append(reading.place)
        builder.covered += reading.spans
        builder.scored += [reading.place, *reading.spans]


def _within_limits(rule: ast.Node) -> bool:
    """True when every number and duration of ``rule`` is within the limits the rule language reads."""
    try:
        for node in ast.walk(rule):
            for duration in _durations(node):
                check_duration(duration.value, duration.unit)
            quantity = getattr(node, "quantity", None)
            if quantity is not None:
                check_number(quantity.value)
    except ValueError:
        return False
    return True


def _durations(node: ast.Node) -> list[ast.Duration]:
    found = [getattr(node, "duration", None), getattr(getattr(node, "window", None), "duration", None)]
    return [d for d in found if isinstance(d, ast.Duration)]


def _conditional(text: str, ordered: list, kind: str, default: str, review: ast.Node) -> ast.Node:
    """ "Females of childbearing potential: negative pregnancy test": leaves before a colon say whom the rest
    concerns. An inclusion holds when they do not apply or the rest holds; an exclusion applies when both do."""
    colon = next(
        (
            index
            for index in range(1, len(ordered))
            if re.search(r"[:：]", text[ordered[index - 1][0][1] : ordered[index][0][0]])
        ),
        None,
    )
    places, leaves = [p for p, _ in ordered], [leaf for _, leaf in ordered]
    if colon is None:
        return _join(text, places, leaves, default, review)
    condition = _join(text, places[:colon], leaves[:colon], "and")
    rest = _join(text, places[colon:], leaves[colon:], default, review)
    if kind == "exclusion":
        return ast.AllOf(items=(condition, rest))
    return ast.Implies(condition=condition, then=rest)


def _noun_after(builder: Builder) -> bool:
    """ "herpes zoster myelopathy": an unread word right after a name read makes it a narrower thing."""
    body = builder.text.text
    ends = {end for _start, end in builder.places}
    return any(
        parentheses.NARROWING.fullmatch(body[end : token.start()] or "x")
        for token in builder.leftover_tokens()
        for end in ends
        if end < token.start()
    )


_UNREAD_COMPARATOR = re.compile(
    r"(?i)^(?:[<>≤≥⩽⩾]=?|greater|less|more|fewer|higher|lower|above|below|over|under|exceed\w*|least|most|"
    r"大于|小于|超过|低于|高于|不足|以上|以下)$"
)


def _shared_qualifier(body: str, places: list[tuple[int, int]], trailing: set[int]) -> bool:
    """ "simvastatin, rosuvastatin at doses greater than 10 mg/d": a qualifier after a list joined by commas alone
    may qualify every item before it, not only its neighbour (``trailing``: the items with one right after)."""
    if not trailing:
        return False
    last = max(trailing)
    return any(
        index not in trailing and not re.search(r"(?i)\b(?:or|and|nor)\b|[;或和及]", body[end : places[last][0]])
        for index, (_start, end) in enumerate(places[:last])
    )


def _each_qualified(rule: ast.Node, review: ast.NeedsReview, builder: Builder) -> ast.Node:
    """ "A heart rate less than 50 beats/minute or grade 2 or 3 AV heart block": in a list of alternatives, a leaf
    with an unread word right next to it is only a necessary condition of its alternative (``leaf and review``);
    the unread words may also be alternatives of their own (``or review``). Any other shape is left for review."""
    ordered = sorted(zip(builder.places, builder.leaves, strict=True), key=lambda pair: pair[0])
    ordered = [pair for index, pair in enumerate(ordered) if pair[1] not in [leaf for _, leaf in ordered[:index]]]
    if not (isinstance(rule, ast.AnyOf) and list(rule.items) == [leaf for _, leaf in ordered]) and len(ordered) != 1:
        return review
    if len(ordered) == 1 and rule != ordered[0][1]:
        return review
    body = builder.text.text
    qualified, trailing = set(), set()
    if any(_UNREAD_COMPARATOR.match(token.group(0)) for token in builder.leftover_tokens()):
        return review  # "simvastatin, rosuvastatin at doses > 10 mg/d": a threshold may hold for every item
    for token in builder.leftover_tokens():
        for index, (start, end) in enumerate(place for place, _ in ordered):
            gap = body[end : token.start()] if end <= token.start() else body[token.end() : start]
            if not SEPARATOR.search(gap):
                qualified.add(index)
                trailing |= {index} if end <= token.start() else set()
    if len(qualified) == len(ordered) or _shared_qualifier(body, [place for place, _ in ordered], trailing):
        return review  # nothing could be true on its own
    items = [ast.AllOf(items=(leaf, review)) if i in qualified else leaf for i, (_, leaf) in enumerate(ordered)]
    return ast.AnyOf(items=(*items, review))


def _with_review(rule, review: ast.NeedsReview, kind: str, builder: Builder, alternatives: bool) -> ast.Node:
    """The rule read, joined with the review leaf so that the rule decides only what it settles for sure.

    A leftover that qualifies a leaf ("intra-ocular surgery") makes what was read a necessary condition: "and".
    A separate leftover part is another alternative in exclusions and "one or more of" lists ("or"), another
    requirement in inclusions ("and"); "unless"/"except" turn that join around. Where alternatives are also
    qualified, nothing read is safe to decide on: the whole clause is for review. A parenthetical exception
    ("inactivated vaccines are permitted") is a separate part.
    """
    qualifying, separate = builder.leftover_kinds()
    if builder.negated or isinstance(rule, ast.Not):  # "No X requiring Q" states not (X and Q): true without X
        return review if separate else ast.AnyOf(items=(rule, review))
    if negation_before(builder.text.text, builder.places, builder.covered):
        return review  # "There should be no plasma HIV-1 RNA > 200 copies/mL": an unread "no" turns it around
    last = max((start for start, _ in builder.places), default=-1)
    if any(cue("negation").fullmatch(t.group(0)) and t.start() < last for t in builder.leftover_tokens()):
        return review  # "Are not between 18 and 50 years": an unread negation before what was read turns it around
    if separate and kind != "exclusion" and not alternatives and _CHOICE.search(builder.text.text):
        return review  # "ticagrelor or prasugrel": an unread alternative of an inclusion
    hidden = hidden_alternatives(builder.text.text, builder.leftover_tokens(), builder.places)
    if kind == "exclusion" and hidden:  # "…, malignancy other than BCC, immunodeficiency": unread alternatives
        return review if hidden == "exception" else _each_qualified(rule, review, builder)
    relaxed = relaxation(builder.text.text, builder.places) if kind == "inclusion" else ""
    if relaxed:  # "INR ≤ 1.5 unless receiving anticoagulation": enough, not needed
        if relaxed == "population":
            return ast.AllOf(items=(rule, review))  # "patients 18 years and older were included if …"
        return review if relaxed == "inside" or separate else ast.AnyOf(items=(rule, review))
    if builder.related:  # "allergy to X": the objects qualify the head, which is only a necessary condition
        return review if separate else ast.AllOf(items=(rule, review))
    if builder.examples:  # "(e.g. diabetes, renal failure)": each example is enough, none is needed
        return review if _noun_after(builder) else ast.AnyOf(items=(rule, review))
    either = kind == "exclusion" or alternatives
    if either and separate and window_after(builder.text.text, builder.places, builder.covered):
        return review  # "Antibiotics or probiotics application within a month": a window of every item
    conditional = bool(cue("conditional").search(builder.text.text))
    if qualifying and builder.sex_left() and isinstance(rule, (ast.AllOf, ast.AnyOf)):
        return review  # "QTc > 440 ms (men) and > 450 ms (women)": thresholds by sex, not both
    if qualifying and separate and either and not conditional:
        return _each_qualified(rule, review, builder)
    if qualifying:
        return ast.AllOf(items=(rule, review))
    return (ast.AnyOf if either != conditional else ast.AllOf)(items=(rule, review))
