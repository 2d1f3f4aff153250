"""Lark parse trees of canonical rule text (``grammars/rule.lark``) → rule AST nodes.

This module and :mod:`eligibility.freetext.transformer` are the only ones that know both lark and the AST.
"""

from __future__ import annotations

import json
from decimal import Decimal

from lark import Token, Transformer, v_args
from lark.tree import Meta

from eligibility.lang import ast
from eligibility.vocab.units import canonical_unit

_WINDOW_OPS = {"within": "<=", "at_least_ago": ">=", "more_than_ago": ">", "less_than_ago": "<"}


def span_of(meta: Meta) -> ast.Span | None:
    """The source span lark recorded for a rule, if any."""
    if getattr(meta, "empty", True):
        return None
    return ast.Span(start=meta.start_pos, end=meta.end_pos)


def time_unit(word: str) -> str:
    """``"weeks"`` → ``"week"``."""
    word = word.lower()
    return word[:-1] if word.endswith("s") else word


def name_text(token: Token) -> str:
    """A name token: bare identifier, or a double-quoted string."""
    return json.loads(token) if token.type == "STRING" else str(token)


def _split_window(children: list) -> tuple[list, ast.Window | None]:
    window = next((c for c in children if isinstance(c, ast.Window)), None)
    return [c for c in children if not isinstance(c, ast.Window)], window


_EVER = object()  # what the ``ever`` of a result rule is read as, before it becomes the node's flag


def _split_result_age(children: list) -> tuple[list, dict]:
    """The children without their age limit, and the node fields it sets (``window`` or ``ever``)."""
    rest, window = _split_window([c for c in children if c is not _EVER])
    return rest, {"window": window, "ever": any(c is _EVER for c in children)}


