"""Hypothesis strategies for the SQL differential law: rules of every node type over a small shared vocabulary
slice (so rules and patients meet), and patients at the edges (boundary values in other units, dates on window
edges and in the future, 29 February births, only an age, missing ranges, undated records, negations, complete
categories, partial birth dates, medications ended on a day not known)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import strategies as st

from eligibility.engine.context import ReferenceRange
from eligibility.lang import ast

from strategies import AS_OF, OPS, VOCABULARY, exact_decimal, units_of

MEASURES = ("alc", "creatinine", "alt")
QUALITATIVE = ("hbsag", "aqp4_igg")  # aqp4_igg is a lifetime test (valid_for: ever)
VALUES = tuple(Decimal(v) for v in ("0.5", "1", "1.5", "2.5", "40", "88.4", "100", "120"))
CONCEPTS = {
    "condition": ("malignancy", "solid_tumor", "breast_cancer", "infection", "viral_infection", "sle"),
    "medication": (
        "immunosuppressant",
        "azathioprine",
        "methotrexate",
        "rituximab",
        *("prednisone", "methylprednisolone"),
    ),
    "event": ("relapse",),
    "immunization": ("live_vaccine", "bcg_vaccine", "vaccine"),
}
CATEGORY_FIELD = {
    "condition": "conditions",
    "medication": "medications",
    "event": "events",
    "immunization": "immunizations",
}
EDGE_DAYS = (0, 1, 6, 7, 8, 13, 14, 20, 21, 22, 27, 28, 29, 30, 31, 32, 59, 60, 61, 89, 90, 91, 92, 182, 365, 366, 730)
BIRTHS = (
    date(2000, 2, 29),
    date(1996, 2, 29),
    date(1980, 11, 1),
    date(1980, 11, 2),
    date(1980, 10, 31),
    date(2008, 11, 1),
)

AGE_YEARS = (0, 17, 18, 25, 26, 45, 46, 60)  # the thresholds of age rules
REFERENCE_DATES = (AS_OF, date(2025, 3, 1))  # the reference dates the law screens on


def _duration(value, unit: str) -> ast.Duration:
    return ast.Duration(value=Decimal(value), unit=unit)


durations = st.one_of(
    st.builds(_duration, st.integers(1, 13), st.sampled_from(["day", "week", "month", "year"])),
    st.builds(_duration, st.sampled_from(["36", "48", "12", "1.5"]), st.sampled_from(["hour", "day", "month"])),
)
bounded_windows = st.builds(
    lambda op, d: ast.Window(op=op, duration=d), st.sampled_from(["<", "<=", ">", ">="]), durations
)
windows = st.none() | bounded_windows
# How old a result may be: the default (the measure's validity or the recency window), a window, or ever.
result_ages = st.one_of(
    st.just({"window": None}), bounded_windows.map(lambda w: {"window": w}), st.just({"window": None, "ever": True})
)


def _written(measure: str, canonical: Decimal, draw) -> ast.Quantity:
    """``canonical`` written exactly in some unit of ``measure`` (the canonical unit when no other is exact)."""
    unit, factor = draw(st.sampled_from(units_of(measure)))
    value = exact_decimal(Fraction(canonical) / factor)
    if value is None:
        return ast.Quantity(value=canonical, unit=VOCABULARY.measures[measure].unit)
    return ast.Quantity(value=value, unit=unit)


@st.composite
def comparisons(draw) -> ast.Comparison:
    """A lab comparison on a boundary value written in any unit."""
    measure = draw(st.sampled_from(MEASURES))
    quantity = _written(measure, draw(st.sampled_from(VALUES)), draw)
    return ast.Comparison(measure=measure, op=draw(st.sampled_from(OPS)), quantity=quantity, **draw(result_ages))


def _history(category: str, concept: str, active: bool, excluding: tuple, window) -> ast.Presence:
    return ast.Presence(category=category, concept=concept, active=active, excluding=excluding, window=window)


@st.composite
def presences(draw) -> ast.Presence:
    """``has [active] <category> <concept> [except …] [window]`` over a concept hierarchy slice."""
    category = draw(st.sampled_from(sorted(CONCEPTS)))
    concept = draw(st.sampled_from(CONCEPTS[category]))
    excluding = tuple(draw(st.lists(st.sampled_from(CONCEPTS[category]), max_size=2, unique=True)))
    active = category == "condition" and draw(st.booleans())
    return _history(category, concept, active, tuple(e for e in excluding if e != concept), draw(windows))


# One condition or several ("age at onset of (a or b)"), over a hierarchy slice where some overlap.
condition_sets = st.lists(st.sampled_from(CONCEPTS["condition"]), min_size=1, max_size=3, unique=True).map(tuple)


def leaves() -> st.SearchStrategy[ast.Node]:
    """Leaves of every kind."""
    years = st.builds(_duration, st.sampled_from(AGE_YEARS), st.just("year"))
    ages = years | st.builds(_duration, st.sampled_from([6, 216, 312]), st.just("month"))
    return st.one_of(
        comparisons(),
        st.builds(
            lambda m, op, k, limit, w: ast.RelativeComparison(measure=m, op=op, factor=k, limit=limit, **w),
            st.sampled_from(MEASURES),
            st.sampled_from(OPS),
            st.sampled_from([Decimal(1), Decimal("1.5"), Decimal(3)]),
            st.sampled_from(["ULN", "LLN"]),
            result_ages,
        ),
        st.builds(
            lambda m, v, w: ast.Qualitative(measure=m, value=v, **w),
            st.sampled_from(QUALITATIVE),
            st.sampled_from(["positive", "negative"]),
            result_ages,
        ),
        st.builds(lambda op, d: ast.Age(op=op, duration=d), st.sampled_from(OPS), ages),
        st.builds(
            lambda c, op, d: ast.AgeAtOnset(concept=c[0], alternatives=c[1:], op=op, duration=d),
            condition_sets,
            st.sampled_from(OPS),
            years,
        ),
        st.builds(
            lambda c, op, d: ast.DiseaseDuration(concept=c[0], alternatives=c[1:], op=op, duration=d),
            condition_sets,
            st.sampled_from(OPS),
            st.builds(
                _duration, st.sampled_from([0, 1, 2, 5, 10, 24, 60]), st.sampled_from(["day", "week", "month", "year"])
            ),
        ),
        st.builds(lambda v: ast.Sex(value=v), st.sampled_from(["female", "male"])),
        presences(),
        st.builds(  # a medication in a window: spans, ongoing ones, and ones ended on a day not known
            lambda c, w: _history("medication", c, False, (), w),
            st.sampled_from(CONCEPTS["medication"]),
            bounded_windows,
        ),
        st.builds(
            lambda cat, c, w, op, n: ast.Count(category=cat, concept=c, window=w, op=op, count=n),
            st.sampled_from(["event", "medication"]),
            st.sampled_from(["relapse", "immunosuppressant", "methotrexate"]),
            windows,
            st.sampled_from(OPS),
            st.integers(0, 3),
        ),
        st.builds(lambda t: ast.NeedsReview(text=t), st.sampled_from(["ecg", "judgement"])),
        doses(),
        st.builds(  # a course length without a dose: whole days, weeks, calendar months and years
            lambda c, n, w: ast.CourseLength(concept=c, lasting=n, window=w),
            st.sampled_from(CONCEPTS["medication"]),
            st.sampled_from(COURSE_LENGTHS),
            windows,
        ),
        trends(),
        st.builds(  # one dose throughout the window: over records with and without doses, in any unit
            lambda c, n: ast.StableDose(concept=c, lasting=n),
            st.sampled_from((*CONCEPTS["medication"], "systemic_corticosteroid")),
            st.sampled_from((*COURSE_LENGTHS[:4], _duration(4, "week"))),
        ),
        st.builds(
            lambda which, concept, window: ast.DoseTiming(which=which, concept=concept, window=window),
            st.sampled_from(["first", "last"]),
            st.sampled_from(CONCEPTS["medication"]),
            bounded_windows,
        ),
    )


# --- language v2: doses and treatment courses ------------------------------------------------------------

COURSE_LENGTHS = tuple(
    _duration(n, unit) for n, unit in ((3, "day"), (1, "week"), (31, "day"), (1, "month"), (6, "month"), (1, "year"))
)
DOSE_DRUGS = ("systemic_corticosteroid", "prednisone", "methylprednisolone", "immunosuppressant")
# (value, unit) of record doses and rule thresholds: the same amounts in other units, weight-based ones, and
# units that are not doses (a record's dose then stays unknown).
RECORD_DOSES = (("20", "mg"), ("0.02", "g"), ("16", "mg"), ("140", "mg"), ("0.5", "mg/kg"), ("1", "IU"))
THRESHOLDS = (("20", "mg/day"), ("0.02", "g/day"), ("140", "mg/week"), ("16", "mg/day"), ("0.25", "mg/kg/day"))


@st.composite
def doses(draw) -> ast.DoseComparison:
    """``has medication <drug> dose <op> <threshold> [as <drug>] [window]``."""
    value, unit = draw(st.sampled_from(THRESHOLDS))
    return ast.DoseComparison(
        concept=draw(st.sampled_from(DOSE_DRUGS)),
        op=draw(st.sampled_from(OPS)),
        quantity=ast.Quantity(value=Decimal(value), unit=unit),
        equivalent=draw(st.sampled_from([None, "prednisone", "dexamethasone"])),
        window=draw(windows),
        lasting=draw(st.sampled_from([None, None, _duration(3, "day"), _duration(1, "week"), _duration(31, "day")])),
    )


def record_doses() -> st.SearchStrategy[dict]:
    """A medication record's dose, per day, week or hour."""
    return st.builds(
        lambda amount, per: {"value": amount[0], "unit": amount[1], "per": per},
        st.sampled_from(RECORD_DOSES),
        st.sampled_from(["day", "day", "week", "hour"]),
    )


