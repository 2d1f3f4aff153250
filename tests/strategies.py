"""Hypothesis strategies: measures with the units they can be written in, quantities, rules, patients, dates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache

from hypothesis import strategies as st

from eligibility.lang import ast
from eligibility.lang.render import render
from eligibility.vocab.units import measure_factor
from eligibility.vocab.vocabulary import default_vocabulary

VOCABULARY = default_vocabulary()
AS_OF = date(2026, 11, 1)
OPS = ("<", "<=", ">", ">=", "==", "!=")
CANDIDATE_UNITS = (
    "10^9/L",
    "10^6/L",
    "10^12/L",
    "10^3/uL",
    "cells/uL",
    "/uL",
    "/mm^3",
    "/L",
    "g/L",
    "g/dL",
    "mg/dL",
    "mg/L",
    "ug/L",
    "ng/mL",
    "umol/L",
    "mmol/L",
    "nmol/L",
    "mEq/L",
    "U/L",
    "IU/L",
    "mL/min",
    "mL/min/1.73m^2",
    "%",
    "",
    "mmHg",
    "kPa",
    "mm/h",
    "kg/m^2",
    "ms",
    "s",
    "kg",
    "g",
    "cm",
    "m",
)


@cache
def units_of(measure_id: str) -> tuple[tuple[str, Fraction], ...]:
    """Units a measure can be written in, with each one's exact factor to the measure's canonical unit."""
    measure = VOCABULARY.measures[measure_id]
    found = []
    for unit in CANDIDATE_UNITS:
        factor = measure_factor(unit, measure.unit, measure.molar_mass, measure.valence)
        if factor is not None and factor != 0:
            found.append((unit, factor))
    return tuple(found)


NUMERIC_MEASURES = tuple(
    sorted(
        m.id
        for m in VOCABULARY.measures.values()
        if not m.qualitative and m.unit not in ("hour", "day", "week", "month", "year") and len(units_of(m.id)) >= 1
    )
)
CONVERTIBLE_MEASURES = tuple(m for m in NUMERIC_MEASURES if len(units_of(m)) >= 2)

FEW_MEASURES = ("alc", "creatinine", "alt")
measures = st.sampled_from(NUMERIC_MEASURES)
ops = st.sampled_from(OPS)
# Canonical values: decimals with at most 3 places, so a boundary written in any unit stays exact.
canonical_values = st.integers(min_value=0, max_value=200_000).map(lambda n: Decimal(n).scaleb(-3))
dates = st.dates(min_value=date(1930, 1, 1), max_value=AS_OF)


@st.composite
def expressed(draw, measure_id: str, canonical: Decimal) -> tuple[Decimal, str] | None:
    """``canonical`` (in the measure's unit) written exactly in another unit, or None when it cannot be."""
    unit, factor = draw(st.sampled_from(units_of(measure_id)))
    value = exact_decimal(Fraction(canonical) / factor)
    return None if value is None else (value, unit)


def exact_decimal(number: Fraction) -> Decimal | None:
    """``number`` as a Decimal when its decimal expansion terminates (denominator 2^a·5^b), else None."""
    denominator = number.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return None
    return Decimal(number.numerator) / Decimal(number.denominator)


def leaves(few: bool = False) -> st.SearchStrategy[ast.Node]:
    """Rule leaves of every kind, over the bundled vocabulary (``few``: over a handful of measures and
    concepts, so that rules often share them)."""
    measures = st.sampled_from(FEW_MEASURES) if few else globals()["measures"]
    conditions = sorted(c.id for c in VOCABULARY.concepts.values() if c.category == "condition")[:40]
    conditions = conditions[:3] if few else conditions
    events = sorted(c.id for c in VOCABULARY.concepts.values() if c.category == "event")
    durations = st.builds(
        lambda v, u: ast.Duration(value=Decimal(v), unit=u),
        st.integers(1, 36),
        st.sampled_from(["day", "week", "month", "year"]),
    )
    windows = st.none() | st.builds(
        lambda op, d: ast.Window(op=op, duration=d), st.sampled_from(["<", "<=", ">", ">="]), durations
    )

    @st.composite
    def comparison(draw):
        measure = draw(measures)
        unit, _ = draw(st.sampled_from(units_of(measure)))
        value = draw(canonical_values)
        quantity = ast.Quantity(value=value, unit=unit)
        return ast.Comparison(measure=measure, op=draw(ops), quantity=quantity, ever=draw(st.booleans()))

    return st.one_of(
        comparison(),
        st.builds(
            lambda m, op, k, limit: ast.RelativeComparison(measure=m, op=op, factor=Decimal(k), limit=limit),
            measures,
            ops,
            st.integers(1, 10),
            st.sampled_from(["ULN", "LLN"]),
        ),
        st.builds(
            lambda op, d: ast.Age(op=op, duration=d),
            ops,
            st.builds(lambda v: ast.Duration(value=Decimal(v), unit="year"), st.integers(0, 99)),
        ),
        st.builds(lambda v: ast.Sex(value=v), st.sampled_from(["female", "male"])),
        st.builds(
            lambda c, active, w: ast.Presence(category="condition", concept=c, active=active, window=w),
            st.sampled_from(conditions),
            st.booleans(),
            windows,
        ),
        st.builds(
            lambda e, w, op, n: ast.Count(category="event", concept=e, window=w, op=op, count=n),
            st.sampled_from(events),
            windows,
            st.sampled_from(["<", "<=", ">", ">=", "=="]),
            st.integers(0, 4),
        ),
        st.builds(lambda t: ast.NeedsReview(text=t), st.text(min_size=1, max_size=20)),
        # language v2: doses and treatment courses
        st.builds(
            lambda c, op, q, e, w: ast.DoseComparison(concept=c, op=op, quantity=q, equivalent=e, window=w),
            st.sampled_from(DOSE_DRUGS),
            ops,
            st.builds(
                lambda v, u: ast.Quantity(value=Decimal(v), unit=u),
                st.sampled_from(["0.5", "20", "500"]),
                st.sampled_from(["mg/day", "g/day", "mg/week", "mg/kg/day"]),
            ),
            st.sampled_from([None, "prednisone"]),
            windows,
        ),
        st.builds(
            lambda which, c, w: ast.DoseTiming(which=which, concept=c, window=w),
            st.sampled_from(["first", "last"]),
            st.sampled_from(DOSE_DRUGS),
            windows.filter(lambda w: w is not None),
        ),
        st.builds(
            lambda c, n, w: ast.CourseLength(concept=c, lasting=ast.Duration(value=Decimal(n[0]), unit=n[1]), window=w),
            st.sampled_from(DOSE_DRUGS),
            st.sampled_from([(3, "day"), (2, "week"), (6, "month"), (1, "year")]),
            windows,
        ),
        st.builds(
            lambda m, change, negated, amount, d: ast.Trend(
                measure=m,
                change=change,
                negated=negated,
                op=None if amount is None else ">=",
                amount=None if amount is None else ast.Quantity(value=Decimal(amount), unit=""),
                window=ast.Window(op="<=", duration=d),
            ),
            st.sampled_from(["mrs", "edss", "gcs"]),
            st.sampled_from(["improved", "worsened"]),
            st.booleans(),
            st.sampled_from([None, "1", "0.5"]),
            durations,
        ),
        st.builds(
            lambda c, n: ast.StableDose(concept=c, lasting=ast.Duration(value=Decimal(n[0]), unit=n[1])),
            st.sampled_from(DOSE_DRUGS),
            st.sampled_from([(3, "day"), (4, "week"), (1, "month")]),
        ),
    )


DOSE_DRUGS = ("systemic_corticosteroid", "prednisone", "rituximab")


def rules(max_leaves: int = 8, few: bool = False) -> st.SearchStrategy[ast.Node]:
    """Rules: leaves joined by all-of / any-of / not."""
    return st.recursive(
        leaves(few),
        lambda children: st.one_of(
            st.builds(lambda items: ast.AllOf(items=tuple(items)), st.lists(children, min_size=2, max_size=3)),
            st.builds(lambda items: ast.AnyOf(items=tuple(items)), st.lists(children, min_size=2, max_size=3)),
            st.builds(lambda item: ast.Not(item=item), children),
            st.builds(lambda a, b: ast.Implies(condition=a, then=b), children, children),
        ),
        max_leaves=max_leaves,
    )


@st.composite
def patients(draw, few: bool = False) -> dict:
    """Patients in the JSON contract, with values for some measures and some condition and event records."""
    measures_present = draw(
        st.lists(st.sampled_from(FEW_MEASURES if few else NUMERIC_MEASURES), max_size=6, unique=True)
    )
    observations = []
    for measure in measures_present:
        value = draw(canonical_values)
        unit = VOCABULARY.measures[measure].unit
        observations.append(
            {
                "code": measure,
                "value": str(value),
                "unit": unit,
                "date": str(AS_OF - timedelta(days=draw(st.integers(0, 60)))),
                "high": str(draw(st.integers(1, 500))),
            }
        )
    conditions = [
        {"code": c, "status": draw(st.sampled_from(["active", "resolved"])), "onset": str(draw(dates))}
        for c in draw(
            st.lists(
                st.sampled_from(
                    sorted(c.id for c in VOCABULARY.concepts.values() if c.category == "condition")[: 3 if few else 40]
                ),
                max_size=3,
                unique=True,
            )
        )
    ]
    events = [{"code": "relapse", "date": str(draw(dates))} for _ in range(draw(st.integers(0, 3)))]
    patient = {
        "id": "P",
        "sex": draw(st.sampled_from(["female", "male", None])),
        "observations": observations,
        "conditions": conditions,
        "events": events,
    }
    if draw(st.booleans()):
        patient["birth_date"] = str(draw(st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 1, 1))))
    return {k: v for k, v in patient.items() if v is not None}


texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=120)
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,11}", fullmatch=True)


@st.composite
def trial_files(draw) -> dict:
    """Rule-file data: population, settings, reference ranges, cohorts and criteria with and without rules."""
    cohorts = draw(st.lists(st.tuples(ids, texts), max_size=3, unique_by=lambda c: c[0]))
    criteria = []
    for number, kind in enumerate(draw(st.lists(st.sampled_from(["inclusion", "exclusion"]), min_size=1, max_size=6))):
        criterion = {"id": f"C{number}", "kind": kind, "text": draw(texts)}
        if draw(st.booleans()):
            criterion["rule"] = render(draw(rules(4)))
        if cohorts and draw(st.booleans()):
            criterion["cohort"] = draw(st.sampled_from(cohorts))[0]
        for key in ("alt_text", "note"):
            if draw(st.booleans()):
                criterion[key] = draw(texts)
        criteria.append(criterion)
    data = {
        "id": draw(ids),
        "title": draw(st.none() | texts),
        "population": {
            "min_age": f"{draw(st.integers(0, 40))} years",
            "sex": draw(st.sampled_from(["all", "female", "male"])),
        },
        "lab_recency": draw(st.none() | st.sampled_from(["30 days", "6 weeks", "3 months"])),
        "reference_ranges": {
            m: {"high": f"{draw(canonical_values)} {VOCABULARY.measures[m].unit}".strip()}
            for m in draw(st.lists(measures, max_size=3, unique=True))
        },
        "cohorts": [{"id": i, "name": n} for i, n in cohorts],
        "criteria": criteria,
    }
    return {k: v for k, v in data.items() if v is not None}
