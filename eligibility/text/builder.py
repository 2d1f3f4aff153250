"""One criterion item → rule leaves and the text spans they account for (what is left over goes to review)."""

from __future__ import annotations

import re

from eligibility.lang import ast
from eligibility.text.accounting import (
    AGE_WORD,
    CONTENT,
    FEMALE_CONDITIONS,
    SEPARATOR,
    SEX_WORDS,
    abbreviation_spans,
    expansion_spans,
)
from eligibility.text.alternatives import implied_female_spans, measures_joined
from eligibility.text.attribution import Mention, numbering_end
from eligibility.text.cues import cue
from eligibility.text.leaves import (
    comparison,
    concept_of,
    concepts_named,
    drop_modifiers,
    duration_of,
    first_concept,
    in_exception_parentheses,
    longest_names,
    parents_named,
    qualified,
    span_of,
    window_names,
    window_of,
)
from eligibility.text.lexicon import lexicon
from eligibility.text.measure_checks import method_of_measure
from eligibility.text.necessity import LIST_JOIN, beside_window, heads_held, necessity, negations, objects_unread
from eligibility.text.parse import ParsedCriterion
from eligibility.text.scores import score_lists

_SYMBOLS = r"[.,;:()\[\]/\-+%=~]"
# "For subjects receiving rituximab: …", "对于接受口服糖皮质激素治疗的受试者,…": who the item applies to.
_CONDITION_PREFIX = re.compile(
    r"(?i)\s*(?:[^:：]{0,40}[:：]\s*|[\u4e00-\u9fff]{1,6})?(?:for\s+(?:subjects?|patients?|participants?|those|women|"
    r"females?|men|males?)\b(?:\([^)]*\)|[^:：,，(]){0,120}[:：,，]|对于(?:\([^)]*\)|[^:：,，(]){0,60}[:：,，])"
)


