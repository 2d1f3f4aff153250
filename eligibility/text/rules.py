"""Mentions → a rule for one criterion item, and what part of its text the rule covers.

Only what the vocabulary can resolve becomes a rule: comparisons on known measures with units that convert,
multiples of ULN/LLN, ages, records of known concepts (optionally within a window, negated, or counted). The
text no rule captures stays in the rule as a needs-review leaf, so nothing is lost and a person sees exactly
what was not read. Leaves are joined the way the item's kind reads: inclusion items by "and", exclusion items
by "or" — unless the text around them says otherwise ("unless", "except", "if" turn the join around, since
"A unless B" must not decide on A alone).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from eligibility.errors import UnitError
from eligibility.lang import ast
from eligibility.text.attribution import Mention, numbering_end
from eligibility.text.lexicon import NameHit, lexicon
from eligibility.text.normalize import Normalized
from eligibility.text.parse import ParsedCriterion
from eligibility.vocab.units import measure_factor
from eligibility.vocab.vocabulary import Vocabulary

Coverage = Literal["rule", "partial", "review"]
_CATEGORY_ORDER = ("immunization", "procedure", "medication", "event", "condition")
_NEGATION = re.compile(r"(?i)\b(?:no|not|without|absence of|free of|never|none|negative for)\b|无|未|没有|不")
_ACTIVE = re.compile(r"(?i)\b(?:active|current(?:ly)?|ongoing|uncontrolled|concurrent)\b|活动性|目前")
_CONDITIONAL = re.compile(
    r"(?i)\b(?:unless|except|other than|excluding|only if|if|provided|in the absence of|"
    r"but not|apart from)\b|除外|除了|除"
)
# Words that say nothing a rule must capture ("patients with", "history of", "at screening", units, labels).
_FILLER_WORDS = """patients? subjects? participants? individuals? people persons? adults? men women male female males?
females? with who have has had having history known diagnosis diagnosed documented confirmed evidence presence of
the a an any and or and/or in on at to for by prior previous previously current currently active is are was were be
been must should will within before after since from last past recent recently received receiving use used treatment
therapy treated such as e\\.?g i\\.?e etc no not without other signs? symptoms? clinical clinically significant criteria
screening enrollment enrolment randomi[sz]ation baseline study visit day days weeks? months? years? administration
dose first infection disease least most than more less equal times upper lower limits? normal ULN LLN range level
levels value values count gender sex unlimited eligible both either regardless sexes age aged ages period inclusive
during including products? agents? drugs? medications? function score definition those tested test results? related
activity investigator-assessed assessed measured shows?""".split()
_FILLER_CJK = (
    "治疗 包括 过去 男女不限 男女均可 年龄 周岁 岁 接种过 接种 任何 亦可 以上 以下 以内 既往 病史 患有 合并 存在 "
    "接受过 接受 诊断 确诊 的 者 患者 受试者"
).split()
_FILLER = re.compile(
    r"(?i)\b(?:" + "|".join(_FILLER_WORDS) + r")\b|" + "|".join(_FILLER_CJK) + r"|[\d.,;:()\[\]/\-+%<>=≤≥~]"
)
_RELATION = re.compile(
    r"(?i)\b(?:to|due to|caused by|secondary to|related to|associated with|induced|after|"
    r"following|for the treatment of|requiring|require|requires|with|without|of|in)\b|"
    r"引起|导致|所致|对|伴"
)
_NOT_AN_EVENT = re.compile(
    r"(?i)\b(?:cured|remission|resolved|disease[- ]free|free of|stable|stopped|discontinued|"
    r"completed|last (?:dose|administration)|washout|since|dose|dosage|increase|improvement)\b|缓解|治愈|停药|"
    r"末次|剂量|无增加|无改善|保持稳定|稳定"
)
_HISTORY = re.compile(r"(?i)\b(?:history|previous(?:ly)?|prior|past|ever|known|had|diagnosed)\b|既往|病史|曾")
_POLARITY = re.compile(r"(?i)\b(?:positive|negative|reactive|non-reactive|detectable|undetectable)\b|阳性|阴性")
# "For subjects receiving rituximab: …", "对于接受口服糖皮质激素治疗的受试者,…": who the item applies to.
_CONDITION_PREFIX = re.compile(
    r"(?i)\s*(?:[^:：]{0,40}[:：]\s*|[\u4e00-\u9fff]{1,6})?(?:for\s+(?:subjects?|patients?|participants?|those|women|"
    r"females?|men|males?)\b(?:\([^)]*\)|[^:：,，(]){0,120}[:：,，]|对于(?:\([^)]*\)|[^:：,，(]){0,60}[:：,，])"
)
_QUALIFIER_AFTER = re.compile(r"(?i)\s*,?\s*(?:who|that|whose|which|if)\b")
_QUALIFIER_BEFORE = re.compile(
    r"(?i)\bfor\s+(?:(?:the|all|any)\s+)?(?:(?:women|females?|men|males?|subjects?|patients?|"
    r"participants?)\s+(?:of\s+)?)?$|对于(?:有)?$"
)
_EXCEPTION_WORDS = re.compile(
    r"(?i)\b(?:permitted|allowed|acceptable|accepted|except|excluding|unless|other than|"
    r"not included|are eligible|is eligible)\b|除外|除|允许|可接受|亦可"
)
_CONTENT = re.compile(r"[A-Za-z][A-Za-z0-9'\-]{2,}|[\u4e00-\u9fff]{2,}")


@dataclass(frozen=True)
class Draft:
    """The rule read from one criterion, what it covers, and the text left for review."""

    rule: ast.Node | None
    coverage: Coverage
    leftover: str


def _span(text: Normalized, start: int, end: int) -> ast.Span:
    begin, finish = text.span(start, end)
    return ast.Span(start=begin, end=finish)


def _duration(value: Decimal, unit: str) -> ast.Duration | None:
    if unit == "minute":
        return ast.Duration(value=value / 60, unit="hour")
    return ast.Duration(value=value, unit=unit) if unit in ("hour", "day", "week", "month", "year") else None


def _comparison(mention: Mention, hit: NameHit, vocabulary: Vocabulary, text: Normalized) -> ast.Node | None:
    measure = vocabulary.measures[hit.id]
    amount, span = mention.amount, _span(text, mention.phrase.start, mention.phrase.end)
    if mention.category == "relative":
        if measure.qualitative:
            return None
        return ast.RelativeComparison(
            measure=measure.id, op=mention.op, factor=amount.value, limit=amount.unit, span=span, measure_text=hit.text
        )
    if measure.qualitative or amount.kind not in ("plain", "time"):
        return None
    try:
        factor = measure_factor(amount.unit, measure.unit, measure.molar_mass, measure.valence)
    except UnitError:
        return None
    if factor is None:
        return None
    return ast.Comparison(
        measure=measure.id,
        op=mention.op,
        quantity=ast.Quantity(value=amount.value, unit=amount.unit),
        span=span,
        measure_text=hit.text,
    )


def _concept(words: str, finders, categories=_CATEGORY_ORDER) -> tuple[str, NameHit] | None:
    for category in categories:
        hits = finders[category].find(words)
        if hits:
            return category, hits[-1]
    return None


def _concepts(words: str, finders) -> list[tuple[str, NameHit]]:
    """The concepts named last in ``words``, with the ones joined to them by "or"/"and"/","."""
    hits = sorted(
        ((category, hit) for category in _CATEGORY_ORDER for hit in finders[category].find(words)),
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


def _window(mention: Mention) -> ast.Window | None:
    duration = _duration(mention.amount.value, mention.amount.unit)
    if duration is None:
        return None
    op = "<=" if mention.phrase.kind == "window" else mention.op
    return ast.Window(op=op if op in ("<", "<=", ">", ">=") else "<=", duration=duration)


class _Builder:
    """Collects the leaves of one item and the text spans they account for."""

    def __init__(self, parsed: ParsedCriterion, kind: str) -> None:
        self.parsed, self.kind = parsed, kind
        self.text = parsed.text
        self.vocabulary = parsed.vocabulary
        self.finders = lexicon(self.vocabulary).concepts
        self.leaves: list[ast.Node] = []
        self.places: list[tuple[int, int]] = []
        prefix = _CONDITION_PREFIX.match(self.text.text)
        self.qualified = prefix.end() if prefix else 0
        self.covered: list[tuple[int, int]] = []

    def cover(self, start: int, end: int) -> None:
        self.covered.append((start, end))

    def mention(self, mention: Mention) -> None:
        handler = getattr(self, f"_{mention.category}")
        node = handler(mention)
        if node is None:
            return
        self.cover(mention.phrase.start, mention.phrase.end)
        place = (mention.phrase.start, mention.phrase.end)
        if self.places and self.places[-1] == place:  # the two bounds of one range: always "and"
            previous = self.leaves.pop()
            items = previous.items if isinstance(previous, ast.AllOf) else (previous,)
            node = ast.AllOf(items=(*items, node))
        else:
            self.places.append(place)
        self.leaves.append(node)

    def _age(self, mention: Mention) -> ast.Node | None:
        duration = _duration(mention.amount.value, mention.amount.unit)
        if duration is None or duration.unit not in ("year", "month", "week", "day"):
            return None
        return ast.Age(
            op=mention.op, duration=duration, span=_span(self.text, mention.phrase.start, mention.phrase.end)
        )

    def _onset(self, mention: Mention) -> ast.Node | None:
        found = _concept(self.text.text, self.finders, ("condition",))
        duration = _duration(mention.amount.value, mention.amount.unit)
        if found is None or duration is None:
            return None
        _category, hit = found
        self.cover(hit.start, hit.end)
        return ast.AgeAtOnset(
            concept=hit.id,
            op=mention.op,
            duration=duration,
            concept_text=hit.text,
            span=_span(self.text, mention.phrase.start, mention.phrase.end),
        )

    def _measured(self, mention: Mention) -> ast.Node | None:
        nodes = []
        for hit in mention.subject.measures:
            node = _comparison(mention, hit, self.vocabulary, self.text)
            if node is not None:
                nodes.append(node)
        if not nodes:
            return None
        self.cover(min(h.start for h in mention.subject.measures), mention.subject.end)
        self._cover_parenthetical(mention.phrase.end)
        if len(nodes) == 1:
            return nodes[0]
        group = ast.AnyOf if mention.subject.connective == "or" else ast.AllOf
        return group(items=tuple(nodes))

    _numeric = _relative = _measured

    def _window(self, mention: Mention) -> ast.Node | None:
        if mention.subject.measures:
            return self._measured(mention) or self._attach_window(mention)
        window = _window(mention)
        subject = mention.subject
        anchored = mention.phrase.kind == "window" or mention.phrase.before
        words = self.text.text[subject.start : mention.phrase.end + 60]
        if window is None or not anchored or _NOT_AN_EVENT.search(words):
            return None
        found, offset = _concepts(self.text.text[subject.start : subject.end], self.finders), subject.start
        if not found:
            tail = re.match(r"[^,;.。；，()（）]{0,30}", self.text.text[mention.phrase.end :]).group(0)
            found, offset = _concepts(tail, self.finders), mention.phrase.end
        found = [(c, h) for c, h in found if offset + h.start >= self.qualified]
        if not found:
            return None
        first = offset + min(hit.start for _, hit in found)
        separators = list(re.finditer(r"[,;，；]|(?i:\s(?:or|and)\s)", self.text.text[subject.start : first]))
        self.cover(subject.start + separators[-1].end() if separators else subject.start, subject.end)
        nodes = []
        active = bool(_ACTIVE.search(self.text.text[subject.start : mention.phrase.start]))
        for category, hit in found:
            self.cover(offset + hit.start, offset + hit.end)
            before = self.text.text[max(0, subject.start - 12) : offset + hit.start]
            node = ast.Presence(
                category=category,
                concept=hit.id,
                window=window,
                concept_text=hit.text,
                active=active,
                span=_span(self.text, offset + hit.start, mention.phrase.end),
            )
            nodes.append(ast.Not(item=node) if _NEGATION.search(before) else node)
        return nodes[0] if len(nodes) == 1 else ast.AnyOf(items=tuple(nodes))

    def _cover_parenthetical(self, position: int) -> None:
        """ "(ULN)" after "3 × upper limit of normal" belongs to the phrase."""
        match = re.match(r"\s*\([^()]{1,12}\)", self.text.text[position:])
        if match:
            self.cover(position, position + match.end())

    def _attach_window(self, mention: Mention) -> ast.Node | None:
        """ "hemoglobin ≥ 9 g/dL within 7 days": the window says how recent the measurement must be."""
        window = _window(mention)
        if (
            window is None
            or not self.leaves
            or not isinstance(self.leaves[-1], (ast.Comparison, ast.RelativeComparison))
        ):
            return None
        last = self.leaves.pop()
        self.leaves.append(last.model_copy(update={"window": window}))
        self.cover(mention.phrase.start, mention.phrase.end)
        return None

    def _count(self, mention: Mention) -> ast.Node | None:
        words = (
            f"{mention.amount.noun or ''} {self.text.text[mention.phrase.start : mention.phrase.end]} "
            f"{self.text.text[mention.phrase.end : mention.phrase.end + 40]}"
        )
        found = _concept(words, self.finders, ("event",)) or _concept(
            self.text.original(mention.subject.start, mention.subject.end), self.finders, ("event",)
        )
        if found is None or mention.op not in ("<", "<=", ">", ">=", "=="):
            return None
        window = None
        if mention.window_phrase is not None:
            self.cover(mention.window_phrase.start, mention.window_phrase.end)
        if mention.window is not None:
            duration = _duration(mention.window.value, mention.window.unit)
            window = ast.Window(op="<=", duration=duration) if duration else None
        return ast.Count(
            category="event",
            concept=found[1].id,
            window=window,
            op=mention.op,
            count=int(mention.amount.value),
            concept_text=found[1].text,
            span=_span(self.text, mention.phrase.start, mention.phrase.end),
        )

    def intro(self) -> None:
        """ "Any one of the following abnormal laboratory parameters:" only introduces what follows."""
        match = re.match(
            r"(?i)[^:：]{0,80}\b(?:of the following|as follows|following)\b[^:：]{0,60}[:：]|"
            r"[^:：]{0,40}以下[^:：]{0,30}[:：]|"
            r"\s*(?:[A-Za-z][\w\-]*\s+){0,3}[A-Za-z][\w\-]*\s*[:：](?!\s*$)",
            self.text.text,
        )
        if match:
            self.cover(0, match.end())

    def qualitative(self) -> None:
        """ "positive hepatitis C PCR", "HIV antibody negative": a test named next to its result."""
        body = self.text.text
        for hit in lexicon(self.vocabulary).measures.find(body):
            measure = self.vocabulary.measures[hit.id]
            if not measure.qualitative or any(a <= hit.start < b for a, b in self.covered):
                continue
            near = body[max(0, hit.start - 25) : hit.end + 25]
            polarity = _POLARITY.findall(near)
            if len({p.lower() for p in polarity}) != 1:
                continue
            word = polarity[0].lower()
            value = "negative" if word in ("negative", "non-reactive", "undetectable", "阴性") else "positive"
            if value not in (measure.values or ()):
                continue
            self.leaves.append(
                ast.Qualitative(
                    measure=measure.id, value=value, measure_text=hit.text, span=_span(self.text, hit.start, hit.end)
                )
            )
            self.places.append((hit.start, hit.end))
            self.cover(hit.start, hit.end)
            for found in _POLARITY.finditer(near):
                start = max(0, hit.start - 25) + found.start()
                self.cover(start, start + len(found.group(0)))

    def concepts(self) -> None:
        """Conditions, drugs, procedures named without a number ("HIV infection", "history of splenectomy"),
        kept only when they account for the whole item: a concept in a relation ("allergy to the study drug")
        or in an exception ("inactivated vaccines are permitted") must not become a rule of its own."""
        start = numbering_end(self.text.text)
        body = self.text.text
        exception = _CONDITIONAL.search(body)
        found, spans = [], []
        for category in _CATEGORY_ORDER:
            for hit in self.finders[category].find(body[start:]):
                begin, end = hit.start + start, hit.end + start
                if any(a <= begin < b or a < end <= b for a, b in self.covered + spans):
                    continue
                if (exception is not None and begin > exception.start()) or _in_exception_parentheses(body, begin):
                    continue
                if begin < self.qualified:
                    continue
                if _QUALIFIER_AFTER.match(body, end) or _QUALIFIER_BEFORE.search(body[max(0, begin - 30) : begin]):
                    continue
                before = body[max(start, begin - 25) : begin]
                current = bool(_ACTIVE.search(before)) or (
                    self.kind == "exclusion" and category == "condition" and not _HISTORY.search(body[start:end])
                )
                node = ast.Presence(
                    category=category,
                    concept=hit.id,
                    concept_text=hit.text,
                    active=current,
                    span=_span(self.text, begin, end),
                )
                found.append(ast.Not(item=node) if _NEGATION.search(before) else node)
                spans.append((begin, end))
        found, spans = _drop_modifiers(body, found, spans)
        ordered = sorted(spans)
        if not found or any(_RELATION.search(body[a[1] : b[0]]) for a, b in itertools.pairwise(ordered)):
            return
        covered = list(self.covered)
        self.covered += spans
        if self.leftover():
            self.covered = covered
            return
        self.leaves += found
        self.places += spans

    def leftover(self) -> str:
        body = self.text.text
        mask = [False] * len(body)
        for start, end in self.covered:
            for position in range(max(0, start), min(len(body), end)):
                mask[position] = True
        rest = "".join(" " if mask[i] else ch for i, ch in enumerate(body))[numbering_end(body) :]
        return " ".join(_CONTENT.findall(_FILLER.sub(" ", rest)))


def _in_exception_parentheses(text: str, position: int) -> bool:
    """Inside "( … permitted)", "(except …)": a concept named as an exception, not a criterion."""
    opened = max(text.rfind("(", 0, position), text.rfind("（", 0, position))
    if opened < 0 or max(text.rfind(")", 0, position), text.rfind("）", 0, position)) > opened:
        return False
    closing = re.search(r"[)）]", text[position:])
    inside = text[opened : position + (closing.end() if closing else len(text) - position)]
    return bool(_EXCEPTION_WORDS.search(inside))


def _drop_modifiers(text: str, found: list, spans: list) -> tuple[list, list]:
    """ "active infection of hepatitis B": the first name qualifies the second; its "active" carries over."""
    keep_nodes, keep_spans = [], []
    for index, (node, (begin, end)) in enumerate(zip(found, spans, strict=False)):
        following = [b for b, _ in spans[index + 1 :]]
        joined = re.match(r"\s+(?:of|with|by|from|due to|caused by)\s+(?:the\s+)?", text[end:])
        if joined and end + joined.end() in following:
            if _ACTIVE.search(text[begin:end]):
                for target in range(index + 1, len(found)):
                    inner = found[target].item if isinstance(found[target], ast.Not) else found[target]
                    found[target] = inner.model_copy(update={"active": True})
            continue
        keep_nodes.append(node)
        keep_spans.append((begin, end))
    return keep_nodes, keep_spans


def _join(text: str, places: list[tuple[int, int]], leaves: list[ast.Node], default: str) -> ast.Node:
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
        word = re.search(r"(?i)\b(and|or)\b|和|或", gap)
        if top:
            groups.append((inner, current))
            words.append(top.group(1).lower())
            current, inner = [leaves[index]], default
        else:
            if word:
                inner = "or" if word.group(0).lower() in ("or", "或") else "and"
            current.append(leaves[index])
    groups.append((inner, current))
    nodes = [
        items[0] if len(items) == 1 else (ast.AnyOf if how == "or" else ast.AllOf)(items=tuple(items))
        for how, items in groups
    ]
    if len(nodes) == 1:
        return nodes[0]
    outer = words[0] if len(set(words)) == 1 else default
    return (ast.AnyOf if outer == "or" else ast.AllOf)(items=tuple(nodes))


def draft_rule(parsed: ParsedCriterion, kind: str = "inclusion") -> Draft:
    """The rule of one criterion item (``kind`` decides how its parts join)."""
    builder = _Builder(parsed, kind)
    builder.intro()
    for mention in parsed.mentions:
        builder.mention(mention)
    builder.qualitative()
    builder.concepts()
    leftover = builder.leftover()
    leaves = builder.leaves
    if not leaves:
        return Draft(None, "review", leftover)
    default = "or" if kind == "exclusion" else "and"
    ordered = sorted(zip(builder.places, leaves, strict=False), key=lambda pair: pair[0])
    rule = _join(parsed.text.text, [p for p, _ in ordered], [leaf for _, leaf in ordered], default)
    if leftover:
        conditional = bool(_CONDITIONAL.search(parsed.text.text))
        review = ast.NeedsReview(text=parsed.text.source.strip())
        group = ast.AnyOf if (kind == "exclusion") != conditional else ast.AllOf
        rule = group(items=(rule, review))
    return Draft(rule, "partial" if leftover else "rule", leftover)
