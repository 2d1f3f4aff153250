"""Ctrl-C and SIGTERM with worker processes, tried with real processes and signals: one line on standard error,
exit code 130 / 143, no worker left behind, and every line written is a whole JSON Lines record, in order."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest

from eligibility.patient.synth import write_patients

from conftest import CLI, ROOT


@pytest.fixture(scope="module")
def patients(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("signals") / "patients.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        write_patients(handle, 2000, 2, date(2026, 11, 1))
    return path


def _group_is_gone(group: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_to_the_process_group_stops_cleanly(patients: Path, signum: int, code: int):
    process = subprocess.Popen(
        [*CLI, "screen", str(patients), "--jobs", "2", "--format", "summary"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        start_new_session=True,  # its own process group, as a shell job has
        bufsize=0,
    )
    try:
        first = os.read(process.stdout.fileno(), 1)  # type: ignore[union-attr]
        time.sleep(0.3)  # screening is under way and the output pipe is full: a write is cut by the signal
        os.killpg(process.pid, signum)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == code
    lines = (first + out).decode().splitlines()
    documents = [json.loads(line) for line in lines]  # every line whole
    expected = [json.loads(line)["id"] for line in patients.read_text().splitlines()[: len(documents)]]
    assert [d["patient"] for d in documents] == expected and documents
    name = signal.Signals(signum).name
    assert err.decode() == f"stopped by {name}: {len(lines)} line(s) written, each complete\n"
    assert _group_is_gone(process.pid), "a worker outlived the command"
