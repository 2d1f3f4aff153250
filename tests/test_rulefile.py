"""Rule files: every problem of a file reported at once, each message exact (tests/data/bad_rules)."""

from pathlib import Path

import pytest
from hypothesis import given

from eligibility import check_files, load_trials
from eligibility.errors import ErrorGroup
from eligibility.resources import bundled_rules_dir
from eligibility.trials.dump import dump_trial, trial_to_data
from eligibility.trials.load import read_trial

from conftest import DATA, load_cases
from strategies import trial_files

BAD = DATA / "bad_rules"
EXPECTED = load_cases("bad_rules/expected.yaml")


@pytest.mark.parametrize("name", list(EXPECTED))
def test_lint_messages(name):
    path = BAD / name
    trials, errors = check_files([path])
    assert trials == []
    assert "\n".join(str(e) for e in errors) == EXPECTED[name].replace("{dir}", str(BAD))


def test_every_bad_file_is_covered():
    assert {p.name for p in BAD.glob("*.yaml")} - {"expected.yaml"} == set(EXPECTED)


def test_load_trials_raises_one_group_with_every_problem():
    with pytest.raises(ErrorGroup) as caught:
        load_trials([BAD / "many_problems.yaml", BAD / "schema.yaml"])
    assert len(caught.value.errors) == 8
    assert str(caught.value).endswith("8 problem(s) in rule files")


def test_bundled_rules_load_clean():
    trials, errors = check_files([bundled_rules_dir()])
    assert errors == []
    assert sorted(t.id for t in trials) == [
        "ChiCTR2600117810",
        "ChiCTR2600127018",
        "MESEMS-Karolinska",
        "NCT05828212",
        "NCT07246096",
    ]


def test_population_fields_become_clauses(tmp_path: Path):
    path = tmp_path / "t.yaml"
    path.write_text(
        "id: T\npopulation: {min_age: 18 years, max_age: 60 years, sex: female}\n"
        "criteria:\n  - {id: I1, kind: inclusion, text: Adults}\n",
        encoding="utf-8",
    )
    (trial,) = load_trials([path])
    assert [(c.id, c.text) for c in trial.clauses[:3]] == [
        ("min_age", "Minimum age: 18 years"),
        ("max_age", "Maximum age: 60 years"),
        ("sex", "Sex: female"),
    ]
    assert trial.clause("I1").needs_review


def test_duplicate_trial_ids_across_files(tmp_path: Path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("id: SAME\ncriteria:\n  - {id: I1, kind: inclusion, text: x}\n")
    trials, errors = check_files([tmp_path])
    assert len(trials) == 1
    assert str(errors[0]) == (
        f"{tmp_path / 'b.yaml'}: trial id 'SAME' is also used by {tmp_path / 'a.yaml'}\n"
        "  fix: give every trial its own id"
    )


@given(trial_files())
def test_dump_then_load_gives_the_same_trial(data):
    first, errors = read_trial(dump_trial(data), "generated.yaml")
    assert errors == []
    second, errors = read_trial(dump_trial(trial_to_data(first)), "dumped.yaml")
    assert errors == []
    assert second == first


@given(trial_files())
def test_libyaml_and_the_python_parser_read_the_same_data_and_positions(data):
    from eligibility.trials.yamlsource import _load_checked, load_yaml

    text = dump_trial(data)
    assert load_yaml(text, "f.yaml") == _load_checked(text, "f.yaml", text.splitlines())
