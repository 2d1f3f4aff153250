"""Fuzzing as a law: hostile patients, rule files and JSON Lines (wrong encodings, extreme numbers and dates, deep
nesting, random bytes) give a result or an EligibilityError naming the place, within a time bound per input,
and every good record of a batch is still reported, in order.

The ci profile runs a few dozen examples per law; ``HYPOTHESIS_PROFILE=thorough`` runs thousands.
"""

from __future__ import annotations

import io
import json
import os
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.errors import EligibilityError
from eligibility.output.report import report_json
from eligibility.patient.contract import Patient, read_patients
from eligibility.screen.screener import Screener
from eligibility.text.output import run_batch
from eligibility.trials.load import check_files, load_trials
from eligibility.vocab.vocabulary import default_vocabulary

SECONDS_PER_INPUT = 5.0  # generous for a loaded 2-core machine; the hangs found took a minute or more
SCREENER = Screener(load_trials([Path(__file__).resolve().parent.parent / "rules"]))
# A few dozen examples per law in CI (tens of seconds in all); the thorough profile's full count otherwise.
EXAMPLES = 25 if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci" else settings.default.max_examples
FUZZ = settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """One folder for every example (a fresh one each time slows down as thousands pile up)."""
    return tmp_path_factory.mktemp("fuzz")


# --- hostile pieces -------------------------------------------------------------------------------------------

number_text = st.one_of(
    st.from_regex(r"-?\d{1,60}(\.\d{1,60})?([eE][+-]?\d{1,12})?", fullmatch=True),
    st.sampled_from(["1e999999999", "1e-999999", "9" * 5000, "NaN", "-Infinity", "0e-99999", "-0", "1E+30"]),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
)
date_text = st.one_of(
    st.dates().map(lambda d: f'"{d.isoformat()}"'),
    st.sampled_from(['"0001-01-01"', '"9999-12-31"', '"2026-02-30"', "0", "20261101", '"2026-11-01T00:00"', "null"]),
)
unit_text = st.one_of(
    st.sampled_from(["10^9/L", "mg/dL", "umol/L", "%", "", "cells/uL", "U/L", "10^99999999/L", "L^99999999"]),
    st.text(max_size=40),
    st.integers(0, 40_000).map(lambda n: "g" * n),
).map(json.dumps)
code_text = st.one_of(st.sampled_from(["ALC", "ALT", "creatinine", "relapse", "hiv_infection", "BCG"]), st.text())


@st.composite
def patient_text(draw) -> str:
    """One patient as JSON text, numbers and dates written as raw text so that they can be anything."""
    observation = (
        f'{{"code": {json.dumps(draw(code_text))}, "value": {draw(number_text)}, "unit": {draw(unit_text)}, '
        f'"date": {draw(date_text)}'
        + (f', "low": {draw(number_text)}' if draw(st.booleans()) else "")
        + (f', "high": {draw(number_text)}' if draw(st.booleans()) else "")
        + "}"
    )
    event = f'{{"code": {json.dumps(draw(code_text))}, "date": {draw(date_text)}}}'
    fields = [
        f'"id": {json.dumps(draw(st.text(min_size=1, max_size=20)))}',
        f'"as_of": {draw(date_text)}',
        f'"birth_date": {draw(date_text)}',
        f'"observations": [{observation}]',
        f'"events": [{event}]',
    ]
    chosen = draw(st.lists(st.sampled_from(fields), unique=True, min_size=1))
    return "{" + ", ".join(chosen) + "}"


def deep(opening: str, closing: str, depth: int) -> str:
    """Brackets nested ``depth`` deep."""
    return opening * depth + closing * depth


hostile_line = st.one_of(
    patient_text().map(lambda text: text.encode("utf-8")),
    patient_text().map(lambda text: text.encode("latin-1", "replace")),
    patient_text().map(lambda text: text.encode("utf-16")),
    st.tuples(patient_text(), st.integers(0, 200)).map(lambda pair: pair[0][: pair[1]].encode()),  # cut short
    st.integers(1, 200_000).map(lambda n: deep("[", "]", n).encode()),
    st.binary(max_size=300),
)


def good_patient(number: int) -> bytes:
    """A valid patient that every law must still report."""
    record = {
        "id": f"good-{number}",
        "as_of": "2026-11-01",
        "birth_date": "1980-05-01",
        "observations": [{"code": "ALC", "value": 0.4, "unit": "10^9/L", "date": "2026-10-28"}],
    }
    return json.dumps(record).encode()


def _line(data: bytes) -> bytes:
    return data.replace(b"\n", b" ").replace(b"\r", b" ")


def _within_bound(started: float, inputs: int) -> None:
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS_PER_INPUT * max(inputs, 1), f"{elapsed:.1f} s for {inputs} input(s)"


# --- laws -----------------------------------------------------------------------------------------------------


