"""When a concept named beside unread words still settles part of a clause: the concept is a necessary condition
of what the clause states, so a rule ``has X and review "…"`` decides the patients without it and leaves the rest
to a person.

A clause naming X with unread qualifiers Q ("renal disease requiring dialysis", "Diagnosis of asthma for at least
one year as defined by …") states X ∧ Q: without X it is false, with X it depends on Q. That holds for an
exclusion whenever X is had (not "allergy to X", "planned X", "family history of X"), and for an inclusion only
when the clause requires X of the patient — not when X only says whom the rest concerns ("women of childbearing
potential must …"), is planned ("undergoing elective surgery") or is one alternative among others ("X or Y").
A clause that opens with a negation ("No history of X requiring Q") states ¬(X ∧ Q): true without X, for review
otherwise — the join is decided by the caller from these answers.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from eligibility.lang import ast
from eligibility.text.cues import cue
from eligibility.text.scope import held
from eligibility.vocab.vocabulary import Vocabulary

# "at screening", "prior to the screening visit": a time, not a screening test for the concept.
_SCREENING_TIME = re.compile(
    r"(?i)\b(?:at|during|before|prior\s+to|since|until|from|of|after)\s+(?:the\s+)?(?:time\s+of\s+)?"
    r"(?:screening|enrol(?:l)?ment|randomi[sz]ation)(?:\s+visit)?\b"
)
# "requiring", "need of": a need before the concept ("requiring dialysis") is not a record of it; after it, the
# word qualifies what was had ("renal disease requiring dialysis").
_NEED = re.compile(r"(?i)requir|need")
# A clause that is wholly negated: "No history of …", "Patient has no …", "Without …", "无…".
_NEGATED_CLAUSE = re.compile(
    r"(?i)\W*(?:(?:the\s+)?(?:patients?|subjects?|participants?)\s+(?:has|have|had|must\s+have|should\s+have)\s+)?"
    r"(?:no|not|without|absence\s+of|free\s+of|never\s+(?:had|been))\b|\W*(?:无|没有|未)"
)
# "history of", "prior", "underwent", "status post": a procedure the patient has had, not one planned.
_HAD = re.compile(
    r"(?i)\b(?:history\s+of|previous(?:ly)?|prior|underwent|had|status\s+post|s/p)\s+(?:[\w\-]+\s+){0,3}$"
)
# An unread word joined to a read part by "or" alone is another choice ("ticagrelor or prasugrel").
OR_ONLY = re.compile(r"(?i)[\s,)\]）]*(?:or|and\s*/\s*or|/|或)(?:\s+(?:an?|the|any))?[\s,(（]*")
# An unread word joined by "and" alone is another item of a list ("statins and quinolones within 12 months"): in an
# exclusion either excludes, so it does not qualify what was read.
AND_ONLY = re.compile(r"(?i)[\s,]*(?:and|&|和|及|以及)(?:\s+(?:an?|the|any))?[\s,]*")
LIST_JOIN = re.compile(f"(?:{OR_ONLY.pattern[4:]})|(?:{AND_ONLY.pattern[4:]})", re.IGNORECASE)
# Concepts an inclusion names to say whom it concerns rather than to require them.
_WHOM = {"childbearing_potential"}
# Tests and examinations: named beside unread words they say how something is found ("QTc > 500 ms on EKG at
# screening"), which may yet be done; never a condition of their own.
_EXAMINATIONS = {"imaging", "ecg", "echocardiography", "pulmonary_function_test", "lumbar_puncture"}
_EXAMINATIONS |= {"bone_marrow_examination"}
# "e.g.", "such as", "including": what follows is an example of something broader, enough but not needed.
EXAMPLE = re.compile(r"(?i)\b(?:e\.\s?g|such\s+as|including|like|for\s+example|for\s+instance)\b|例如|比如|诸如")


def _masked(body: str, spans: list[tuple[int, int]]) -> str:
    chars = list(body)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def held_concepts(body: str, spans: list[tuple[int, int]]) -> list[bool] | None:
    """For each concept of an exclusion, whether no word says it is named without the patient having it
    (text.scope); None when that cannot be told concept by concept."""
    times = [(m.start(), m.end()) for m in _SCREENING_TIME.finditer(body)]
    return held(body, _masked(body, spans + times), spans)


def held_only(
    kind: str, body: str, found: list[ast.Node], spans: list[tuple[int, int]], offset: int = 0
) -> tuple[list[ast.Node], list[tuple[int, int]], list[tuple[int, int]]]:
    """ "Pregnancy, breastfeeding, or trying to get pregnant": in an exclusion, the concepts a word of "not had"
    governs (text.scope) are left unread, the others kept — the found, their spans, and the spans left (``spans``
    are offsets in the item, whose ``body`` starts at ``offset``)."""
    if kind != "exclusion" or len(found) != len(spans) or any(isinstance(node, ast.Not) for node in found):
        return found, spans, []
    keep = held_concepts(body, [(a - offset, b - offset) for a, b in spans])
    if keep is None or all(keep) or not any(keep):
        return found, spans, []
    others = [span for span, kept in zip(spans, keep, strict=True) if not kept]
    found = [node for node, kept in zip(found, keep, strict=True) if kept]
    return found, [span for span, kept in zip(spans, keep, strict=True) if kept], others


def heads_held(
    kind: str, body: str, found: list[ast.Node], spans: list[tuple[int, int]], offset: int
) -> tuple[list[ast.Node], list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]]]:
    """The concepts held (:func:`held_only`) and their heads (:func:`relation_heads`): found, spans, the spans of
    objects, and the spans of concepts left unread as not had (offsets in ``body``; the item starts at ``offset``)."""
    found, spans, others = held_only(kind, body[offset:], found, spans, offset)
    found, spans, objects = relation_heads(body, found, spans)
    return found, spans, objects, others


# Words after a list that may take all of it as objects ("penicillin or sulfa allergy", "opioid or alcohol abuse").
_OBJECTS_TAKEN = re.compile(r"(?i)\b(?:allerg\w*|hypersensitiv\w*|intoleran\w*|abuse|misuse|dependen\w*)")


def _objects_before(body: str, spans: list[tuple[int, int]], things: list[tuple[int, int]]) -> bool:
    """ "Penicillin, sulfa or codeine allergy", "opioid or alcohol abuse": a concept named by a word of "not had"
    with nothing after it to take its objects ("allergy to …") may take the short list of drugs or other things
    before it (``things``: the spans of concepts that are no condition) as its objects."""
    masked = _masked(body, spans)
    for start, end in spans:
        own = list(_OBJECTS_TAKEN.finditer(body, start, end))
        if (
            not own
            or own[-1].end() != end
            or re.match(r"(?i)\s*(?:\w+\s+)?(?:to|of|against|on|with|for)\b", body[end:])
        ):
            continue
        for other, before in (span for span in things if span[1] <= start):
            if _OBJECTS_TAKEN.search(body[other:before]):
                continue  # "food allergies or lactose intolerance": a condition of its own kind, not an object
            gap = masked[before:start]
            if not re.search(r"[;:.]", gap) and len(re.findall(r"[^\W\d_]{3,}", gap)) <= 3:
                return True
    return False


def unheld(
    body: str, spans: list[tuple[int, int]], others: list[tuple[int, int]] | None = None, scoped: bool = False
) -> bool:
    """True when a word says the concepts at ``spans`` are named without the patient having them ("allergy to
    penicillin", "planned surgery", "family history of cancer"). The concepts' own words ("heart failure") and
    times ("at screening") are not such words, nor is a need after every concept ("renal disease requiring
    dialysis"). ``scoped`` (exclusions): only a word that governs one of them counts (text.scope), the concepts
    ``others`` (left unread) named too."""
    if scoped:
        kept = held_concepts(body, spans + (others or []))
        if kept is not None and all(kept[: len(spans)]):
            return False
    times = [(m.start(), m.end()) for m in _SCREENING_TIME.finditer(body)]
    masked = _masked(body, spans + times)
    for match in cue("not_had").finditer(masked):
        if _NEED.match(match.group(0)) and all(start < match.start() for start, _ in spans):
            continue
        return True
    return False


def negated_clause(body: str) -> bool:
    """True when the clause opens with a negation that scopes over all of it ("No history of X requiring Q")."""
    return bool(_NEGATED_CLAUSE.match(body))


def in_parentheses(text: str, position: int) -> bool:
    """True when ``position`` is inside an open parenthesis."""
    opened = max(text.rfind("(", 0, position), text.rfind("（", 0, position))
    return opened >= 0 and max(text.rfind(")", 0, position), text.rfind("）", 0, position)) < opened


def required_by_inclusion(body: str, found: list[ast.Node], spans: list[tuple[int, int]]) -> bool:
    """True when an inclusion requires the concepts it names beside unread words ("Type I or II diabetes
    mellitus", "Currently treated with peritoneal dialysis"): every one is a condition or drug the patient must
    have (a procedure only as history), and no word makes the clause conditional, planned or a choice."""
    masked = _masked(body, spans)
    if cue("inclusion_conditional").search(masked) or re.search(r"[^\W\d_]\s*/\s*[^\W\d_]", masked):
        return False  # "CT/RT": a slash between words offers a choice
    for node, (start, _end) in zip(found, spans, strict=True):
        if not isinstance(node, ast.Presence) or node.concept in _WHOM or in_parentheses(body, start):
            return False  # in parentheses: an example, an exception or a code ("(MDS B0800)"), not the subject
        if node.category == "procedure" and not _HAD.search(body[max(0, start - 60) : start]):
            return False
        if node.category not in ("condition", "medication", "procedure"):
            return False
    return True


def generic(vocabulary: Vocabulary, concept: str) -> bool:
    """True for a broad concept (any neoplasm, malignancy, surgery, infection): named as an example or kind of
    something, it may stand for that thing's kind of it ("urinary diseases, such as tumors", "Haematological
    disorders (… malignancy …)"), not for itself."""
    return len(vocabulary.descendants(concept)) >= 10


def examination(vocabulary: Vocabulary, concept: str) -> bool:
    """True for a test or examination (an ECG, any imaging)."""
    return bool(({concept} | set(vocabulary.ancestors(concept))) & _EXAMINATIONS)


# Words that qualify what examples are given of ("poorly-controlled conditions, such as dementia"): each example
# then counts only so qualified, so none is enough.
QUALIFIER = re.compile(
    r"(?i)\b(?:uncontrolled|poorly|unstable|severe|significant|serious|decompensated|symptomatic|relevant|"
    r"advanced|progressive|active|untreated|refractory|major|recurrent|chronic|acute|recent|current|ongoing|"
    r"due|secondary|related|associated|induced)\b|严重|未控制|不稳定|活动"
)


def examples(body: str, spans: list[tuple[int, int]]) -> bool:
    """True when the concepts are named as examples of something broader ("a pathology that could cause
    neuropathy (e.g. diabetes, renal failure)"): each is enough for the clause, none is needed."""
    return bool(spans) and bool(EXAMPLE.search(body[: min(start for start, _ in spans)]))


def qualified_examples(body: str, spans: list[tuple[int, int]]) -> bool:
    """True when some concepts are examples of something qualified ("poorly-controlled conditions, such as
    dementia", "Serious cardiovascular diseases, such as arrhythmia"): the qualifier before the examples' marker
    applies to each of them."""
    marker = EXAMPLE.search(body[: max(start for start, _ in spans)]) if spans else None
    return marker is not None and bool(QUALIFIER.search(body[: marker.start()]))


@dataclass(frozen=True)
class Necessity:
    """Whether the concepts found settle part of their clause, and how: negated ("No history of X …", the rule
    is ``not X or review``) or as examples (``X or review``); otherwise ``X and review`` (qualified)."""

    holds: bool
    negated: bool = False
    examples: bool = False


def necessity(
    kind: str,
    qualified: bool,
    vocabulary: Vocabulary,
    body: str,
    found: list[ast.Node],
    spans: list[tuple[int, int]],
    offset: int = 0,
    others: list[tuple[int, int]] | None = None,
) -> Necessity:
    """How concepts named beside unread words settle part of the clause (``spans`` are offsets in the item, whose
    ``body`` starts at ``offset``): never for an item about some patients ("For subjects receiving …:"), for
    concepts not had or for examinations; a negation only when it opens the clause."""
    spans = [(start - offset, end - offset) for start, end in spans]
    others = [(start - offset, end - offset) for start, end in others or []]
    concepts = [(node.item if isinstance(node, ast.Not) else node) for node in found]
    pairs = zip(concepts, spans, strict=False) if len(concepts) == len(spans) else []  # "no A or B": one leaf
    things = [span for node, span in pairs if getattr(node, "category", "") != "condition"]
    if (
        qualified
        or _objects_before(body, spans, things)
        or unheld(body, spans, others, kind == "exclusion")
        or any(examination(vocabulary, getattr(n, "concept", "")) for n in concepts)
    ):
        return Necessity(False)
    if qualified_examples(body, spans):
        return Necessity(False)
    if examples(body, spans) and any(generic(vocabulary, getattr(n, "concept", "")) for n in concepts):
        return Necessity(False)  # "urinary diseases, such as … tumors": a broad example is the head's kind only
    named_as_examples = examples(body, spans)
    if any(isinstance(node, ast.Not) for node in found):
        # "Absence of bone lesion or knee osteoarthritis": denied alternatives, one unread — nothing is settled
        listed = re.search(r"(?i)\b(?:or|and|nor)\b|[,;/]|或|和", _masked(body, spans))
        negated = all(isinstance(node, ast.Not) for node in found) and negated_clause(body) and not listed
        return Necessity(negated, negated, named_as_examples)
    if kind == "exclusion":
        return Necessity(True, False, named_as_examples)
    return Necessity(not named_as_examples and required_by_inclusion(body, found, spans))


def negated_list(
    body: str, found: list[ast.Node], spans: list[tuple[int, int]], offset: int = 0
) -> tuple[list[ast.Node], list[tuple[int, int]]]:
    """ "No history of diabetes or hypertension", "Not pregnant or breastfeeding": a negation opening the clause
    denies every concept of the list — ``not (A or B)``, one leaf over the list's extent. A list joined by "and"
    ("no A and B": neither, or not both?) is not read (empty). Anything else is returned as it was."""
    if len(found) < 2 or not isinstance(found[0], ast.Not) or not negated_clause(body):
        return found, spans
    ordered = sorted(spans)
    gaps = [body[a[1] - offset : b[0] - offset] for a, b in itertools.pairwise(ordered)]
    if any(re.search(r"(?i)\band\b(?!/or)|&|和|及|并", gap) for gap in gaps):
        return [], []
    inner = tuple(node.item if isinstance(node, ast.Not) else node for node in found)
    return [ast.Not(item=ast.AnyOf(items=inner))], [(ordered[0][0], ordered[-1][1])]


def negated_all(
    body: str, found: list[ast.Node], spans: list[tuple[int, int]], offset: int = 0
) -> tuple[list[ast.Node], list[tuple[int, int]]]:
    """ "Not currently receiving a monoamine oxidase inhibitor": a negation opening the clause, however far from
    the concept, denies it. The concepts (negated), and the span of the negation read."""
    opening = _NEGATED_CLAUSE.match(body)
    if not opening or not found or any(isinstance(node, ast.Not) for node in found):
        return found, []
    first = min(start for start, _ in spans) - offset
    if re.search(r"[,;:，；：]", body[opening.end() : max(opening.end(), first)]):
        return found, []  # "no cooperation …, allergy to …": the negation ends before the concept
    return [ast.Not(item=node) for node in found], [(offset, offset + opening.end())]


def negations(
    body: str, found: list[ast.Node], spans: list[tuple[int, int]], offset: int = 0
) -> tuple[list[ast.Node], list[tuple[int, int]], list[tuple[int, int]]]:
    """The concepts with the clause's opening negation applied (:func:`negated_all`, :func:`negated_list`): the
    nodes, their places, and the span of the negation read."""
    found, negation = negated_all(body, found, spans, offset)
    found, places = negated_list(body, found, spans, offset)
    return found, places, negation


_CHOICE = re.compile(r"(?i)\b(?:or|nor)\b|/|或")


def relation_heads(
    body: str, found: list[ast.Node], spans: list[tuple[int, int]]
) -> tuple[list[ast.Node], list[tuple[int, int]], list[tuple[int, int]]]:
    """ "Allergy to penicillin", "hypertension secondary to renal disease", "aspirin prior to surgery": a relation
    word after the first concepts makes the rest its objects, which the patient need not have had. The concepts
    before the first relation (the heads), their spans, and the spans of the objects (left for review). A relation
    word after a choice ("A and / or infection with B") may be the alternative's own: nothing is read then."""
    order = sorted(range(len(found)), key=lambda index: spans[index])
    kept = order[:1]
    for previous, index in itertools.pairwise(order):
        relation = cue("relation").search(gap := body[spans[previous][1] : spans[index][0]])
        if relation and _CHOICE.search(gap[: relation.start()]):
            return [], [], []  # "HBV and / or active infection with HCV": an alternative after all, left for review
        if relation:
            break
        kept.append(index)
    objects = [spans[index] for index in order if index not in kept]
    kept.sort()
    return [found[index] for index in kept], [spans[index] for index in kept], objects


def objects_unread(tokens: list[re.Match[str]], objects: list[tuple[int, int]]) -> bool:
    """True when every object of a relation keeps a word for review ("Allergy to the study drug" has none left:
    its words are filler, and the allergy alone would read as any allergy)."""
    return all(any(start <= token.start() < end for token in tokens) for start, end in objects)


def beside_window(leaves: list[ast.Node], found: list[ast.Node]) -> list[ast.Node]:
    """ "Previous myocardial infarction or a PCI within the past 3 months": beside a record read with a window, a
    concept named without one may share that window or not; it is left unread (empty) rather than read as ever."""
    windowed = any(isinstance(node, ast.Presence) and node.window for leaf in leaves for node in ast.walk(leaf))
    return [] if windowed else found