def weights() -> st.SearchStrategy[dict]:
    """A body weight (zero is unusable) on an edge day."""
    return st.builds(
        lambda value, days: {"code": "weight", "value": value, "unit": "kg", "date": str(AS_OF - timedelta(days))},
        st.sampled_from(["0", "40", "80", "62.5"]),
        st.sampled_from(EDGE_DAYS),
    )


# --- language v2: trends ----------------------------------------------------------------------------------

# Scores and results of a measure with a direction of improvement (mRS: lower is better; LVEF: higher), and one
# without (alc: its trends are unresolved); amounts in each measure's unit.
TREND_AMOUNTS = {"mrs": (("1", ""), ("0.5", "")), "lvef": (("10", "%"), ("5", "%")), "alc": (("1", "10^9/L"),)}
TREND_VALUES = {"mrs": ("0", "2", "2.5", "3", "4", "6"), "lvef": ("35", "40", "45", "50", "55")}


@st.composite
def trends(draw) -> ast.Trend:
    """``<measure> [not] improved|worsened [by >= amount] within <duration>``."""
    measure = draw(st.sampled_from(sorted(TREND_AMOUNTS)))
    amount = draw(st.none() | st.sampled_from(TREND_AMOUNTS[measure]))
    return ast.Trend(
        measure=measure,
        change=draw(st.sampled_from(["improved", "worsened"])),
        negated=draw(st.booleans()),
        op=None if amount is None else draw(st.sampled_from([">=", ">"])),
        amount=None if amount is None else ast.Quantity(value=Decimal(amount[0]), unit=amount[1]),
        window=ast.Window(op="<=", duration=draw(durations)),
    )


