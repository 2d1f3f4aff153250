"""Shared test set-up: hypothesis profiles and tiny loaders for golden data files."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from hypothesis import HealthCheck, settings

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent

settings.register_profile("ci", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def load_cases(name: str) -> list[dict]:
    """A YAML list of golden cases from tests/data."""
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
