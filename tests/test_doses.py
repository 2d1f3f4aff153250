"""Laws of dose rules: the unit a dose or a threshold is written in never changes a finding (g/day, mg/day,
ug/hour, mg/week), and neither does writing a glucocorticoid dose as an equivalent dose of another one."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from eligibility.engine.compiler import compile_rule
from eligibility.engine.context import EvaluationContext
from eligibility.engine.evaluator import evaluate
from eligibility.lang import ast
from eligibility.patient.contract import Patient
from eligibility.patient.index import index_patient
from eligibility.vocab.doses import equivalence_groups

from strategies import AS_OF, OPS, VOCABULARY, exact_decimal

# mass unit and period → mg/day per unit written
WRITINGS = {
    ("mg", "day"): Fraction(1),
    ("g", "day"): Fraction(1000),
    ("ug", "hour"): Fraction(24, 1000),
    ("mg", "week"): Fraction(1, 7),
    ("g", "week"): Fraction(1000, 7),
}
AMOUNTS = tuple(Fraction(n) for n in (5, 10, 16, 20, 35, 140, 500, 1000))  # mg/day


def written(amount: Fraction, unit: str, per: str) -> dict | None:
    """``amount`` mg/day as a contract dose in ``unit`` per ``per`` (``None`` when not an exact decimal)."""
    value = exact_decimal(amount / WRITINGS[(unit, per)])
    return None if value is None else {"value": str(value), "unit": unit, "per": per}


def threshold(amount: Fraction, unit: str, per: str) -> ast.Quantity | None:
    value = exact_decimal(amount / WRITINGS[(unit, per)])
    return None if value is None else ast.Quantity(value=value, unit=f"{unit}/{per}")


def finding(rule: ast.DoseComparison, medications: list[dict], complete: bool) -> tuple:
    person = Patient.model_validate(
        {"id": "P", "medications": medications, "complete": ["medications"] if complete else []}
    )
    found = evaluate(
        compile_rule(rule, VOCABULARY), index_patient(person, VOCABULARY, AS_OF), EvaluationContext(AS_OF, VOCABULARY)
    )
    return found.truth, found.reason


writings = st.sampled_from(sorted(WRITINGS))


@given(
    st.sampled_from(AMOUNTS),
    st.sampled_from(AMOUNTS),
    writings,
    writings,
    st.sampled_from(OPS),
    st.booleans(),
)
def test_the_unit_of_a_dose_or_threshold_never_changes_the_finding(dose, limit, dose_unit, limit_unit, op, complete):
    canonical_rule = ast.DoseComparison(concept="prednisone", op=op, quantity=threshold(limit, "mg", "day"))
    canonical = finding(
        canonical_rule, [{"code": "prednisone", "start": "2026-10-01", "dose": written(dose, "mg", "day")}], complete
    )
    record = written(dose, *dose_unit)
    quantity = threshold(limit, *limit_unit)
    if record is None or quantity is None:
        return
    rule = canonical_rule.model_copy(update={"quantity": quantity})
    assert finding(rule, [{"code": "prednisone", "start": "2026-10-01", "dose": record}], complete) == canonical


@given(
    st.sampled_from(AMOUNTS),
    st.sampled_from(sorted(equivalence_groups()["glucocorticoid"])),
    st.sampled_from(AMOUNTS),
    st.sampled_from(OPS),
)
def test_an_equivalent_dose_of_another_glucocorticoid_gives_the_same_finding(prednisone, drug, limit, op):
    doses = equivalence_groups()["glucocorticoid"]
    amount = exact_decimal(prednisone * doses[drug] / doses["prednisone"])
    if amount is None:
        return
    rule = ast.DoseComparison(
        concept="systemic_corticosteroid", op=op, quantity=threshold(limit, "mg", "day"), equivalent="prednisone"
    )
    code = "systemic_triamcinolone" if drug == "triamcinolone" else drug  # plain triamcinolone is not systemic
    as_prednisone = [{"code": "prednisone", "start": "2026-10-01", "dose": {"value": str(prednisone), "unit": "mg"}}]
    as_drug = [{"code": code, "start": "2026-10-01", "dose": {"value": str(amount), "unit": "mg"}}]
    assert finding(rule, as_drug, True) == finding(rule, as_prednisone, True)


def test_a_dose_that_is_not_a_mass_is_reported_and_left_unknown():
    person = Patient.model_validate(
        {
            "id": "P",
            "medications": [{"code": "rituximab", "start": "2026-10-01", "dose": {"value": 375, "unit": "mg/m2"}}],
        }
    )
    index = index_patient(person, VOCABULARY, AS_OF)
    assert index.warnings == [
        "medications[0] (rituximab): dose 375 mg/m2/day is neither a mass nor a mass per kg of body weight per time; "
        "dose not used"
    ]
    rule = ast.DoseComparison(concept="rituximab", op=">=", quantity=ast.Quantity(value=Decimal(1), unit="mg/day"))
    assert finding(rule, list(person.model_dump(mode="json")["medications"]), True)[1] == "no_dose"


def _request(dosage: list) -> dict:
    return {"resourceType": "MedicationRequest", "dosageInstruction": dosage}


def _dosage(value, unit, frequency, period, period_unit, **extra) -> dict:
    repeat = {"frequency": frequency, "period": period, "periodUnit": period_unit, **extra}
    quantity = {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
    return {"timing": {"repeat": repeat}, "doseAndRate": [{"doseQuantity": quantity}]}


def test_fhir_dosage_is_read_only_where_it_is_clear_cut():
    from eligibility.patient.fhir_doses import read_dose

    assert read_dose(_request([_dosage(10, "mg", 2, 1, "d")])) == (
        {"value": Decimal(20), "unit": "mg", "per": "day"},
        None,
    )
    assert read_dose(_request([_dosage(40, "mg", 1, 2, "d")]))[0] == {"value": Decimal(20), "unit": "mg", "per": "day"}
    assert read_dose(_request([_dosage(3, "mg/kg", 1, 1, "wk")]))[0] == {"value": 3, "unit": "mg/kg", "per": "week"}
    unclear = {
        "every 3 days is no exact decimal per day": [_dosage(10, "mg", 1, 3, "d")],
        "several dosages": [_dosage(10, "mg", 1, 1, "d"), _dosage(5, "mg", 1, 1, "d")],
        "as needed": [{**_dosage(10, "mg", 1, 1, "d"), "asNeededBoolean": True}],
        "a maximum frequency": [_dosage(10, "mg", 1, 1, "d", frequencyMax=3)],
        "a tablet": [_dosage(1, "{tbl}", 1, 1, "d")],
        "per month": [_dosage(10, "mg", 1, 1, "mo")],
    }
    for name, dosage in unclear.items():
        dose, why = read_dose(_request(dosage))
        assert dose is None and why and why.endswith("dose not read"), name
    assert read_dose({"resourceType": "MedicationRequest"}) == (None, None)
