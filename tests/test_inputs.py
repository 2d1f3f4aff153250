"""The input boundary: bytes that are not UTF-8, JSON beyond the limits, files and folders that cannot be read.

Each case here was a traceback, a hang or a silent loss before the boundary existed.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from eligibility.errors import EligibilityError, PatientError
from eligibility.inputs import MAX_DEPTH, MAX_LINE_BYTES, InputError, load_json, read_lines, read_text
from eligibility.patient.contract import Patient, read_patients

GOOD = b'{"id": "%s", "as_of": "2026-11-01"}\n'


def _ids_and_errors(results) -> list[str]:
    return [r.id if isinstance(r, Patient) else f"error@{r.location.line}" for r in results]


def test_json_lines_keep_every_good_record_in_order(tmp_path: Path):
    path = tmp_path / "batch.jsonl"
    path.write_bytes(
        GOOD % b"A"
        + b'{"id": "B\xe9"}\n'  # Latin-1: this line only
        + GOOD % b"C"
        + b'{"id": "D", "as_of":\n'  # cut short: blamed on itself, not on the next line
        + GOOD % b"E"
    )
    results = list(read_patients(path))
    assert _ids_and_errors(results) == ["A", "error@2", "C", "error@4", "E"]
    assert str(results[1]).startswith(f"{path}:2:10: byte 0xe9 is not UTF-8 text")
    assert str(results[3]).startswith(f"{path}:4:21: invalid JSON: the record ends too soon")
    assert all(isinstance(r, PatientError) for r in results if not isinstance(r, Patient))


def test_utf16_json_lines_are_errors_never_misread(tmp_path: Path):
    path = tmp_path / "batch.jsonl"
    path.write_bytes((GOOD % b"A").decode().encode("utf-16") + b"\n" + GOOD % b"B")
    results = list(read_patients(path))
    assert isinstance(results[0], PatientError) and "UTF-16" in results[0].message and results[0].location.line == 1
    assert all(isinstance(r, PatientError) for r in results[:-1]) and results[-1].id == "B"


def test_an_overlong_line_is_skipped_and_the_next_is_read():
    data = b'{"id": "' + b"x" * (MAX_LINE_BYTES + 5) + b'"}\n' + GOOD % b"B"
    lines = list(read_lines(io.BytesIO(data), "big.jsonl"))
    assert [n for n, _ in lines] == [1, 2]
    assert isinstance(lines[0][1], InputError) and "longer than" in lines[0][1].message
    assert lines[1][1] == (GOOD % b"B").decode().rstrip("\n")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_deep_json_is_refused_at_the_limit(depth: int):
    with pytest.raises(InputError, match=f"nested more than {MAX_DEPTH} deep") as caught:
        load_json("[" * depth + "]" * depth, "deep.json")
    assert caught.value.location.column == MAX_DEPTH + 1


def test_json_at_the_depth_limit_is_read():
    assert load_json('{"a": ' + "[" * (MAX_DEPTH - 1) + '"]]"' + "]" * (MAX_DEPTH - 1) + "}") is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"age": ' + "9" * 5000 + "}", "a number of 5000 characters"),
        ('{"v": 1e400}', "out of range"),
        ('{"v": -Infinity}', "-Infinity is not a number JSON allows"),
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"t": "' + "x" * 100_001 + '"}', "has 100,001 characters"),
    ],
)
def test_json_beyond_the_limits_is_an_error(text: str, message: str):
    with pytest.raises(InputError, match=message):
        load_json(text, "x.json", 7)


def test_numbers_are_exact_decimals():
    assert str(load_json('{"v": 0.1}')["v"]) == "0.1"  # type: ignore[index]


def test_a_folder_reads_every_patient_file_once(tmp_path: Path):
    (tmp_path / "a.JSON").write_bytes(GOOD % b"A")
    (tmp_path / "b.ndjson").write_bytes(GOOD % b"B" + GOOD % b"C")
    (tmp_path / "c.json").symlink_to(tmp_path / "a.JSON")  # the same file twice
    (tmp_path / "loop.json").symlink_to(tmp_path / "loop.json")  # a link to itself
    (tmp_path / "up.jsonl").symlink_to(tmp_path)  # a link to the folder: not followed
    (tmp_path / "notes.txt").write_text("not a patient")
    assert _ids_and_errors(read_patients(tmp_path)) == ["A", "B", "C"]


def test_an_empty_folder_is_an_error(tmp_path: Path):
    (error,) = list(read_patients(tmp_path))
    assert isinstance(error, PatientError) and "no patient files" in error.message


def test_a_folder_given_as_a_file_is_an_error(tmp_path: Path):
    with pytest.raises(InputError, match="cannot read the file") as caught:
        read_text(tmp_path)
    assert caught.value.hint == "give a file, not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_an_unreadable_file_is_an_error(tmp_path: Path):
    path = tmp_path / "p.json"
    path.write_bytes(GOOD % b"A")
    path.chmod(0)
    (error,) = list(read_patients(path))
    assert isinstance(error, EligibilityError) and "Permission denied" in error.message
