"""The wheel ships the grammars, the bundled rules and the vocabulary, and the package finds them there."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("eligibility-*.whl")
    return built


def test_wheel_contains_grammars_rules_and_data(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "eligibility/grammars/rule.lark",
        "eligibility/rules/NCT05828212.yaml",
        "eligibility/data/measures.yaml",
        "eligibility/data/concepts.yaml",
        "eligibility/data/concepts_do.json",
        "eligibility/data/concepts_icd.json",
        "eligibility/output/templates/patient.html.j2",
        "eligibility/output/templates/population.html.j2",
        "eligibility/output/templates/report.css",
    ):
        assert required in names


def test_installed_package_loads_from_the_wheel(wheel: Path, tmp_path: Path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = (
        "import eligibility, eligibility.resources as r;"
        "from eligibility import parse_rule, load_trials;"
        "assert r.grammar_path('rule.lark').is_relative_to(r._PACKAGE);"
        "import eligibility.output.html as h; h.environment().get_template('patient.html.j2');"
        "assert h.TEMPLATES.is_relative_to(r._PACKAGE);"
        "print(len(load_trials([r.bundled_rules_dir()])), parse_rule('alc <= 0.5 10^9/L').kind,"
        f" eligibility.__file__.startswith({str(site)!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-s", "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["5", "comparison", "True"]
