"""Rule AST → canonical rule text, the one text form of every node: ``parse_rule(render(rule)) == rule``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from eligibility.lang import ast
from eligibility.lang.dispatch import NodeDispatch
from eligibility.vocab.units import format_number, format_quantity

_NAME = re.compile(r"^(?!(and|or|not|is|x|within|at|more|less|ago|except|if|then|ever)$)[A-Za-z_][A-Za-z0-9_\-]*$")
_KEYWORDS = {"age", "sex", "has", "count", "review", "duration", "first", "last", "stable"}


def name(text: str) -> str:
    """A measure or concept name: bare when it is an identifier, else double-quoted."""
    if _NAME.match(text) and text not in _KEYWORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def duration(value: ast.Duration) -> str:
    """``3 weeks``, ``1 month``."""
    number = format_number(value.value)
    return f"{number} {value.unit}" + ("" if number == "1" else "s")


def quantity(value: ast.Quantity) -> str:
    """``0.5 10^9/L``; time units are written as durations (``12 weeks``)."""
    if value.unit in ast.TIME_UNITS:
        return duration(ast.Duration(value=value.value, unit=value.unit))
    return format_quantity(value.value, value.unit)


def window(value: ast.Window | None) -> str:
    """`` within 3 weeks`` (with a leading space), or nothing."""
    return "" if value is None else " " + ast.WINDOW_WORDING[value.op].format(duration(value.duration))


def result_age(rule: ast.Comparison | ast.RelativeComparison | ast.Qualitative) -> str:
    """`` ever``, `` within 3 weeks`` or nothing: how old a result may be."""
    return " ever" if rule.ever else window(rule.window)


RENDER: NodeDispatch[Callable[[Any], str]] = NodeDispatch("render")


def render(rule: ast.Node) -> str:
    """Canonical text of a rule."""
    return RENDER[type(rule)](rule)


@RENDER.register(ast.Comparison)
def _comparison(rule: ast.Comparison) -> str:
    return f"{name(rule.measure)} {rule.op} {quantity(rule.quantity)}{result_age(rule)}"


@RENDER.register(ast.RelativeComparison)
def _relative_comparison(rule: ast.RelativeComparison) -> str:
    return f"{name(rule.measure)} {rule.op} {format_number(rule.factor)} x {rule.limit}{result_age(rule)}"


@RENDER.register(ast.Qualitative)
def _qualitative(rule: ast.Qualitative) -> str:
    return f"{name(rule.measure)} is {rule.value}{result_age(rule)}"


@RENDER.register(ast.Age)
def _age(rule: ast.Age) -> str:
    return f"age {rule.op} {duration(rule.duration)}"


def conditions(rule: ast.AgeAtOnset | ast.DiseaseDuration) -> str:
    """``multiple_sclerosis``, or ``(a or b)`` for several conditions."""
    if not rule.alternatives:
        return name(rule.concept)
    return "(" + " or ".join(name(c) for c in rule.concepts) + ")"


@RENDER.register(ast.AgeAtOnset)
def _age_at_onset(rule: ast.AgeAtOnset) -> str:
    return f"age at onset of {conditions(rule)} {rule.op} {duration(rule.duration)}"


@RENDER.register(ast.Sex)
def _sex(rule: ast.Sex) -> str:
    return f"sex is {rule.value}"


@RENDER.register(ast.Presence)
def _presence(rule: ast.Presence) -> str:
    active = "active " if rule.active else ""
    excluding = " except " + ", ".join(name(n) for n in rule.excluding) if rule.excluding else ""
    return f"has {active}{rule.category} {name(rule.concept)}{excluding}{window(rule.window)}"


@RENDER.register(ast.Count)
def _count(rule: ast.Count) -> str:
    return f"count {rule.category} {name(rule.concept)}{window(rule.window)} {rule.op} {rule.count}"


@RENDER.register(ast.NeedsReview)
def _needs_review(rule: ast.NeedsReview) -> str:
    return f"review {json.dumps(rule.text, ensure_ascii=False)}"


def _operand(rule: ast.Node) -> str:
    text = render(rule)
    return f"({text})" if isinstance(rule, (ast.AllOf, ast.AnyOf, ast.Implies)) else text


@RENDER.register(ast.AllOf)
def _all_of(rule: ast.AllOf) -> str:
    return " and ".join(_operand(item) for item in rule.items)


@RENDER.register(ast.AnyOf)
def _any_of(rule: ast.AnyOf) -> str:
    return " or ".join(_operand(item) for item in rule.items)


@RENDER.register(ast.Not)
def _not(rule: ast.Not) -> str:
    return f"not {_operand(rule.item)}"


@RENDER.register(ast.Implies)
def _implies(rule: ast.Implies) -> str:
    return f"if {_operand(rule.condition)} then {_operand(rule.then)}"


@RENDER.register(ast.DiseaseDuration)
def _disease_duration(rule: ast.DiseaseDuration) -> str:
    return f"duration of condition {conditions(rule)} {rule.op} {duration(rule.duration)}"


# --- language v2: doses and treatment courses ------------------------------------------------------------


@RENDER.register(ast.DoseComparison)
def _dose(rule: ast.DoseComparison) -> str:
    equivalent = f" as {name(rule.equivalent)}" if rule.equivalent is not None else ""
    threshold = format_quantity(rule.quantity.value, rule.quantity.unit)
    lasting = f" for at least {duration(rule.lasting)}" if rule.lasting is not None else ""
    text = f"has {rule.category} {name(rule.concept)} dose {rule.op} {threshold}{equivalent}{lasting}"
    return text + window(rule.window)


@RENDER.register(ast.DoseTiming)
def _dose_timing(rule: ast.DoseTiming) -> str:
    return f"{rule.which} dose of {name(rule.concept)}{window(rule.window)}"


@RENDER.register(ast.CourseLength)
def _course(rule: ast.CourseLength) -> str:
    return f"has {rule.category} {name(rule.concept)} for at least {duration(rule.lasting)}{window(rule.window)}"


@RENDER.register(ast.Trend)
def _trend(rule: ast.Trend) -> str:
    negation = "not " if rule.negated else ""
    amount = f" by {rule.op} {quantity(rule.amount)}" if rule.amount is not None else ""
    return f"{name(rule.measure)} {negation}{rule.change}{amount}{window(rule.window)}"


@RENDER.register(ast.StableDose)
def _stable_dose(rule: ast.StableDose) -> str:
    return f"stable dose of {name(rule.concept)} for at least {duration(rule.lasting)}"
