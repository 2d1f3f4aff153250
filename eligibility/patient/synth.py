"""Synthetic patients for benchmarks, demos and tests: plausible values, units, records and dates, from a seed.

The same seed and reference date always give the same patients. Values are drawn around each measure's
reference range (``data/synthetic.yaml``) and reported in the measure's unit or another one a lab might use;
records are drawn from common conditions, drugs, procedures, vaccines and events.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from functools import lru_cache
from typing import IO

import yaml

from eligibility.errors import EligibilityError
from eligibility.vocab.units import as_decimal, measure_factor
from eligibility.vocab.vocabulary import Vocabulary, default_vocabulary

_CATEGORY_FIELD = {
    "condition": "conditions",
    "medication": "medications",
    "procedure": "procedures",
    "immunization": "immunizations",
    "event": "events",
}


@dataclass(frozen=True)
class _MeasureSpec:
    id: str
    low: Fraction
    high: Fraction
    decimals: int
    units: tuple[tuple[str, Fraction], ...]  # (unit, factor to the canonical unit), canonical first


@lru_cache(maxsize=1)
def _profile() -> dict:
    from importlib.resources import files

    return yaml.safe_load(files("eligibility").joinpath("data/synthetic.yaml").read_text(encoding="utf-8"))


def _measure_specs(vocabulary: Vocabulary) -> list[_MeasureSpec]:
    specs = []
    for measure_id, (low, high, decimals, *others) in _profile()["measures"].items():
        measure = vocabulary.measures[measure_id]
        units = [(measure.unit, Fraction(1))]
        for unit in others:
            factor = measure_factor(unit, measure.unit, measure.molar_mass, measure.valence)
            assert factor is not None, f"synthetic.yaml: {unit} cannot express {measure_id}"
            units.append((unit, factor))
        specs.append(_MeasureSpec(measure_id, Fraction(str(low)), Fraction(str(high)), decimals, tuple(units)))
    return specs


def _rounded(value: Fraction, decimals: int) -> Decimal:
    return (
        as_decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN).normalize()
        if decimals >= 0
        else as_decimal(value).quantize(Decimal(10), rounding=ROUND_HALF_EVEN)
    )


def _significant(value: Fraction, digits: int = 3) -> Decimal:
    number = as_decimal(value)
    if number == 0:
        return Decimal(0)
    return Decimal(f"{number:.{digits}g}").normalize()


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


EARLIEST_AS_OF = date(200, 1, 1)  # births (up to 86 years back) and record dates stay after year 1


class Synthesizer:
    """Makes patients from a seed; ``patient(n)`` is the n-th patient of the seed."""

    def __init__(self, seed: int, as_of: date, vocabulary: Vocabulary | None = None) -> None:
        if as_of < EARLIEST_AS_OF:
            raise EligibilityError(
                f"synthetic patients need a reference date from {EARLIEST_AS_OF} on (got {as_of})",
                hint="patients are born up to 86 years before it; give a later --as-of",
            )
        self.seed, self.as_of = seed, as_of
        self.vocabulary = vocabulary or default_vocabulary()
        self.measures = _measure_specs(self.vocabulary)

    def patients(self, count: int) -> Iterator[dict]:
        """The first ``count`` patients of the seed."""
        return (self.patient(n) for n in range(count))

    def patient(self, number: int) -> dict:
        """One patient in the JSON contract."""
        rng = random.Random(f"{self.seed}:{number}")
        patient: dict = {"id": f"S{self.seed}-{number:06d}", "as_of": self.as_of.isoformat()}
        sex = rng.choices(["female", "male", None], [48, 48, 4])[0]
        if sex:
            patient["sex"] = sex
        years = rng.randint(18, 85)
        birth = self.as_of - timedelta(days=int(years * 365.25) + rng.randint(0, 364))
        if rng.random() < 0.95:
            patient["birth_date"] = birth.isoformat()
        elif rng.random() < 0.6:
            patient["age"] = years
        patient["observations"] = self._observations(rng, sex)
        for category, spec in _profile()["records"].items():
            if rng.random() < spec["share"]:
                chosen = rng.sample(spec["concepts"], k=min(len(spec["concepts"]), rng.randint(1, 3)))
                patient[_CATEGORY_FIELD[category]] = [self._record(rng, category, c, birth) for c in chosen]
        if rng.random() < 0.3:
            patient["complete"] = sorted(rng.sample(list(_CATEGORY_FIELD.values()), k=rng.randint(1, 3)))
        return patient

    def _observations(self, rng: random.Random, sex: str | None) -> list[dict]:
        found = [self._observation(rng, spec) for spec in self.measures if rng.random() < 0.6]
        for test in _profile()["qualitative"]:
            if rng.random() < 0.4 and not (test == "pregnancy_test" and sex != "female"):
                found.append(
                    {
                        "code": test,
                        "value": "positive" if rng.random() < 0.1 else "negative",
                        "date": self._days_ago(rng, 90),
                    }
                )
        return found

    def _observation(self, rng: random.Random, spec: _MeasureSpec) -> dict:
        low, high = spec.low, spec.high
        roll = rng.random()
        if roll < 0.8:
            value = low + (high - low) * Fraction(rng.random())
        elif roll < 0.9:
            value = low * Fraction(0.3 + 0.7 * rng.random())
        else:
            value = high * Fraction(1 + 1.5 * rng.random())
        value = Fraction(_rounded(value, spec.decimals))
        unit, factor = spec.units[0] if rng.random() < 0.6 else rng.choice(spec.units)
        written = _rounded(value, spec.decimals) if factor == 1 else _significant(value / factor)
        observation = {"code": spec.id, "value": _number(written), "unit": unit, "date": self._days_ago(rng, 60)}
        if rng.random() < 0.7:
            observation["low"] = _number(_significant(low / factor))
            observation["high"] = _number(_significant(high / factor))
        return observation

    def _record(self, rng: random.Random, category: str, concept: str, birth: date) -> dict:
        if category == "condition":
            onset = birth + timedelta(days=rng.randint(18 * 365, max(18 * 365, (self.as_of - birth).days)))
            record = {
                "code": concept,
                "status": "active" if rng.random() < 0.8 else "resolved",
                "onset": min(onset, self.as_of).isoformat(),
            }
            return record
        if category == "medication":
            start = date.fromisoformat(self._days_ago(rng, 3 * 365))
            record = {"code": concept, "start": start.isoformat()}
            if rng.random() < 0.5:
                record["end"] = min(self.as_of, start + timedelta(days=rng.randint(7, 365))).isoformat()
            return record
        return {"code": concept, "date": self._days_ago(rng, 5 * 365)}

    def _days_ago(self, rng: random.Random, most: int) -> str:
        return (self.as_of - timedelta(days=rng.randint(0, most))).isoformat()


def write_patients(out: IO[str], count: int, seed: int, as_of: date) -> int:
    """Write ``count`` synthetic patients as JSON Lines; returns the count."""
    synthesizer = Synthesizer(seed, as_of)
    for patient in synthesizer.patients(count):
        out.write(json.dumps(patient, ensure_ascii=False) + "\n")
    return count
