"""Registry import: the bundled rules are exactly what importing the seed records with their overrides gives."""

import json
from pathlib import Path

import pytest

from eligibility import load_trials, render
from eligibility.registry.bulk import draft_many
from eligibility.registry.importer import draft_trial, find_overrides
from eligibility.resources import bundled_rules_dir
from eligibility.text import parse_criterion
from eligibility.text.rules import draft_rule
from eligibility.text.segment import leaves, segment
from eligibility.trials.load import read_trial

from conftest import DATA, ROOT

SHARED = ROOT.parent / "shared"
SEEDS = sorted((SHARED / "seeds").glob("*.txt")) if (SHARED / "seeds").is_dir() else []
needs_seeds = pytest.mark.skipif(not SEEDS, reason="../shared/seeds is not present")


@needs_seeds
@pytest.mark.parametrize("seed", SEEDS, ids=[s.name for s in SEEDS])
def test_bundled_rules_are_the_import_of_the_seeds(seed: Path):
    overrides = find_overrides(seed, bundled_rules_dir() / "overrides")
    assert overrides is not None, f"no override file names {seed.name}"
    text, summary = draft_trial(seed)
    trial, errors = read_trial(text, "draft", None)
    assert errors == []
    assert (bundled_rules_dir() / f"{trial.id}.yaml").read_text(encoding="utf-8") == text
    assert summary.startswith(f"{trial.id}: ")


def test_ctgov_api_json_import():
    text, summary = draft_trial(DATA / "ctgov_study.json", use_bundled=False)
    trial, errors = read_trial(text, "draft", None)
    assert errors == []
    assert (trial.id, trial.title, trial.population.sex) == (
        "NCT09999999",
        "Synthetic study for import tests",
        "female",
    )
    rules = {c.id: c for c in trial.clauses}
    assert [c.id for c in trial.clauses] == ["min_age", "max_age", "sex", "I1", "I2a", "I2b", "I3", "E1", "E2", "E3"]
    assert (rules["I2a"].text, rules["I2b"].text) == ("ANC ≥ 1.5 x 10^9/L", "platelets ≥ 100 x 10^9/L")
    assert rules["E1"].needs_review is False and rules["I3"].needs_review is True
    assert summary == "NCT09999999: 7 clauses drafted — 5 read fully, 0 partly, 2 left for review"


def test_a_stale_override_is_an_error(tmp_path: Path):
    override = tmp_path / "o.yaml"
    override.write_text("record: ctgov_study.json\ncriteria:\n  E9: {rule: null}\n", encoding="utf-8")
    with pytest.raises(Exception) as caught:
        draft_trial(DATA / "ctgov_study.json", override)
    assert "overrides name criteria the import does not produce: E9" in str(caught.value)


@pytest.mark.skipif(not (SHARED / "corpus" / "ctgov_criteria.jsonl").exists(), reason="corpus not present")
def test_every_corpus_block_imports_without_an_exception():
    items = 0
    with (SHARED / "corpus" / "ctgov_criteria.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            for item in leaves(segment(json.loads(line)["criteria"])):
                draft_rule(parse_criterion(item.text), item.kind or "inclusion")
                items += 1
    assert items > 10000


def test_json_lines_import_writes_one_loadable_file_per_trial_and_reports_bad_lines(tmp_path: Path):
    source = tmp_path / "criteria.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "nct": "NCT00000001",
                        "sex": "Female",
                        "min_age": "18 Years",
                        "criteria": "Inclusion Criteria:\n  -  1) ALC ≤ 0.5 x 10^9/L; 2) signed consent\n"
                        "Exclusion Criteria:\n  -  HIV infection",
                    }
                ),
                '{"nct": "NCT00000002"}',
                json.dumps({"id": "site/trial 3", "criteria": "Inclusion Criteria:\n - Age 18 to 65 years"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    summary = draft_many(source, tmp_path / "out")
    assert (summary.trials, [e.location.line for e in summary.errors]) == (2, [2])
    trials = load_trials([tmp_path / "out"])
    first = next(t for t in trials if t.id == "NCT00000001")
    assert [c.id for c in first.clauses] == ["min_age", "sex", "I1a", "I1b", "E1"]  # no clause for the bare "-"
    assert render(first.clause("I1a").rule) == "alc <= 0.5 10^9/L" and first.clause("I1b").needs_review
    assert (tmp_path / "out" / "site_trial_3.yaml").exists()
    assert str(summary) == (
        "2 trial(s) drafted, 4 clauses — 3 read fully, 0 partly, 1 left for review; 1 record(s) could not be read"
    )
