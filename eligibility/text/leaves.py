"""Pieces of drafting: one mention or one name → one rule leaf (comparison, window, concept found)."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

from eligibility.errors import UnitError
from eligibility.lang import ast
from eligibility.lang.ast import CATEGORIES, TIME_UNITS
from eligibility.text.attribution import Mention
from eligibility.text.bare_numbers import bare_number_unit
from eligibility.text.cues import cue
from eligibility.text.lexicon import NameHit
from eligibility.text.normalize import Normalized
from eligibility.vocab.units import measure_factor
from eligibility.vocab.vocabulary import Vocabulary

# The order in which categories claim a name that several know ("BCG" the vaccine before the condition).
CATEGORY_ORDER = tuple(sorted(CATEGORIES, key=("immunization", "procedure", "medication", "event", "condition").index))


def span_of(text: Normalized, start: int, end: int) -> ast.Span:
    begin, finish = text.span(start, end)
    return ast.Span(start=begin, end=finish)


def duration_of(value: Decimal, unit: str) -> ast.Duration | None:
    if unit == "minute":
        return ast.Duration(value=value / 60, unit="hour")
    return ast.Duration(value=value, unit=unit) if unit in TIME_UNITS else None


def comparison(mention: Mention, hit: NameHit, vocabulary: Vocabulary, text: Normalized) -> ast.Node | None:
    measure = vocabulary.measures[hit.id]
    amount, span = mention.amount, span_of(text, mention.phrase.start, mention.phrase.end)
    if mention.category == "relative":
        if measure.qualitative:
            return None
        return ast.RelativeComparison(
            measure=measure.id, op=mention.op, factor=amount.value, limit=amount.unit, span=span, measure_text=hit.text
        )
    if measure.qualitative or amount.kind not in ("plain", "time"):
        return None
    if _PERCENTILE.search(text.text[mention.subject.start : mention.phrase.end]):
        return None  # "BMI-for-age percentile ≥ 85" is no BMI of 85
    if not amount.unit and (measure.unit in _BARE_NUMBER_UNITS or measure.id in _BARE_NUMBER_MEASURES):
        amount = replace(amount, unit=measure.unit)
    elif not amount.unit and measure.unit:
        amount = replace(amount, unit=bare_number_unit(measure.id, amount.value) or "")
        if not amount.unit:
            return None  # no unit, and not exactly one plausible reading of the number: left for review
    try:
        factor = measure_factor(amount.unit, measure.unit, measure.molar_mass, measure.valence)
    except UnitError:
        return None
    if factor is None or _per_millilitre_blood_count(amount.unit, measure.unit):
        return None
    if measure.plausible and not measure.plausible[0] <= Fraction(amount.value) * factor <= measure.plausible[1]:
        return None  # "hemoglobin < 9 mg/dl": a threshold no criterion means, most likely a slip of unit
    return ast.Comparison(
        measure=measure.id,
        op=mention.op,
        quantity=ast.Quantity(value=amount.value, unit=amount.unit),
        span=span,
        measure_text=hit.text,
    )


# Units so usual for their measure that a bare number means them: "BMI > 30" is 30 kg/m².
_BARE_NUMBER_UNITS = {"kg/m^2"}
# "CD4 count < 200": a CD4 count is always written per µL (never per nL or 10^9/L).
_BARE_NUMBER_MEASURES = {"cd4_count"}
_PERCENTILE = re.compile(r"(?i)\b(?:percentiles?|centiles?|z[- ]?scores?|SDS|standard deviations?)\b|百分位")
_PER_MICROLITRE_SCALE = {"10^9/L", "cells/uL", "10^12/L"}


def _per_millilitre_blood_count(unit: str, measure_unit: str) -> bool:
    """ "Platelet count < 100,000/ml": blood counts are never given per millilitre; the writer meant per µL or
    mm³, and reading the unit literally would be off by a thousand, so the threshold is left for review."""
    return measure_unit in _PER_MICROLITRE_SCALE and unit.lower().endswith(("/ml", "/cc"))


def first_concept(words: str, finders, categories=CATEGORY_ORDER) -> tuple[str, NameHit] | None:
    for category in categories:
        hits = finders[category].find(words)
        if hits:
            return category, hits[-1]
    return None


def _inside(hit: NameHit, other: NameHit) -> bool:
    """ "zoster" inside "live zoster vaccine": the shorter name is part of the longer one."""
    return other.start <= hit.start and hit.end <= other.end and (other.end - other.start) > (hit.end - hit.start)


def longest_names(words: str, finders) -> list[tuple[str, NameHit]]:
    """Every concept named in ``words``, category by category, but none inside a longer name of another category
    ("attack" the relapse inside "transient ischemic attack")."""
    every = [(category, hit) for category in CATEGORY_ORDER for hit in finders[category].find(words)]
    return [pair for pair in every if not any(_inside(pair[1], other[1]) for other in every)]


def concepts_named(words: str, finders) -> list[tuple[str, NameHit]]:
    """The concepts named last in ``words``, with the ones joined to them by "or"/"and"/","."""
    every = [(category, hit) for category in CATEGORY_ORDER for hit in finders[category].find(words)]
    hits = sorted(
        (pair for pair in every if not any(_inside(pair[1], other[1]) for other in every)),
        key=lambda pair: pair[1].start,
    )
    if not hits:
        return []
    group = [hits[-1]]
    for pair in reversed(hits[:-1]):
        if not re.fullmatch(
            r"(?i)[\s,/]*(?:or|and|and/or|或|和|及|、)?[\s,/]*", words[pair[1].end : group[0][1].start]
        ):
            break
        group.insert(0, pair)
    return group


def window_of(mention: Mention) -> ast.Window | None:
    duration = duration_of(mention.amount.value, mention.amount.unit)
    if duration is None:
        return None
    op = "<=" if mention.phrase.kind == "window" else mention.op
    return ast.Window(op=op if op in ("<", "<=", ">", ">=") else "<=", duration=duration)


def in_exception_parentheses(text: str, position: int) -> bool:
    """Inside "( … permitted)", "(except …)": a concept named as an exception, not a criterion."""
    opened = max(text.rfind("(", 0, position), text.rfind("（", 0, position))
    if opened < 0 or max(text.rfind(")", 0, position), text.rfind("）", 0, position)) > opened:
        return False
    closing = re.search(r"[)）]", text[position:])
    inside = text[opened : position + (closing.end() if closing else len(text) - position)]
    return bool(cue("exception").search(inside))


def drop_modifiers(text: str, found: list, spans: list, vocabulary: Vocabulary) -> tuple[list, list]:
    """ "active infection of hepatitis B": the first name qualifies the second; its "active" carries over. A
    condition named right before a procedure or drug ("glaucoma surgery") says what that was for: not a record."""
    keep_nodes, keep_spans = [], []
    for index, (node, (begin, end)) in enumerate(zip(found, spans, strict=False)):
        following = [b for b, _ in spans[index + 1 :]]
        pairs = zip(found, spans, strict=True)
        if any(start >= end and _purpose(node, other, text[end:start]) for other, (start, _) in pairs):
            continue
        if _compound_modifier(vocabulary, text, node, end, list(zip(found[index + 1 :], following, strict=False))):
            continue
        joined = re.match(r"\s+(?:of|with|by|from|due to|caused by)\s+(?:the\s+)?", text[end:])
        if joined and end + joined.end() in following:
            if cue("active").search(text[begin:end]):
                for target in range(index + 1, len(found)):
                    inner = found[target].item if isinstance(found[target], ast.Not) else found[target]
                    found[target] = inner.model_copy(update={"active": True})
            continue
        keep_nodes.append(node)
        keep_spans.append((begin, end))
    return keep_nodes, keep_spans


# "Transfusion syndrome", "vaccine disease": a procedure or drug named before one of these words is part of the
# name of another entity (a condition), which the record of the procedure or drug does not settle.
_ENTITY_AFTER = re.compile(
    r"(?i)[\s\-]*(?:[a-z]+[\s\-]+){0,2}?(?:syndromes?|diseases?|disorders?|reactions?)\b|[\s\-]*resistan"
)


def _compound_modifier(
    vocabulary: Vocabulary, text: str, node: ast.Node, end: int, following: list[tuple[ast.Node, int]]
) -> bool:
    """True when a name only modifies the noun phrase it stands in, so is no record of its own (it is left unread,
    for review): a condition right before another ("psoriasis arthropathy": a kind of arthropathy, not psoriasis
    and any arthropathy), a drug or procedure right before a condition ("steroid myopathy": its cause), or one
    followed by "syndrome", "disease" ("twin-to-twin transfusion syndrome" is no transfusion, "insulin
    resistance" no insulin). A broader name after a narrower one ("tuberculosis infection") only repeats it (see
    :func:`parents_named`)."""
    inner = node.item if isinstance(node, ast.Not) else node
    category = getattr(inner, "category", "")
    if category != "condition" and _ENTITY_AFTER.match(text, end):
        return True
    for other, start in following:
        other = other.item if isinstance(other, ast.Not) else other
        if category in ("medication", "procedure") and getattr(other, "category", "") == "condition":
            return start > end and re.fullmatch(r"[ \-]+", text[end:start]) is not None  # "steroid myopathy"
        broader = getattr(other, "concept", "") in vocabulary.ancestors(getattr(inner, "concept", ""))
        if category == "condition" and getattr(other, "category", "") == "condition" and not broader:
            return start > end and re.fullmatch(r"[ \-]+", text[end:start]) is not None
    return False


def window_names(text: str, found: list, offset: int) -> list:
    """The (category, hit) names a window applies to: none named after "except", "other than" ("NSAIDs other
    than aspirin within 72 hours") or inside "(except …)", and no condition that only says what the procedure or
    drug right after it was for ("glaucoma surgery within 3 months")."""
    exception = cue("conditional").search(text)
    kept = [
        (category, hit)
        for category, hit in found
        if not (exception is not None and offset + hit.start > exception.start())
        and not in_exception_parentheses(text, offset + hit.start)
    ]
    kept = [
        (category, hit)
        for category, hit in kept
        if not not_the_record(text[offset + hit.end :], category)
        and not treated_object(text, offset + hit.start, offset + hit.end, category)
    ]
    return [
        (category, hit)
        for index, (category, hit) in enumerate(kept)
        if not any(
            _purpose(
                ast.Presence(category=category, concept=hit.id),
                ast.Presence(category=c, concept=h.id),
                text[offset + hit.end : offset + h.start],
            )
            for c, h in kept[index + 1 :]
            if h.start >= hit.end
        )
    ]


QUALIFIER_AFTER = re.compile(r"(?i)\s*,?\s*(?:who|that|whose|which|if)\b|\s*[(\[（][^)\]）]*[<>≤≥＜＞]")
QUALIFIER_BEFORE = re.compile(
    r"(?i)\bfor\s+(?:(?:the|all|any)\s+)?(?:(?:women|females?|men|males?|subjects?|patients?|"
    r"participants?)\s+(?:of\s+)?)?$|对于(?:有)?$"
)
_TREATMENT_OF = re.compile(
    r"(?i)\b(?:treatments?|therap(?:y|ies)|treated|regimens?)\s+(?:of|for)\s+(?:(?:the|their|his|her|its)\s+)?"
    r"(?:[\w\-,/]+\s+){0,6}$"
)
# "drugs that may induce priapism", "medications related to heart disease": the drugs, not the condition.
_DRUGS_FOR = re.compile(
    r"(?i)\b(?:drugs?|medications?|medicines?|agents?|products?)\s+(?:(?:that|which)\s+)?(?:(?:may|can|could|might|are|is|"
    r"known\s+to|likely\s+to)\s+)*(?:induc\w*|caus\w*|prolong\w*|affect\w*|interfer\w*\s+with|related\s+to|associated\s+"
    r"with|used\s+(?:for|to\s+treat)|for)\s+(?:(?:the|a|an)\s+)?(?:[\w\-,/]+\s+){0,6}$"
)
# Between a broader name and a narrower one: a comma, or nothing but "or"/"and" ("AMI or acute coronary
# syndrome"), makes the broader one an item of its own; "Hepatitis B or C infection" shares its head noun.
_ITEM_APART = re.compile(r"[,;，；、]|^\W*(?:or|and|and/or|或|和|及)\W*$", re.IGNORECASE)
_LIST_GAP = re.compile(r"^[\s,;，；、]*(?:(?:or|and|and/or|或|和|及)\s*)?$", re.IGNORECASE)
_DIAGNOSED = re.compile(r"(?i)\bdiagnos\w*|诊断")
_TREATMENT_AFTER = re.compile(r"(?i)[\s\-]*(?:treatments?|therap(?:y|ies)|regimens?)\b|\s*的?治疗")
_UP_TO_WINDOW = re.compile(r"(?i)\b(?:within|during|in\s+the|prior|before|past|last|previous|preceding)\b")
_ABOUT_IT = re.compile(r"(?i)\b(?:screening|tests?|testing|allerg\w*|intoleran\w*|contraindicat\w*)\b")
_TREATED = re.compile(r"(?i)\b(?:treat(?:ment|ed)?|therapy|requir\w*)\b")


def qualified(text: str, begin: int, end: int, category: str) -> bool:
    """True when the words around a name qualify it ("patients who …", "for women …", "anaemia (Hb < 8)"), say
    that a window after it is about something else, or make a condition the object of a treatment ("no other
    treatment of prostate cancer", "乙肝治疗": the treatment is denied or required, not the condition)."""
    before = text[max(0, begin - 30) : begin]
    treated = treated_object(text, begin, end, category)
    return bool(QUALIFIER_AFTER.match(text, end) or QUALIFIER_BEFORE.search(before) or treated) or not_the_record(
        text[end:], category
    )


def treated_object(text: str, begin: int, end: int, category: str) -> bool:
    """True when the condition named at ``begin:end`` is the object of a treatment ("treatment of solid malignancy",
    "prostate cancer therapy", "乙肝治疗", "drugs that may induce priapism"): the clause is about the treatment or
    the drugs, which the patient may have without the condition, or lack with it."""
    before = text[max(0, begin - 70) : begin]
    if category != "condition" or _DIAGNOSED.search(before):
        return False  # "diagnosed with or treated for cancer": the condition itself counts too
    return bool(_TREATMENT_OF.search(before) or _DRUGS_FOR.search(before) or _TREATMENT_AFTER.match(text, end))


def not_the_record(after: str, category: str) -> bool:
    """True when the words between a name and the window after it say the window is about something else: a
    negation ("cancer, with no active treatment in the last year"), a test of it ("lung cancer screening test
    within the last year") or, for a condition, its treatment ("cancer requiring treatment in the past year")."""
    stop = _UP_TO_WINDOW.search(after)
    if stop is None:
        return False
    between = after[: stop.start()]
    treated = category == "condition" and _TREATED.search(between)
    return bool(cue("negation").search(between) or _ABOUT_IT.search(between) or treated)


def _purpose(node: ast.Node, following: ast.Node, gap: str) -> bool:
    """True for a condition right before a procedure or drug ("glaucoma surgery", "cancer chemotherapy")."""
    inner = following.item if isinstance(following, ast.Not) else following
    node = node.item if isinstance(node, ast.Not) else node
    return (
        getattr(node, "category", "") == "condition"
        and getattr(inner, "category", "") in ("procedure", "medication")
        and re.fullmatch(r"[\s\-]*", gap) is not None
    )


_EXAMPLE = re.compile(r"(?i)\b(?:such as|e\.?\s?g|including|like|especially|for example|for instance)\b|如|例如|包括")


_OTHER = re.compile(r"(?i)\b(?:other|another|further|additional)\s+(?:\w+\s+)?$|其他\s*$|其它\s*$")


def parents_named(vocabulary: Vocabulary, text: str, named: list[tuple[str, int, int]]) -> tuple[set[int], list]:
    """Which names only repeat a broader concept of another name in the item, never to be read as a rule of their
    own ("infection" of "HIV infection", "Hepatitis B or C infection"): their indexes, and the spans of those that
    are the head noun right after the narrower name (part of that name, "HIV感染")."""
    dropped, heads = set(), []
    for index, (concept, begin, end) in enumerate(named):
        narrower = [(b, e) for other, b, e in named if other != concept and concept in vocabulary.ancestors(other)]
        narrower = [(b, e) for b, e in narrower if not _EXAMPLE.search(text[min(end, b) : max(begin, e)])]
        # "cardiovascular disease (heart failure, …)": kinds in a parenthesis after the broader name elaborate it
        narrower = [(b, e) for b, e in narrower if not (b >= end and re.search(r"[(（]", text[end:b]))]
        if not narrower or _OTHER.search(text[max(0, begin - 12) : begin]):
            continue  # "epilepsy or other CNS disease": the broader name is an alternative of its own
        gaps = sorted((text[e:begin] if e <= begin else text[end:b]) for b, e in narrower if b >= 0)
        gaps.sort(key=len)
        if len(gaps) == len(narrower) and all(_ITEM_APART.search(g) for g in gaps) and _LIST_GAP.match(gaps[0]):
            continue  # "acute MI, unstable angina, coronary artery disease or stroke": an item of its own
        dropped.add(index)
        if any(not text[e:begin].strip() for _b, e in narrower if e <= begin):
            heads.append((begin, end))
    return dropped, heads


def concept_of(node: ast.Node) -> str:
    """The concept of a (possibly negated) record leaf, or ""."""
    inner = node.item if isinstance(node, ast.Not) else node
    return getattr(inner, "concept", "")
