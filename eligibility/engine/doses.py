"""Evaluation of dose nodes (``has medication prednisone dose >= 20 mg/day as prednisone within 4 weeks``).

A record counts when it matches the drug and the window as for ``has medication`` (see the evaluator). Its dose
is then expressed in the rule's basis and drug:

- basis: a ``mg/kg/day`` dose against a ``mg/day`` threshold is multiplied by the body weight, a ``mg/day`` dose
  against a ``mg/kg/day`` threshold divided by it (the newest weight in the lab recency window); no usable weight
  leaves the dose unknown;
- drug: with ``as <drug>``, the dose is multiplied by the equivalence ratio (``data/equivalents.yaml``); a drug the
  table does not list leaves the dose unknown.

With ``for at least N days``, a record counts only when its course lasted that long (days taken, first and last
included; an ongoing one up to the reference date; one ended on a day not known is unknown unless every end
agrees).

Truth: true when some counted record's dose satisfies the comparison; otherwise unknown (``no_dose``) when some
counted record's dose (or length) is unknown; otherwise as ``has medication`` when nothing is counted (negated,
complete, undated, missing); otherwise false only when medications are complete and no undated record could count.
"""

from __future__ import annotations

import operator
from datetime import date
from fractions import Fraction
from typing import cast

from eligibility.engine.compiler import Plan
from eligibility.engine.findings import DoseEvidence, Finding, Reason
from eligibility.engine.truth import FALSE, TRUE, UNKNOWN
from eligibility.lang import ast
from eligibility.lang.resolve import course_days
from eligibility.patient.index import Occurrence, PatientIndex, Reading
from eligibility.vocab.doses import DAILY, dose_basis, equivalence_ratio

Weight = Reading | None


def rule_basis(node: ast.DoseComparison) -> str:
    """The basis of the rule's threshold (``mg/day`` or ``mg/kg/day``)."""
    found = dose_basis(node.quantity.unit)
    assert found is not None  # compiled rules with no basis have no threshold and never get here
    return found[0]


def usable_weight(weight: Weight) -> Fraction | None:
    """The body weight in kg, when a reading is usable (a positive number)."""
    if weight is None or not isinstance(weight.value, Fraction) or weight.value <= 0:
        return None
    return weight.value


def dose_in_rule_terms(occurrence: Occurrence, node: ast.DoseComparison, basis: str, weight: Weight) -> Fraction | None:
    """The record's dose in the rule's basis and drug; ``None`` when its dose, weight or equivalent is unknown."""
    dose = occurrence.dose
    if dose is None:
        return None
    value = dose.value
    if node.equivalent is not None:
        ratio = equivalence_ratio(occurrence.concept_ancestors, node.equivalent)
        if ratio is None:
            return None
        value *= ratio
    if dose.basis != basis:
        kilograms = usable_weight(weight)
        if kilograms is None:
            return None
        value = value / kilograms if basis != DAILY else value * kilograms
    return value


def lasted(occurrence: Occurrence, as_of: date, days: int | None) -> bool | None:
    """Whether a record's course lasted at least ``days`` days (first and last day included; ``None``: any
    length): its end, the reference date while ongoing, any day from its start when it ended on a day not known."""
    if days is None:
        return True
    if occurrence.start is None:
        return None
    if occurrence.end is not None:
        shortest = longest = min(occurrence.end, as_of)
    else:
        longest = as_of
        shortest = as_of if occurrence.status == "active" else occurrence.start
    if (shortest - occurrence.start).days + 1 >= days:
        return True
    return False if (longest - occurrence.start).days + 1 < days else None


def _counts(dose_holds: bool | None, long_enough: bool | None) -> bool | None:
    """Kleene conjunction of the dose and the course length of one record."""
    if dose_holds is False or long_enough is False:
        return False
    return None if dose_holds is None or long_enough is None else True


def dose_finding(
    plan: Plan,
    hits: list[Occurrence],
    undated: bool,
    negated: bool,
    patient: PatientIndex,
    weight: Weight,
    as_of: date,
) -> Finding:
    """The finding of a dose node from the records that match its drug and window (see the module)."""
    node = cast(ast.DoseComparison, plan.node)
    if plan.threshold is None:
        return Finding(UNKNOWN, plan, Reason.UNRESOLVED)
    basis, threshold = rule_basis(node), plan.threshold
    days = None if node.lasting is None else course_days(node.lasting)
    doses = tuple((occurrence, dose_in_rule_terms(occurrence, node, basis, weight)) for occurrence in hits)
    counted = [_counts(None if v is None else _holds(node.op, v, threshold), lasted(o, as_of, days)) for o, v in doses]
    weight_missing = any(
        o.dose is not None and o.dose.basis != basis and value is None and usable_weight(weight) is None
        for o, value in doses
    )
    used = weight if any(o.dose is not None and o.dose.basis != basis for o, _ in doses) else None
    met = tuple(dose for dose, counts in zip(doses, counted, strict=True) if counts is True)
    if met:
        return Finding(TRUE, plan, Reason.DECIDED, DoseEvidence(met, used))
    if not hits and negated:
        return Finding(FALSE, plan, Reason.NEGATED)
    unknown = tuple(dose for dose, counts in zip(doses, counted, strict=True) if counts is None)
    if unknown:
        return Finding(UNKNOWN, plan, Reason.NO_DOSE, DoseEvidence(unknown, used, weight_missing))
    evidence = DoseEvidence(doses, used) if doses else None
    if "medication" in patient.complete and not undated:
        return Finding(FALSE, plan, Reason.COMPLETE, evidence)
    return Finding(UNKNOWN, plan, Reason.UNDATED if undated else Reason.MISSING, evidence)


_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}


def _holds(op: str, value: Fraction, threshold: Fraction) -> bool:
    return _OPS[op](value, threshold)
