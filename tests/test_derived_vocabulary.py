"""The widened derived vocabulary: Disease Ontology terms known by SNOMED CT only, and findings from the ICD-10-CM
tabular list. Names resolve to the concept they mean (golden cases in ``tests/data/derived_vocabulary.yaml``), and
no name is ever bound to a code set wider than its meaning: a code that covers more than a name (a composite
title, a parent) leaves the narrower question open instead of answering it."""

import json
from pathlib import Path

import pytest
import yaml
from test_language_v2 import both_engines

from eligibility.resources import data_path
from eligibility.text.output import describe
from eligibility.vocab.codes import ICD10CM, SNOMED
from eligibility.vocab.vocabulary import DERIVED, DERIVED_FILES, default_vocabulary, load_vocabulary, name_key

VOCABULARY = default_vocabulary()
GOLDEN = yaml.safe_load((Path(__file__).parent / "data" / "derived_vocabulary.yaml").read_text(encoding="utf-8"))
ICD_FILE = json.loads(data_path(DERIVED_FILES[1]).read_text(encoding="utf-8"))
DO_FILE = json.loads(data_path(DERIVED).read_text(encoding="utf-8"))
SYSTEMS = {"icd10cm": ICD10CM, "snomed": SNOMED}


@pytest.mark.parametrize(("name", "concept"), sorted(GOLDEN["names"].items()))
def test_names_resolve_to_the_concept_they_mean(name: str, concept: str):
    found = VOCABULARY.concept(name, "condition")
    assert found is not None and found.id == concept


@pytest.mark.parametrize("name", GOLDEN["not_names"])
def test_plain_words_and_acronyms_that_spell_words_are_not_conditions(name: str):
    assert VOCABULARY.concept(name, "condition") is None


@pytest.mark.parametrize("case", GOLDEN["codes"], ids=lambda c: f"{c['system']}:{c['code']}")
def test_a_code_reads_as_its_meaning_and_never_as_a_narrower_name(case: dict):
    found = [c.id for c in VOCABULARY.concepts_for_code(SYSTEMS[case["system"]], str(case["code"]))]
    reads = set().union(*(VOCABULARY.ancestors(c) for c in found))
    specific = [c for c in found if not any(c in VOCABULARY.ancestors(o) - {o} for o in found)]
    assert specific[0] == case["reads"][0] and set(case["reads"]) <= reads
    assert not set(case["not"]) & reads


def test_the_icd_file_names_its_source_licence_and_filter():
    about = ICD_FILE["about"]
    assert "ICD-10-CM" in about["source"] and "public domain" in about["licence"]
    assert about["generator"] == "scripts/build_icd_vocabulary.py" and "title" in about["filter"]
    assert "SNOMED CT" in DO_FILE["about"]["licence"]


def test_an_icd_code_is_bound_only_to_the_concept_its_own_title_names():
    """No widening: a concept made from an inclusion term or one part of a composite title has no code (a record
    of the code is unspecific for it), and a code is bound to the concept named by its title, never to a part."""
    icd = pytest.importorskip("simple_icd_10_cm")
    by_id = {c["id"]: c for c in ICD_FILE["concepts"]}
    for code, ids in ICD_FILE["codes"].items():
        concept = by_id[ids[0]]
        assert concept["icd"] == code and name_key(concept["name"]) == name_key(icd.get_description(code)), code
        assert all(i not in by_id for i in ids[1:]), code  # the rest: what the code read as before
    coded = {ids[0] for ids in ICD_FILE["codes"].values()}
    for concept in ICD_FILE["concepts"]:
        if concept["id"] not in coded:
            assert concept["is_a"] and concept["is_a"][0] in by_id, concept["id"]


def test_every_snomed_code_reads_as_its_term_and_keeps_the_hand_written_meaning():
    handwritten = load_vocabulary(derived=False)
    for code, ids in DO_FILE["snomed"].items():
        (concept,) = ids
        before = set(handwritten.codes.lookup(SNOMED, code))
        assert before <= VOCABULARY.ancestors(concept), code  # never loses what the code meant
        found = [c.id for c in VOCABULARY.concepts_for_code(SNOMED, code)]
        assert [c for c in found if not any(c in VOCABULARY.ancestors(o) - {o} for o in found)] == [concept], code


