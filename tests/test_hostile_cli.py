"""Hostile and careless command lines (tests/data/hostile_cli.yaml): an exit code and a message naming the
place, never a traceback, and every good record still written, in order."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import CLI, ROOT, load_cases

CASES = load_cases("hostile_cli.yaml")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_hostile_command_line(case: dict, tmp_path: Path):
    for name, content in (case.get("files") or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode(case.get("encoding", "utf-8")))
    args = [a.replace("{tmp}", str(tmp_path)) for a in case["args"]]
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    result = subprocess.run(
        [*CLI, *args], input=case.get("stdin", ""), capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == case["code"], result.stderr
    for fragment in case.get("stderr", []):
        assert fragment.replace("{tmp}", str(tmp_path)) in result.stderr
    lines = result.stdout.splitlines()
    if "stdout" in case:
        assert len(lines) == len(case["stdout"])
        assert all(expected in line for expected, line in zip(case["stdout"], lines, strict=True))