class Builder:
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
        self.sex_leaf: ast.Sex | None = None
        self.introduced = 0
        self.scored: list[tuple[int, int]] = []
        self.negated = self.examples = self.related = self.reviewed = self.scoped = False

    def cover(self, start: int, end: int) -> None:
        self.covered.append((start, end))

    def mention(self, mention: Mention) -> None:
        if any(a <= mention.phrase.start < b for a, b in self.scored):  # read already as a class list
            return
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
        duration = duration_of(mention.amount.value, mention.amount.unit)
        if duration is None or duration.unit not in ("year", "month", "week", "day"):
            return None
        phrase = self.text.text[mention.phrase.start : mention.phrase.end]
        if not AGE_WORD.search(phrase) and not AGE_WORD.search(mention.subject.text):
            return None  # "Pain (VPS) > 3, 18-45 years of age": the 3 is not an age
        return ast.Age(
            op=mention.op, duration=duration, span=span_of(self.text, mention.phrase.start, mention.phrase.end)
        )

    def _onset(self, mention: Mention) -> ast.Node | None:
        found = first_concept(self.text.text, self.finders, ("condition",))
        duration = duration_of(mention.amount.value, mention.amount.unit)
        if found is None or duration is None:
            return None
        _category, hit = found
        self.cover(hit.start, hit.end)
        for marker in self.parsed.phrases:  # "age at onset", "发病年龄": read with the age
            if marker.kind == "onset" and marker.end <= mention.phrase.start:
                self.cover(marker.start, marker.end)
        return ast.AgeAtOnset(
            concept=hit.id,
            op=mention.op,
            duration=duration,
            concept_text=hit.text,
            span=span_of(self.text, mention.phrase.start, mention.phrase.end),
        )

    def _measured(self, mention: Mention) -> ast.Node | None:
        nodes = []
        for hit in mention.subject.measures:
            node = comparison(mention, hit, self.vocabulary, self.text)
            if node is not None:
                nodes.append(node)
        if not nodes:
            return None
        self.cover(min(h.start for h in mention.subject.measures), max(h.end for h in mention.subject.measures))
        self._cover_parenthetical(mention.phrase.end)
        review = ast.NeedsReview(text=self.parsed.text.source.strip())
        return nodes[0] if len(nodes) == 1 else measures_joined(nodes, mention.subject.connective, self.kind, review)

    _numeric = _relative = _measured

    def _window(self, mention: Mention) -> ast.Node | None:
        if mention.subject.measures:
            return self._measured(mention) or self._attach_window(mention)
        window = window_of(mention)
        subject = mention.subject
        anchored = mention.phrase.kind == "window" or mention.phrase.before
        words = self.text.text[subject.start : mention.phrase.end + 60]
        if window is None or not anchored or cue("not_an_event").search(words):
            return None
        found, offset = concepts_named(self.text.text[subject.start : subject.end], self.finders), subject.start
        if not found:
            tail = re.findall(r"^[^,;.。；，()（）]{0,30}", self.text.text[mention.phrase.end :])[0]
            found, offset = concepts_named(tail, self.finders), mention.phrase.end
        found = [(c, h) for c, h in window_names(self.text.text, found, offset) if offset + h.start >= self.qualified]
        dropped, heads = parents_named(
            self.vocabulary, self.text.text, [(h.id, offset + h.start, offset + h.end) for _c, h in found]
        )
        found = [pair for index, pair in enumerate(found) if index not in dropped]
        self.covered += heads
        if not found:
            return None
        nodes = []
        active = bool(cue("active").search(self.text.text[subject.start : mention.phrase.start]))
        for category, hit in found:
            self.cover(offset + hit.start, offset + hit.end)
            before = self.text.text[max(0, subject.start - 12) : offset + hit.start]
            node = ast.Presence(
                category=category,
                concept=hit.id,
                window=window,
                concept_text=hit.text,
                active=active,
                span=span_of(self.text, offset + hit.start, mention.phrase.end),
            )
            self._cover_cues(before, max(0, subject.start - 12), ("negation",))
            nodes.append(ast.Not(item=node) if cue("negation").search(before) else node)
        return nodes[0] if len(nodes) == 1 else ast.AnyOf(items=tuple(nodes))

    def _cover_parenthetical(self, position: int) -> None:
        """ "(ULN)" after "3 × upper limit of normal" belongs to the phrase."""
        match = re.match(r"\s*[(（]\s*(?:ULN|LLN|[A-Z]{2,6}|正常值?[上下]限)\s*[)）]", self.text.text[position:])
        if match:
            self.cover(position, position + match.end())

    def _attach_window(self, mention: Mention) -> ast.Node | None:
        """ "hemoglobin ≥ 9 g/dL within 7 days": the window says how recent the measurement must be."""
        window = window_of(mention)
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
        found = first_concept(words, self.finders, ("event",)) or first_concept(
            self.text.original(mention.subject.start, mention.subject.end), self.finders, ("event",)
        )
        if found is None or mention.op not in ("<", "<=", ">", ">=", "=="):
            return None
        window = None
        if mention.window_phrase is not None:
            self.cover(mention.window_phrase.start, mention.window_phrase.end)
        if mention.window is not None:
            duration = duration_of(mention.window.value, mention.window.unit)
            window = ast.Window(op="<=", duration=duration) if duration else None
        return ast.Count(
            category="event",
            concept=found[1].id,
            window=window,
            op=mention.op,
            count=int(mention.amount.value),
            concept_text=found[1].text,
            span=span_of(self.text, mention.phrase.start, mention.phrase.end),
        )

    def intro(self) -> None:
        """ "Any one of the following abnormal laboratory parameters:" only introduces what follows."""
        match = re.match(
            r"(?i)[^:：]{0,80}\b(?:of the following|as follows|following)\b[^:：]{0,60}[:：]|"
            r"[^:：]{0,40}以下[^:：]{0,30}[:：]|"
            r"\s*(?:[A-Za-z][\w\-]*\s+){0,3}[A-Za-z][\w\-]*\s*[:：](?!\s*$)",
            self.text.text,
        )
        if (
            match
            and not re.search(r"\d", match.group(0))
            and not any(p.search(match.group(0)) for p in SEX_WORDS.values())
        ):
            self.cover(0, match.end())
            self.introduced = match.end()

    def scores(self) -> None:
        """ "ECOG 0 or 1", "NYHA III-IV": classes listed after a score's name."""
        for node, (start, end) in score_lists(self.text.text, self.vocabulary, self._is_covered):
            self.leaves.append(node)
            self.places.append((start, end))
            self.cover(start, end)
            self.scored.append((start, end))

    def qualitative(self) -> None:
        """ "positive hepatitis C PCR", "HIV antibody negative": a test named next to its result."""
        body = self.text.text
        for hit in lexicon(self.vocabulary).measures.find(body):
            measure = self.vocabulary.measures[hit.id]
            if not measure.qualitative or any(a <= hit.start < b for a, b in self.covered):
                continue
            near = body[max(0, hit.start - 25) : hit.end + 25]
            polarity = cue("polarity").findall(near)
            if len({p.lower() for p in polarity}) != 1:
                continue
            word = polarity[0].lower()
            value = "negative" if word in ("negative", "non-reactive", "undetectable", "阴性") else "positive"
            if value not in (measure.values or ()):
                continue
            self.leaves.append(
                ast.Qualitative(
                    measure=measure.id, value=value, measure_text=hit.text, span=span_of(self.text, hit.start, hit.end)
                )
            )
            self.places.append((hit.start, hit.end))
            self.cover(hit.start, hit.end)
            for found in cue("polarity").finditer(near):
                start = max(0, hit.start - 25) + found.start()
                self.cover(start, start + len(found.group(0)))

    def concepts(self) -> None:
        """Conditions, drugs, procedures named without a number ("HIV infection"): never one in an exception
        ("inactivated vaccines are permitted"); beside unread words only where text.necessity settles it."""
        start = numbering_end(self.text.text)
        body = self.text.text
        exception = cue("conditional").search(body)
        unread = list(self.covered)  # the cue words of concepts not read in the end are not read either
        found: list[ast.Node] = []
        spans: list[tuple[int, int]] = []
        read = {getattr(n, "concept", None) for leaf in self.leaves for n in ast.walk(leaf)}
        for category, hit in longest_names(body[start:], self.finders):
            begin, end = hit.start + start, hit.end + start
            if any(a <= begin < b or a < end <= b for a, b in self.covered + spans):
                continue
            if (exception is not None and begin > exception.start()) or in_exception_parentheses(body, begin):
                continue
            if begin < self.qualified or hit.id in read or qualified(body, begin, end, category):
                continue
            if method_of_measure(body, self.places, self.leaves, category, begin):
                continue
            before = body[max(start, begin - 25) : begin]
            current = bool(cue("active").search(before)) or (
                self.kind == "exclusion" and category == "condition" and not cue("history").search(body[start:end])
            )
            node = ast.Presence(
                category=category,
                concept=hit.id,
                concept_text=hit.text,
                active=current,
                span=span_of(self.text, begin, end),
            )
            found.append(ast.Not(item=node) if cue("negation").search(before) else node)
            spans.append((begin, end))
            self._cover_cues(before, begin - len(before), ("active", "negation"))
        found, spans = drop_modifiers(body, found, spans, self.vocabulary)
        named = [(concept_of(node), a, b) for node, (a, b) in zip(found, spans, strict=True)]
        named += [(concept, -1, -1) for concept in read if concept]
        dropped, heads = parents_named(self.vocabulary, body, named)
        found = [node for index, node in enumerate(found) if index not in dropped]
        spans = [span for index, span in enumerate(spans) if index not in dropped]
        self.covered += heads
        unread += heads
        found, spans, objects, others = heads_held(self.kind, body, beside_window(self.leaves, found), spans, start)
        self.scoped = bool(others)
        found, places, negation = negations(body[start:], found, spans, start)
        if not found:
            self.covered = unread
            return
        self.covered += spans + negation
        if not objects_unread(self.leftover_tokens(), objects):
            self.covered = unread
            return
        if self.leftover():
            verdict = necessity(
                self.kind, bool(self.qualified), self.vocabulary, body[start:], found, spans, start, others
            )
            self.negated, self.examples = verdict.negated and not self.leaves, verdict.examples
            if not verdict.holds or (verdict.negated and self.leaves):
                self.covered = unread
                return
        self.leaves += found
        self.places += places
        self.related = bool(objects)

    def leftover_tokens(self) -> list[re.Match[str]]:
        """The words, numbers, comparators and sex words of the item that no leaf accounts for."""
        self.covered += abbreviation_spans(self.text.text, self._is_covered)
        self.covered += expansion_spans(self.text.text, self._is_covered)
        body = self.text.text
        mask = [False] * len(body)
        for start, end in self.covered:
            for position in range(max(0, start), min(len(body), end)):
                mask[position] = True
        start = numbering_end(body)
        rest = " " * start + "".join(" " if mask[i] else ch for i, ch in enumerate(body))[start:]
        rest = cue("any_sex").sub(lambda m: " " * len(m.group(0)), rest)
        rest = cue("filler", _SYMBOLS).sub(lambda m: " " * len(m.group(0)), rest)
        return list(CONTENT.finditer(rest))

    def leftover(self) -> str:
        """The text left for review, as its content words."""
        return " ".join(token.group(0) for token in self.leftover_tokens())

    def leftover_kinds(self) -> tuple[bool, bool]:
        """Whether some leftover word qualifies a leaf (next to it, no separator between: "intra-ocular surgery",
        "prednisone > 10 mg/day"), and whether some is a separate part (or a choice: "X or Y within 5 days")."""
        body = self.text.text
        spans = [span for span in self.places + self.covered if span[1] > self.introduced]
        qualifying = separate = False
        for token in self.leftover_tokens():
            gaps = [
                body[end : token.start()] if end <= token.start() else body[token.end() : start]
                for start, end in spans
                if end <= token.start() or token.end() <= start
            ]
            adjacent = not in_exception_parentheses(body, token.start()) and any(not SEPARATOR.search(g) for g in gaps)
            choice = any(LIST_JOIN.fullmatch(gap) for gap in gaps)
            qualifying, separate = qualifying or adjacent, separate or not adjacent or choice
        return qualifying, separate

    def sex_left(self) -> bool:
        """True when a sex word was left unread."""
        return any(p.fullmatch(t.group(0)) for t in self.leftover_tokens() for p in SEX_WORDS.values())

    def implied_sex(self) -> None:
        """ "Pregnant women", "lactating women": the sex word is implied by the condition read."""
        concepts = {getattr(n, "concept", None) for leaf in self.leaves for n in ast.walk(leaf)}
        if concepts & FEMALE_CONDITIONS:
            self.covered += implied_female_spans(self.text.text)

    def sex(self) -> None:
        """ "Male, aged 18 years or older": a sex word becomes ``sex is …`` when it is all that is left unread (a
        sex word beside unread text, "women of childbearing potential …", only says whom the rest concerns)."""
        body = self.text.text
        found = {sex: list(pattern.finditer(body)) for sex, pattern in SEX_WORDS.items()}
        found = {sex: [m for m in hits if not self._is_covered(m.start())] for sex, hits in found.items()}
        named = [sex for sex, hits in found.items() if hits]
        if len(named) != 1:
            return
        covered = list(self.covered)
        self.covered += [(m.start(), m.end()) for m in found[named[0]]]
        if self.leftover_tokens():
            self.covered = covered
            return
        first = found[named[0]][0]
        self.sex_leaf = ast.Sex(value=named[0], span=span_of(self.text, first.start(), first.end()))

    def _cover_cues(self, text: str, offset: int, names: tuple[str, ...]) -> None:
        """The cue words ("active", "no") a leaf took its meaning from are read with it."""
        for name in names:
            for match in cue(name).finditer(text):
                self.cover(offset + match.start(), offset + match.end())

    def _is_covered(self, position: int) -> bool:
        return any(a <= position < b for a, b in self.covered)