def test_no_derived_name_shadows_another_vocabulary_name():
    before = load_vocabulary(derived_files=(DERIVED,))
    taken = set(before.concept_names()) | set(before.measure_names())
    seen: dict[str, str] = {}
    for concept in ICD_FILE["concepts"]:
        for name in {name_key(n) for n in (concept["name"], *concept["aliases"])}:
            assert name not in taken, (concept["id"], name)
            assert seen.setdefault(name, concept["id"]) == concept["id"], name


@pytest.mark.parametrize(
    ("records", "rule", "truth", "reason"),
    [
        # a composite code ("Hyperosmolality and hypernatremia") neither has nor lacks hypernatremia
        (["hyperosmolality and hypernatremia"], "has condition hypernatremia", None, "unspecific"),
        ([], "has condition hypernatremia", False, "complete"),
        (["hypernatraemia"], "has condition hyperosmolality_and_hypernatremia", True, "decided"),
        # a parent ("volume depletion") does not say dehydration; dehydration is a volume depletion
        (["volume depletion"], "has condition dehydration", None, "unspecific"),
        (["dehydration"], "has condition volume_depletion", True, "decided"),
        # lung cancer does not say non-small cell; non-small cell lung cancer is a lung cancer
        (["lung cancer"], "has condition lung_non_small_cell_carcinoma", None, "unspecific"),
        (["non-small cell lung cancer"], "has condition lung_cancer", True, "decided"),
        (["lung small cell carcinoma"], "has condition lung_non_small_cell_carcinoma", False, "complete"),
        (["permanent atrial fibrillation"], "has condition atrial_fibrillation", True, "decided"),
    ],
)
def test_a_broader_record_leaves_the_narrower_name_open(records, rule, truth, reason):
    person = {"conditions": [{"code": c, "onset": "2026-01-01"} for c in records], "complete": ["conditions"]}
    in_process, in_sql = both_engines(VOCABULARY, rule, person)
    assert in_process == in_sql == (truth, reason)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Dehydration", "dehydration"),
        ("Malignant pleural effusion", "malignant_pleural_effusion"),
        ("Severe hypernatraemia", "hypernatremia"),
        ("history of CLL", "chronic_lymphocytic_leukemia"),
        ("Uncontrolled HCC", "hepatocellular_carcinoma"),
    ],
)
def test_drafting_finds_the_new_names(text: str, concept: str):
    assert f"condition {concept}" in describe(text, "text", "exclusion")


@pytest.mark.parametrize(
    ("text", "read", "never"),
    [
        ("non ischaemic cardiomyopathy", "cardiomyopathy", "ischemic_cardiomyopathy"),
        ("non Hodgkin lymphoma", "non_hodgkin_lymphoma", "condition hodgkin"),
        ("Patients with Glasgow Coma Scale (GCS) 15/15", "", "condition"),
        ("ECT during the current depressive episode", "", "condition"),
    ],
)
def test_a_name_after_a_separate_non_or_inside_a_measure_is_not_read(text: str, read: str, never: str):
    rule = describe(text, "text", "exclusion")
    assert read in rule and never not in rule


@pytest.mark.parametrize("text", ["history of cll", "All patients", "ALL PATIENTS", "history of aml"])
def test_acronyms_are_read_only_as_written(text: str):
    assert "condition" not in describe(text, "text", "exclusion")


@pytest.mark.parametrize(("kind", "of"), GOLDEN["kinds"])
def test_a_derived_concept_is_a_kind_of_what_it_names(kind: str, of: str):
    assert of in VOCABULARY.ancestors(kind)


@pytest.mark.parametrize(("concept", "not_of"), GOLDEN["not_kinds"])
def test_a_derived_concept_is_not_a_kind_of_a_wider_or_other_concept(concept: str, not_of: str):
    assert concept in VOCABULARY.concepts and not_of not in VOCABULARY.ancestors(concept)
