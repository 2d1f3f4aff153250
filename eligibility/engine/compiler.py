"""Resolved rules → evaluation plans: measures looked up and thresholds converted to each measure's canonical
unit once, so evaluation does no parsing, no name lookup and no unit-registry work.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from eligibility.lang import ast
from eligibility.vocab.units import measure_factor
from eligibility.vocab.vocabulary import MeasureDef, Vocabulary


@dataclass(frozen=True, slots=True)
class Plan:
    """A rule node ready for evaluation: its measure and canonical threshold, and its children's plans."""

    node: ast.Node
    children: tuple[Plan, ...] = ()
    measure: MeasureDef | None = None
    threshold: Fraction | None = None
    names: dict[str, str] | None = None


def compile_rule(rule: ast.Node, vocabulary: Vocabulary, shared: dict | None = None) -> Plan:
    """The plan of a resolved rule (see :func:`eligibility.resolve.resolve_rule`).

    With ``shared`` (a dict kept across calls), equal rules and sub-rules get the same plan object, so a
    screener can evaluate a rule used by many trials once per patient.
    """
    if shared is None:
        return _compile(rule, vocabulary, None)
    plan = shared.get(rule)
    if plan is None:
        plan = shared[rule] = _compile(rule, vocabulary, shared)
    return plan


def _compile(rule: ast.Node, vocabulary: Vocabulary, shared: dict | None) -> Plan:
    if isinstance(rule, (ast.AllOf, ast.AnyOf)):
        return Plan(rule, tuple(compile_rule(item, vocabulary, shared) for item in rule.items))
    if isinstance(rule, ast.Not):
        return Plan(rule, (compile_rule(rule.item, vocabulary, shared),))
    if isinstance(rule, (ast.Comparison, ast.RelativeComparison, ast.Qualitative)):
        measure = vocabulary.measure(rule.measure)
        threshold = None
        if isinstance(rule, ast.Comparison) and measure is not None:
            factor = measure_factor(rule.quantity.unit, measure.unit, measure.molar_mass, measure.valence)
            threshold = None if factor is None else Fraction(rule.quantity.value) * factor
        return Plan(rule, measure=measure, threshold=threshold)
    if isinstance(rule, (ast.Presence, ast.Count, ast.AgeAtOnset)):
        ids = (rule.concept, *getattr(rule, "excluding", ()))
        return Plan(rule, names={i: _concept_name(i, vocabulary) for i in ids})
    return Plan(rule)


def _concept_name(concept_id: str, vocabulary: Vocabulary) -> str:
    concept = vocabulary.concepts.get(concept_id)
    return concept.name if concept else concept_id
