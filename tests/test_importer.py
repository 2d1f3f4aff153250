"""Registry import: the bundled rules are exactly what importing the seed records with their overrides gives."""

import json
import subprocess
from pathlib import Path

import pytest

from eligibility import EligibilityError, load_trials, render
from eligibility.registry.bulk import draft_many
from eligibility.registry.importer import draft_trial, find_overrides
from eligibility.resources import bundled_rules_dir
from eligibility.trials.load import read_trial

from conftest import CLI, DATA, ROOT

# ../shared beside the checkout (or beside the folder of worktrees)
SHARED = next((p / "shared" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()), ROOT / "shared")
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


def _study(nct: str, criteria: str | None, **fields) -> dict:
    module = {"eligibilityCriteria": criteria, **fields} if criteria is not None else None
    protocol: dict = {"identificationModule": {"nctId": nct, "briefTitle": f"Study {nct}"}}
    if module is not None:
        protocol["eligibilityModule"] = module
    return {"protocolSection": protocol}


def test_ctgov_search_result_and_json_lines_of_studies_draft_one_file_each_and_report_missing_modules(tmp_path):
    studies = [
        _study("NCT00000011", "Inclusion Criteria:\n* BMI > 30\n", minimumAge="18 Years", sex="MALE"),
        _study("NCT00000012", None),
        _study("NCT00000013", "Exclusion Criteria:\n* HIV infection\n", healthyVolunteers=True),
    ]
    wrapper = tmp_path / "search.json"
    wrapper.write_text(json.dumps({"studies": studies}), encoding="utf-8")
    lines = tmp_path / "studies.jsonl"
    lines.write_text("\n".join(json.dumps(s) for s in studies) + "\n", encoding="utf-8")
    for source in (wrapper, lines):
        summary = draft_many(source, tmp_path / source.stem)
        assert summary.trials == 2 and len(summary.errors) == 1
        assert "study NCT00000012 has no eligibilityModule" in str(summary.errors[0])
        first = read_trial((tmp_path / source.stem / "NCT00000011.yaml").read_text(encoding="utf-8"), "x", None)[0]
        assert (first.population.min_age, first.population.sex) == ("18 years", "male")
        assert render(first.clause("I1").rule) == "bmi > 30 kg/m^2"
        assert "Accepts healthy volunteers: yes" in (tmp_path / source.stem / "NCT00000013.yaml").read_text()


def test_a_single_study_without_criteria_is_an_error_naming_it(tmp_path):
    path = tmp_path / "study.json"
    path.write_text(json.dumps(_study("NCT00000014", None)), encoding="utf-8")
    with pytest.raises(Exception) as caught:
        draft_trial(path, use_bundled=False)
    assert "study NCT00000014 has no eligibilityModule" in str(caught.value)


def test_the_import_summary_counts_clauses_after_the_overrides(tmp_path):
    override = tmp_path / "o.yaml"
    override.write_text("record: ctgov_study.json\ncriteria:\n  E1: {rule: null}\n", encoding="utf-8")
    _text, summary = draft_trial(DATA / "ctgov_study.json", override)
    assert summary.startswith("NCT09999999: 7 clauses drafted — 4 read fully, 0 partly, 3 left for review")


def test_import_and_parse_take_extra_vocabulary(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "concepts:\n  - id: typhoid\n    name: typhoid fever\n    category: condition\n"
        "    aliases: [typhoid, typhoid fever]\n    is_a: [infection]\n",
        encoding="utf-8",
    )
    text = "history of typhoid in the previous 6 months"
    plain = subprocess.run([*CLI, "parse", text, "--kind", "exclusion"], capture_output=True, text=True)
    extended = subprocess.run(
        [*CLI, "parse", text, "--kind", "exclusion", "--vocabulary", str(extra)], capture_output=True, text=True
    )
    assert plain.stdout.strip() == "has condition typhoid_fever within 6 months"  # the Disease Ontology's
    assert extended.stdout.strip() == "has condition typhoid within 6 months"  # the extra file's name wins


def test_one_heading_per_section_makes_no_cohort(tmp_path):
    source = tmp_path / "c.jsonl"
    criteria = (
        "Inclusion Criteria:\nTo Novato workers\n  -  1 to 2 days in the company\n  -  Age 18 to 60 years\n"
        "Exclusion Criteria:\nFor all workers\n  -  Pregnant women\n  -  People with disabilities.\n"
    )
    source.write_text(json.dumps({"nct": "NCT00000021", "criteria": criteria}) + "\n", encoding="utf-8")
    draft_many(source, tmp_path / "out")
    (trial,) = load_trials([tmp_path / "out"])
    assert trial.cohorts == {} and render(trial.clause("E1").rule) == "has active condition pregnancy"


@pytest.mark.parametrize(
    "fields",
    [{"eligibilityCriteria": ["Age >= 18 years"]}, {"eligibilityCriteria": 18}, {"eligibilityCriteria": "  "}],
    ids=["list", "number", "blank"],
)
def test_api_v2_criteria_that_are_not_text_are_reported_not_drafted(tmp_path: Path, fields: dict):
    study = {"protocolSection": {"identificationModule": {"nctId": 5}, "eligibilityModule": fields}}
    path = tmp_path / "study.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    with pytest.raises(EligibilityError) as caught:
        draft_trial(path, use_bundled=False)
    assert caught.value.location.file == str(path)
    assert "has no eligibilityModule.eligibilityCriteria" in caught.value.message
