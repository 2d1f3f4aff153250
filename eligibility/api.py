"""Small conveniences for embedding the library: one rule against one patient, without a trial file."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from eligibility.engine.compiler import compile_rule
from eligibility.engine.context import DEFAULT_LAB_RECENCY, EvaluationContext, ReferenceRange
from eligibility.engine.evaluator import evaluate
from eligibility.engine.findings import Finding
from eligibility.errors import ErrorGroup
from eligibility.lang import ast
from eligibility.lang.parsing import parse_rule
from eligibility.lang.resolve import resolve_rule
from eligibility.patient.contract import Patient, PatientSource, validate_patient
from eligibility.patient.index import index_patient
from eligibility.vocab.vocabulary import Vocabulary, default_vocabulary


def prepare_rule(rule: str | ast.Node, vocabulary: Vocabulary | None = None) -> ast.Node:
    """Parse (if text) and resolve a rule; :class:`ErrorGroup` listing every problem if it is unsound."""
    vocabulary = vocabulary or default_vocabulary()
    node = parse_rule(rule) if isinstance(rule, str) else rule
    resolved, problems = resolve_rule(node, vocabulary)
    if problems:
        raise ErrorGroup(problems, f"{len(problems)} problem(s) in the rule")
    return resolved


def evaluate_rule(
    rule: str | ast.Node,
    patient: Patient | Mapping,
    as_of: date,
    vocabulary: Vocabulary | None = None,
    lab_recency: ast.Duration = DEFAULT_LAB_RECENCY,
    reference_ranges: Mapping[str, ReferenceRange] | None = None,
) -> Finding:
    """The finding of one rule for one patient on ``as_of``; :class:`EligibilityError` for a bad rule or patient."""
    vocabulary = vocabulary or default_vocabulary()
    person = patient if isinstance(patient, Patient) else validate_patient(patient, PatientSource("patient"))
    plan = compile_rule(prepare_rule(rule, vocabulary), vocabulary)
    context = EvaluationContext(as_of, vocabulary, lab_recency, reference_ranges or {})
    return evaluate(plan, index_patient(person, vocabulary, as_of), context)