def score_readings() -> st.SearchStrategy[dict]:
    """A result of a measure with a direction of improvement, on an edge day (some on the same day)."""
    return st.sampled_from(sorted(TREND_VALUES)).flatmap(
        lambda measure: st.builds(
            lambda value, days: {
                "code": measure,
                "value": value,
                "unit": "%" if measure == "lvef" else "",
                "date": days,
            },
            st.sampled_from(TREND_VALUES[measure]),
            st.sampled_from(EDGE_DAYS).map(lambda d: str(AS_OF - timedelta(days=d))),
        )
    )


def rules() -> st.SearchStrategy[ast.Node]:
    """Leaves nested in all-of / any-of / not."""
    return st.recursive(
        leaves(),
        lambda children: st.one_of(
            st.builds(lambda items: ast.AllOf(items=tuple(items)), st.lists(children, min_size=2, max_size=3)),
            st.builds(lambda items: ast.AnyOf(items=tuple(items)), st.lists(children, min_size=2, max_size=3)),
            st.builds(lambda item: ast.Not(item=item), children),
            st.builds(lambda a, b: ast.Implies(condition=a, then=b), children, children),
        ),
        max_leaves=6,
    )


def _day(draw, future: bool = True) -> str:
    days = draw(st.sampled_from(EDGE_DAYS) | st.integers(0, 4000))
    after = future and draw(st.integers(0, 9)) == 0
    return str(AS_OF + timedelta(days=3) if after else AS_OF - timedelta(days=days))


@st.composite
def observations(draw) -> dict:
    """A lab value on a boundary, written in any of its units, with or without a reference range."""
    measure = draw(st.sampled_from((*MEASURES, *QUALITATIVE)))
    if measure in QUALITATIVE:
        return {"code": measure, "value": draw(st.sampled_from(["positive", "negative"])), "date": _day(draw)}
    quantity = _written(measure, draw(st.sampled_from(VALUES)), draw)
    entry = {"code": measure, "value": str(quantity.value), "unit": quantity.unit, "date": _day(draw)}
    for side in ("low", "high"):
        if draw(st.booleans()):
            limit = Fraction(draw(st.sampled_from(VALUES))) / dict(units_of(measure))[quantity.unit]
            written = exact_decimal(limit)
            if written is not None:
                entry[side] = str(written)
    if "low" in entry and "high" in entry and Decimal(entry["low"]) > Decimal(entry["high"]):
        entry["low"], entry["high"] = entry["high"], entry["low"]  # a reversed range is refused on input
    return entry