@FUZZ
@given(st.lists(st.one_of(st.none(), hostile_line), min_size=1, max_size=6))
def test_hostile_patients_in_a_batch(folder: Path, lines: list[bytes | None]):
    """Each line: a screened patient or an error naming the file and that line; good lines all, in order."""
    path = folder / "batch.jsonl"
    content = [good_patient(i) if line is None else _line(line) for i, line in enumerate(lines)]
    path.write_bytes(b"\n".join(content) + b"\n")
    started = time.perf_counter()
    reported = []
    for item in read_patients(path):
        if isinstance(item, Patient):
            report = SCREENER.screen(item, fallback=date(2026, 11, 1))
            json.dumps(report_json(report))
            reported.append(item.id)
        else:
            assert isinstance(item, EligibilityError)
            assert item.location.file == str(path) and item.location.line is not None
            assert content[item.location.line - 1].strip(), "an error was placed on a blank line"
    goods = [f"good-{i}" for i, line in enumerate(lines) if line is None]
    assert [r for r in reported if r in goods] == goods
    _within_bound(started, len(lines))


@FUZZ
@given(patient_text(), st.sampled_from(["utf-8", "utf-16", "latin-1", "utf-8-sig"]))
def test_a_hostile_patient_file(folder: Path, text: str, encoding: str):
    """A whole patient file: screened, or one error naming the file."""
    path = folder / "p.json"
    path.write_bytes(text.encode(encoding, "replace"))
    started = time.perf_counter()
    (item,) = list(read_patients(path))
    if isinstance(item, Patient):
        json.dumps(report_json(SCREENER.screen(item, fallback=date(2026, 11, 1))))
    else:
        assert isinstance(item, EligibilityError) and item.location.file == str(path)
    _within_bound(started, 1)


rule_text = st.one_of(
    st.sampled_from(["alc <= 0.5 10^9/L", "age >= 18 years", "has event relapse within 12 months", "sex is female"]),
    st.tuples(st.integers(0, 600), st.sampled_from(["sex is female", "has condition hiv_infection"])).map(
        lambda pair: "not " * pair[0] + pair[1]
    ),
    st.tuples(number_text, st.sampled_from(["hours", "days", "months", "years"])).map(
        lambda pair: f"has event relapse within {pair[0]} {pair[1]}"
    ),
    st.tuples(number_text, unit_text).map(lambda pair: f"alc <= {pair[0]} {json.loads(pair[1])}"),
    st.integers(1, 100_000).map(lambda n: deep("(", ")", n)[:n] + "sex is female" + ")" * n),
    st.text(max_size=80),
)


@st.composite
def rule_file(draw) -> bytes:
    """A rule file: a template with hostile rules and values, or hostile bytes."""
    criteria = "".join(
        f"  - id: C{i}\n    kind: inclusion\n    text: x\n    rule: {json.dumps(rule)}\n"
        for i, rule in enumerate(draw(st.lists(rule_text, min_size=1, max_size=3)))
    )
    extra = draw(
        st.sampled_from(
            ["", "lab_recency: 999999999 years\n", "reference_ranges:\n  alt: {low: 40 U/L, high: 7 U/L}\n"]
        )
    )
    text = f"id: FUZZ\n{extra}criteria:\n{criteria}"
    return draw(
        st.one_of(
            st.just(text.encode()),
            st.just(text.encode("utf-16")),
            st.integers(1, 100_000).map(lambda n: ("id: X\ncriteria: " + deep("[", "]", n)).encode()),
            st.binary(max_size=300),
        )
    )


@FUZZ
@given(rule_file())
def test_hostile_rule_files(folder: Path, data: bytes):
    """A rule file: a trial that screens a patient, or errors each naming the file."""
    path = folder / "trial.yaml"
    path.write_bytes(data)
    started = time.perf_counter()
    trials, errors = check_files([path], default_vocabulary())
    assert all(isinstance(e, EligibilityError) and e.location.file == str(path) for e in errors)
    if trials:
        patient = next(p for p in read_patients(Path(__file__).parent.parent / "examples" / "patients"))
        assert isinstance(patient, Patient)
        json.dumps(report_json(Screener(trials).screen(patient)))
    _within_bound(started, 1)


batch_record = st.one_of(
    st.builds(lambda text: json.dumps({"id": "x", "text": text}).encode(), rule_text),
    st.builds(lambda value: json.dumps({"id": "x", "text": value}).encode(), st.one_of(st.none(), st.lists(st.text()))),
    hostile_line,
)


@FUZZ
@given(st.lists(st.one_of(st.none(), batch_record), min_size=1, max_size=5))
def test_hostile_parse_batches(folder: Path, lines: list[bytes | None]):
    """parse --batch: one output line per readable record and every good one, in order."""
    path = folder / "items.jsonl"
    good = [json.dumps({"id": f"good-{i}", "text": "ALC < 0.5 x 10^9/L"}).encode() for i in range(len(lines))]
    content = [good[i] if line is None else _line(line) for i, line in enumerate(lines)]
    path.write_bytes(b"\n".join(content) + b"\n")
    out = io.StringIO()
    started = time.perf_counter()
    done, failed = run_batch(str(path), "text", "inclusion", out=out)
    ids = [json.loads(line)["id"] for line in out.getvalue().split("\n")[:-1]]  # not splitlines(): U+2028
    assert done == len(ids) and done + failed <= len(lines)
    goods = [f"good-{i}" for i, line in enumerate(lines) if line is None]
    assert [i for i in ids if i.startswith("good-")] == goods
    _within_bound(started, len(lines))
