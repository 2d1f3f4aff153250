"""Developer checks as tests, so CI runs them through the README's test command: lint, format and types."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

CHECKS = {
    "ruff check": [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
    "ruff format": [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "."],
    "mypy": [sys.executable, "-m", "mypy"],
}


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_developer_check_reports_nothing(check: str):
    result = subprocess.run(CHECKS[check], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{check} found problems:\n{result.stdout}{result.stderr}"