@v_args(meta=True)
class RuleTransformer(Transformer):
    """Builds AST nodes bottom-up; every node gets the span of the text it came from."""

    def any_of(self, meta: Meta, items: list) -> ast.AnyOf:
        return ast.AnyOf(items=tuple(items), span=span_of(meta))

    def all_of(self, meta: Meta, items: list) -> ast.AllOf:
        return ast.AllOf(items=tuple(items), span=span_of(meta))

    def negation(self, meta: Meta, items: list) -> ast.Not:
        return ast.Not(item=items[0], span=span_of(meta))

    def implies(self, meta: Meta, items: list) -> ast.Implies:
        return ast.Implies(condition=items[0], then=items[1], span=span_of(meta))

    def quantity(self, meta: Meta, items: list) -> ast.Quantity:
        unit = canonical_unit(str(items[1])) if len(items) > 1 else ""
        return ast.Quantity(value=Decimal(items[0]), unit=unit, span=span_of(meta))

    def duration(self, meta: Meta, items: list) -> ast.Duration:
        return ast.Duration(value=Decimal(items[0]), unit=time_unit(str(items[1])))

    def _window(self, kind: str, items: list) -> ast.Window:
        return ast.Window(op=_WINDOW_OPS[kind], duration=items[0])

    def within(self, meta: Meta, items: list) -> ast.Window:
        return self._window("within", items)

    def at_least_ago(self, meta: Meta, items: list) -> ast.Window:
        return self._window("at_least_ago", items)

    def more_than_ago(self, meta: Meta, items: list) -> ast.Window:
        return self._window("more_than_ago", items)

    def less_than_ago(self, meta: Meta, items: list) -> ast.Window:
        return self._window("less_than_ago", items)

    def ever(self, meta: Meta, items: list) -> object:
        return _EVER

    def comparison(self, meta: Meta, items: list) -> ast.Comparison:
        (name, op, quantity), age_limit = _split_result_age(items)
        return ast.Comparison(
            measure=name_text(name),
            op=str(op),
            quantity=quantity,
            **age_limit,
            span=span_of(meta),
            measure_text=name_text(name),
        )

    def relative(self, meta: Meta, items: list) -> ast.RelativeComparison:
        (name, op, factor, limit), age_limit = _split_result_age(items)
        return ast.RelativeComparison(
            measure=name_text(name),
            op=str(op),
            factor=Decimal(factor),
            limit=str(limit),
            **age_limit,
            span=span_of(meta),
            measure_text=name_text(name),
        )

    def qualitative(self, meta: Meta, items: list) -> ast.Qualitative:
        (name, value), age_limit = _split_result_age(items)
        return ast.Qualitative(
            measure=name_text(name),
            value=str(value).lower(),
            **age_limit,
            span=span_of(meta),
            measure_text=name_text(name),
        )

    def age(self, meta: Meta, items: list) -> ast.Age:
        op, duration = items
        return ast.Age(op=str(op), duration=duration, span=span_of(meta))

    def conditions(self, meta: Meta, items: list) -> tuple[str, ...]:
        return tuple(name_text(item) for item in items)

    def age_at_onset(self, meta: Meta, items: list) -> ast.AgeAtOnset:
        return _onset_rule(ast.AgeAtOnset, meta, items)

    def disease_duration(self, meta: Meta, items: list) -> ast.DiseaseDuration:
        return _onset_rule(ast.DiseaseDuration, meta, items)

    def sex(self, meta: Meta, items: list) -> ast.Sex:
        return ast.Sex(value=str(items[0]), span=span_of(meta))

    def excluding(self, meta: Meta, items: list) -> tuple[str, ...]:
        return tuple(name_text(item) for item in items)

    def presence(self, meta: Meta, items: list) -> ast.Presence:
        rest, window = _split_window(items)
        excluding = next((c for c in rest if isinstance(c, tuple)), ())
        tokens = [c for c in rest if not isinstance(c, tuple)]
        active = tokens[0].type == "ACTIVE"
        category, name = tokens[1:] if active else tokens
        return ast.Presence(
            category=str(category),
            concept=name_text(name),
            active=active,
            excluding=excluding,
            window=window,
            span=span_of(meta),
            concept_text=name_text(name),
        )

    def count(self, meta: Meta, items: list) -> ast.Count:
        (category, name, op, number), window = _split_window(items)
        return ast.Count(
            category=str(category),
            concept=name_text(name),
            window=window,
            op=str(op),
            count=int(number),
            span=span_of(meta),
            concept_text=name_text(name),
        )

    def review(self, meta: Meta, items: list) -> ast.NeedsReview:
        return ast.NeedsReview(text=json.loads(items[0]), span=span_of(meta))

    # --- language v2: doses and treatment courses ------------------------------------------------------------

    def equivalent(self, meta: Meta, items: list) -> ast.Equivalent:
        return ast.Equivalent(name=name_text(items[0]))

    def lasting(self, meta: Meta, items: list) -> ast.Lasting:
        return ast.Lasting(duration=items[0])

    def dose(self, meta: Meta, items: list) -> ast.DoseComparison:
        rest, window = _split_window(items)
        equivalent = next((c.name for c in rest if isinstance(c, ast.Equivalent)), None)
        lasting = next((c.duration for c in rest if isinstance(c, ast.Lasting)), None)
        category, name, op, quantity = (c for c in rest if not isinstance(c, ast.Equivalent | ast.Lasting))
        return ast.DoseComparison(
            category=str(category),
            concept=name_text(name),
            op=str(op),
            quantity=quantity,
            equivalent=equivalent,
            lasting=lasting,
            window=window,
            span=span_of(meta),
            concept_text=name_text(name),
        )

    def course(self, meta: Meta, items: list) -> ast.CourseLength:
        (category, name, lasting), window = _split_window(items)
        return ast.CourseLength(
            category=str(category),
            concept=name_text(name),
            lasting=lasting.duration,
            window=window,
            span=span_of(meta),
            concept_text=name_text(name),
        )

    def trend(self, meta: Meta, items: list) -> ast.Trend:
        rest, window = _split_window(items)
        negated = any(isinstance(c, Token) and c.type == "NEGATION" for c in rest)
        name, change, *amount = (c for c in rest if not (isinstance(c, Token) and c.type == "NEGATION"))
        op, quantity = amount if amount else (None, None)
        return ast.Trend(
            measure=name_text(name),
            change=str(change),
            negated=negated,
            op=None if op is None else str(op),
            amount=quantity,
            window=window,
            span=span_of(meta),
            measure_text=name_text(name),
        )

    def stable_dose(self, meta: Meta, items: list) -> ast.StableDose:
        name, lasting = items
        text = name_text(name)
        return ast.StableDose(concept=text, lasting=lasting.duration, span=span_of(meta), concept_text=text)

    def first_dose(self, meta: Meta, items: list) -> ast.DoseTiming:
        return _dose_timing("first", meta, items)

    def last_dose(self, meta: Meta, items: list) -> ast.DoseTiming:
        return _dose_timing("last", meta, items)


def _dose_timing(which: str, meta: Meta, items: list) -> ast.DoseTiming:
    name, window = items
    text = name_text(name)
    return ast.DoseTiming(which=which, concept=text, window=window, span=span_of(meta), concept_text=text)


def _onset_rule(node_type, meta: Meta, items: list):
    """An ``age at onset`` or ``duration of condition`` node: the first condition named, the others as
    alternatives."""
    (first, *others), op, duration = items
    return node_type(
        concept=first, alternatives=tuple(others), op=str(op), duration=duration, span=span_of(meta), concept_text=first
    )
