"""The terminal table at narrow widths: verdicts never wrap mid-word, lines fit, long text folds in its column."""

import os
import re
import subprocess
from collections import Counter

import pytest
from rich.cells import cell_len

from conftest import CLI, ROOT, load_cases

VERDICTS = load_cases("example_verdicts.yaml")
NAMES = ("eligible", "ineligible", "undetermined")


def _fragments(text: str) -> set[str]:
    """Words that are a verdict cut short (``ineligibl`` of ``ineligibl e``)."""
    words = set(re.findall(r"[a-z]+", text))
    return {w for w in words if len(w) >= 4 and any(v.startswith(w) and v != w for v in NAMES)}


@pytest.mark.parametrize("columns", [60, 80])
@pytest.mark.parametrize("patient", ["P02-ae-lab-limits", "P10-sle-low-lvef"])
def test_verdicts_stay_whole_and_lines_fit(columns: int, patient: str):
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    path = ROOT / "examples" / "patients" / f"{patient}.json"
    result = subprocess.run(
        [*CLI, "screen", str(path), "--detail"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(cell_len(line) <= columns for line in lines)
    assert not _fragments(result.stdout)
    words = Counter(re.findall(r"[a-z]+", result.stdout))
    for verdict, count in Counter(VERDICTS[patient].values()).items():
        assert words[verdict] >= count
    for outcome in ("pass", "fail", "unknown", "review"):  # the detail tables' outcome column
        assert not {w for w in words if len(w) >= 3 and outcome.startswith(w) and w != outcome}


def test_the_old_layout_would_have_been_caught():
    assert _fragments("│ ineligibl │\n│ e │") == {"ineligibl"}
