"""The conditions derived from the Human Disease Ontology (``eligibility/data/concepts_do.json``): provenance
stated, codes that exist in ICD-10-CM and imply their concept, names that never shadow a hand-written one, and a
hierarchy in which a patient with a kind of disease has the disease."""

import json

import pytest

from eligibility.resources import data_path
from eligibility.text.output import describe
from eligibility.vocab.codes import ICD10CM
from eligibility.vocab.vocabulary import DERIVED, default_vocabulary, load_vocabulary, name_key

VOCABULARY = default_vocabulary()
DATA = json.loads(data_path(DERIVED).read_text(encoding="utf-8"))
DERIVED_IDS = {c["id"] for c in DATA["concepts"]}


def test_the_file_names_its_source_licence_release_and_filter():
    about = DATA["about"]
    assert "Disease Ontology" in about["source"] and "CC0" in about["licence"]
    assert about["release"][:4].isdigit() and about["filter"] and about["generator"]


def test_every_code_exists_in_icd10cm_and_names_known_concepts():
    icd = pytest.importorskip("simple_icd_10_cm")
    for code, ids in DATA["codes"].items():
        assert icd.is_valid_item(code), code
        assert all(i in VOCABULARY.concepts for i in ids), (code, ids)


def test_no_derived_name_is_a_hand_written_name_or_shared_by_two_derived_concepts():
    handwritten = load_vocabulary(derived=False).concept_names()
    seen: dict[str, str] = {}
    for concept in DATA["concepts"]:
        for name in {name_key(n) for n in (concept["name"], *concept["aliases"])}:
            assert name not in handwritten, (concept["id"], name)
            assert seen.setdefault(name, concept["id"]) == concept["id"], name


def test_the_hierarchy_is_acyclic_and_every_parent_exists():
    for concept in VOCABULARY.concepts.values():
        assert all(parent in VOCABULARY.concepts for parent in concept.is_a), concept.id
        assert not any(concept.id in VOCABULARY.ancestors(parent) for parent in concept.is_a), concept.id


@pytest.mark.parametrize(
    "name,concept",
    [("cancer", "malignancy"), ("typhoid", "typhoid_fever"), ("gastroparesis", "gastroparesis")],
)
def test_names_resolve_with_hand_written_concepts_first(name, concept):
    assert VOCABULARY.concept(name, "condition").id == concept


@pytest.mark.parametrize(
    "concept,ancestor",
    [
        ("juvenile_myelomonocytic_leukemia", "leukemia"),  # a DO kind of a hand-written concept
        ("hepatitis_b", "hepatitis"),  # a hand-written concept under a DO term
        ("psoriatic_arthritis", "arthritis"),
        ("typhoid_fever", "infection"),
    ],
)
def test_kinds_of_a_disease_have_the_disease(concept, ancestor):
    assert ancestor in VOCABULARY.ancestors(concept)


@pytest.mark.parametrize(
    "concept,not_ancestor",
    [
        ("atopic_dermatitis", "allergic_contact_dermatitis"),  # DO's parent link, not what criteria mean
        ("neutropenia", "agranulocytosis"),
        ("nodular_prostate", "neoplasm"),  # DO's "neoplasm" synonym names all cell proliferation
        ("anterior_ischemic_optic_neuropathy", "peripheral_neuropathy"),  # DO's "neuropathy": cranial ones too
    ],
)
def test_wider_do_links_are_left_out(concept, not_ancestor):
    assert not_ancestor not in VOCABULARY.ancestors(concept)


@pytest.mark.parametrize(
    "code,concept,ancestor",
    [
        ("C93.30", "juvenile_myelomonocytic_leukemia", "leukemia"),  # under a DO code, keeps the chapter's concept
        ("K31.84", "gastroparesis", "gastroparesis"),
        ("A01.00", "typhoid_fever", "infection"),
        ("E11.9", "type_2_diabetes", "diabetes"),  # hand-written codes still win
    ],
)
def test_icd10cm_codes_bind_to_derived_conditions(code, concept, ancestor):
    found = [c.id for c in VOCABULARY.concepts_for_code(ICD10CM, code)]
    assert found[0] == concept and ancestor in set().union(*(VOCABULARY.ancestors(c) for c in found))


def test_a_code_wider_than_its_do_term_is_not_bound():
    # DO cross-references "tuberculous pneumothorax" to A15.0 (tuberculosis of lung): a lung TB patient has no
    # pneumothorax, so the code stays with active tuberculosis only.
    assert [c.id for c in VOCABULARY.concepts_for_code(ICD10CM, "A15.0")] == ["active_tuberculosis"]


@pytest.mark.parametrize(
    "text,concept",
    [
        ("History of gastroparesis", "gastroparesis"),
        ("Autosomal dominant polycystic kidney disease", "autosomal_dominant_polycystic_kidney_disease"),
        ("history of acute pancreatitis", "acute_pancreatitis"),  # the longest name wins over "pancreatitis"
        ("History of PTSD", "post_traumatic_stress_disorder"),  # an acronym of the label's initials
    ],
)
def test_drafting_reads_derived_conditions_by_their_longest_name(text, concept):
    assert describe(text, "text", "exclusion") in (f"has condition {concept}", f"has active condition {concept}")


@pytest.mark.parametrize(
    "text,concept",
    [
        ("SARS CoV-2 infection", "severe_acute_respiratory_syndrome"),  # an acronym that names another disease too
        ("Visual impairment", "blindness"),  # DO's exact synonym is wider than blindness
        ("acute cholecystitis", "cholecystitis"),  # DO's exact synonym is narrower: "acute" stays for review
        ("Paget's disease", "mammary_paget_s_disease"),  # of bone, most often
    ],
)
def test_do_synonyms_that_say_more_or_less_are_not_names(text, concept):
    rule = describe(text, "text", "exclusion")
    assert f"condition {concept}" not in rule or "review" in rule  # never read fully as that concept