@st.composite
def records(draw, category: str) -> dict:
    """A record of a concept: dated, undated or spanning; conditions active, resolved or absent."""
    entry: dict = {"code": draw(st.sampled_from(CONCEPTS[category]))}
    dated = draw(st.integers(0, 5)) > 0
    if category == "condition":
        entry["status"] = draw(st.sampled_from(["active", "resolved", "absent"]))
        if dated:
            entry["onset"] = _day(draw)
    elif category == "medication":
        if dated:
            entry["start"] = _day(draw, future=False)
        ending = draw(st.sampled_from(["ongoing", "end", "ended_unknown", "active"]))
        if ending == "end" and dated:
            end = date.fromisoformat(entry["start"]) + timedelta(
                days=draw(st.sampled_from([0, 2, 7, 30, 181, 182, 364, 365, 400]))
            )
            entry["end"] = str(end)
        elif ending == "ended_unknown":  # ended on a day not known
            entry["status"] = "ended"
        elif ending == "active":
            entry["status"] = "active"
        if draw(st.integers(0, 2)) > 0:
            entry["dose"] = draw(record_doses())
    elif dated:
        entry["date"] = _day(draw)
    return entry


@st.composite
def partial_births(draw) -> str:
    """A birth year or month: any, or one in which an age threshold is reached near a reference date (so the
    missing day or month decides some ages and not others); some lie after the reference date."""
    if draw(st.booleans()):
        year, month = draw(st.integers(1930, 2026)), draw(st.none() | st.integers(1, 12))
    else:
        on = draw(st.sampled_from(REFERENCE_DATES))
        year = on.year - draw(st.sampled_from(AGE_YEARS)) + draw(st.sampled_from([0, 0, -1, 1]))
        month = draw(st.sampled_from([None, on.month, on.month, on.month % 12 + 1, (on.month - 2) % 12 + 1]))
    return str(year) if month is None else f"{year}-{month:02d}"


@st.composite
def patients(draw, number: int) -> dict:
    """One patient at the edges."""
    patient: dict = {"id": f"P{number}", "observations": draw(st.lists(observations(), max_size=5))}
    patient["observations"] += draw(st.lists(weights(), max_size=2))
    patient["observations"] += draw(st.lists(score_readings(), max_size=4))
    for category, field in CATEGORY_FIELD.items():
        patient[field] = draw(st.lists(records(category), max_size=3))
    birth = draw(st.sampled_from(("date", "edge", "partial", "age", "none")))
    if birth == "date":
        patient["birth_date"] = str(draw(st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 1, 1))))
    elif birth == "edge":
        patient["birth_date"] = str(draw(st.sampled_from(BIRTHS)))
    elif birth == "partial":
        patient["birth_partial"] = draw(partial_births())
        if draw(st.integers(0, 3)) == 0:
            patient["age"] = draw(st.sampled_from([0, 17, 18, 25, 45, 60, 61]))
    elif birth == "age":
        patient["age"] = draw(st.sampled_from([0, 17, 18, 25, 45, 60, 61]))
        if draw(st.booleans()):
            patient["as_of"] = str(draw(st.sampled_from([AS_OF, date(2024, 2, 29), date(2026, 3, 1)])))
    if draw(st.booleans()):
        patient["sex"] = draw(st.sampled_from(["female", "male"]))
    patient["complete"] = draw(st.lists(st.sampled_from(sorted(CATEGORY_FIELD.values())), unique=True))
    return patient


@st.composite
def settings(draw) -> tuple[ast.Duration, dict[str, ReferenceRange]]:
    """A trial's lab recency and reference ranges (some measures, some limits missing)."""
    recency = draw(
        st.sampled_from([_duration(30, "day"), _duration(6, "week"), _duration(3, "month"), _duration(36, "hour")])
    )
    ranges = {}
    for measure in draw(st.lists(st.sampled_from(MEASURES), unique=True)):
        low = draw(st.none() | st.sampled_from(VALUES).map(Fraction))
        high = draw(st.none() | st.sampled_from(VALUES).map(Fraction))
        if low is not None and high is not None and low > high:
            low, high = high, low  # a reversed range is refused when a trial is loaded
        ranges[measure] = ReferenceRange(low, high, "the trial's reference ranges")
    return recency, ranges
