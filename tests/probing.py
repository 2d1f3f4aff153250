"""Rightness probes (tests/data/probes.yaml): draft each criterion line with `eligibility import` as a user would,
screen small synthetic patients whose truth is clear-cut, and count decided-correct, decided-wrong, undecided."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

from eligibility import Patient, Screener, load_trials
from eligibility.engine.truth import FALSE, TRUE, UNKNOWN, Truth

PROBES = Path(__file__).resolve().parent / "data" / "probes.yaml"
AS_OF = date(2026, 11, 1)
_HEADINGS = {
    ("en", "inclusion"): "Inclusion Criteria:",
    ("en", "exclusion"): "Exclusion Criteria:",
    ("zh", "inclusion"): "纳入标准：",
    ("zh", "exclusion"): "排除标准：",
}
_CATEGORIES = {
    "cond": "conditions",
    "med": "medications",
    "proc": "procedures",
    "imm": "immunizations",
    "event": "events",
}


@dataclass(frozen=True)
class Outcome:
    """One probe: the criterion, what the text says (``expected``), what the drafted rule decided (None: not)."""

    criterion: dict
    expected: bool
    got: bool | None
    near: bool

    @property
    def correct(self) -> bool:
        """Decided, and as the text says."""
        return self.got is not None and self.got == self.expected


def load_probes(path: Path = PROBES) -> list[dict]:
    """The probe criteria: ``probes.yaml`` and every ``probes_*.yaml`` beside it (one file per group of forms)."""
    files = [path, *sorted(path.parent.glob(f"{path.stem}_*.yaml"))]
    return [c for file in files for c in yaml.safe_load(file.read_text(encoding="utf-8"))["criteria"]]


def _day(days: str) -> str:
    return (AS_OF - timedelta(days=int(days.lstrip("@")))).isoformat()


def _record(kind: str, words: list[str]) -> dict:
    code, rest = words[0], words[1:]
    dated = next((w for w in rest if w.startswith("@")), "@400")
    record: dict = {"code": code}
    if kind in ("cond",):
        record["onset"] = _day(dated)
        status = next((w for w in rest if w in ("resolved", "absent")), None)
        if status:
            record["status"] = status
    elif kind == "med":
        record["start"] = _day(dated)
        end = next((w for w in rest if w.startswith("end@")), None)
        if end:
            record["end"] = _day(end[4:])
        dose = next((w for w in rest if w.startswith("dose=")), None)
        if dose:  # dose=20mg/day, dose=0.5mg/kg/day, dose=140mg/week
            value, unit, per = re.fullmatch(r"dose=([\d.]+)(mg/kg|mg|g|ug)/(day|week|hour)", dose).groups()
            record["dose"] = {"value": value, "unit": unit, "per": per}
    else:
        record["date"] = _day(dated)
    return record


def _observation(words: list[str]) -> dict:
    code, value, rest = words[0], words[1], words[2:]
    record: dict = {"code": code, "value": value if not value[0].isdigit() else float(value), "date": _day("@3")}
    for word in rest:
        if word.startswith("@"):
            record["date"] = _day(word)
        elif word.startswith(("high=", "low=")):
            key, number = word.split("=")
            record[key] = float(number)
        else:
            record["unit"] = word
    return record


def make_patient(facts: str, identifier: str) -> dict:
    """A patient in the contract's JSON shape from the probe's shorthand facts."""
    patient: dict = {"id": identifier, "as_of": AS_OF.isoformat()}
    for fact in filter(None, (f.strip() for f in facts.split(";"))):
        kind, *words = fact.split()
        if kind == "age":
            patient["birth_date"] = (AS_OF.replace(year=AS_OF.year - int(words[0])) - timedelta(days=100)).isoformat()
        elif kind == "sex":
            patient["sex"] = words[0]
        elif kind == "obs":
            patient.setdefault("observations", []).append(_observation(words))
        elif kind == "complete":
            patient["complete"] = words[0].split(",")
        else:
            patient.setdefault(_CATEGORIES[kind], []).append(_record(kind, words))
    return patient


def draft(criteria: list[dict], folder: Path) -> Path:
    """Rule files drafted by `eligibility import` from one JSON Lines file of one-line records."""
    source = folder / "probes.jsonl"
    lines = [
        json.dumps({"id": c["id"], "criteria": f"{_HEADINGS[c['lang'], c['kind']]}\n{c['text']}"}, ensure_ascii=False)
        for c in criteria
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = folder / "rules"
    subprocess.run(
        [sys.executable, "-m", "eligibility", "import", str(source), "-o", str(out)], check=True, capture_output=True
    )
    return out


def _truth(result, kind: str) -> bool | None:
    """The line's truth: its drafted sub-clauses all hold (inclusion) or any holds (exclusion)."""
    truths = [Truth.of(c.met) for c in result.clauses if not c.clause.from_population]
    combined: Truth = TRUE if kind == "inclusion" else FALSE
    for truth in truths:
        combined = combined & truth if kind == "inclusion" else combined | truth
    return None if combined is UNKNOWN else combined is TRUE


def run_probes(criteria: list[dict] | None = None) -> list[Outcome]:
    """Every probe of every criterion, drafted and screened."""
    criteria = criteria if criteria is not None else load_probes()
    with tempfile.TemporaryDirectory() as folder:
        screener = Screener(load_trials([draft(criteria, Path(folder))]))
    outcomes = []
    for criterion in criteria:
        for index, (expected, facts, *near) in enumerate(criterion["probes"]):
            patient = Patient.model_validate(make_patient(facts, f"{criterion['id']}-{index}"))
            (result,) = screener.screen(patient, trial_ids=[criterion["id"]]).results
            outcomes.append(Outcome(criterion, expected, _truth(result, criterion["kind"]), bool(near)))
    return outcomes


def figures(outcomes: list[Outcome], key) -> dict:
    """Precision (correct / decided) and coverage (decided / all) by ``key`` of the criterion."""
    counts: dict = {}
    for outcome in outcomes:
        group = counts.setdefault(key(outcome.criterion), Counter())
        group["all"] += 1
        group["decided"] += outcome.got is not None
        group["correct"] += outcome.correct
    return counts
