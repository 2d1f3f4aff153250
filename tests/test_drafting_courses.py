"""Drafting doses, first/last doses, disease duration and age at onset: read exactly, or left for review."""

import pytest

from eligibility.lang import ast
from eligibility.lang.render import render
from eligibility.text import parse_criterion
from eligibility.text.rules import draft_rule


def _draft(text: str, kind: str = "exclusion"):
    return draft_rule(parse_criterion(text), kind)


def _nodes(rule, kind):
    return [n for n in ast.walk(rule) if isinstance(n, kind)] if rule is not None else []


@pytest.mark.parametrize(
    "text",
    [
        "prednisone > 10 mg",  # per dose or per day? not said
        "prednisone 20 mg twice daily > 10 mg",
        "methotrexate > 25 mg per week",
        "甲氨蝶呤剂量>25mg/周",
        "cumulative dose of prednisone > 1 g/day",
        "doxorubicin > 500 mg/m2",
        "norepinephrine > 0.1 mcg/kg/min",
        "Low dose aspirin (< 100 mg daily) is allowed",
        "current use of prednisone > 10 mg/day",  # no rule form says "a current dose"
        "systemic corticosteroids > 15 mg/day",  # a class: its drugs' doses differ
        "opiate usage at least 60 mg/day of morphine equivalent",  # an equivalent of a non-glucocorticoid
        "simvastatin, rosuvastatin at doses greater than 10 mg/d",  # a list sharing one threshold
    ],
)
def test_a_dose_not_said_to_be_per_day_of_one_drug_is_never_read(text):
    assert _nodes(_draft(text).rule, ast.DoseComparison) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("prednisone > 10 mg/day", "has medication prednisone dose > 10 mg/day"),
        ("prednisone > 0.01 g/day", "has medication prednisone dose > 0.01 g/day"),
        (
            "Prednisone >= 0.5 mg/kg/day within 4 weeks",
            "has medication prednisone dose >= 0.5 mg/kg/day within 4 weeks",
        ),
        (
            "greater than 10 mg of prednisone (or equivalent) daily in the last 6 months",
            "has medication systemic_corticosteroid dose > 10 mg/day as prednisone within 6 months",
        ),
        ("泼尼松≥10mg/天", "has medication prednisone dose >= 10 mg/day"),
        ("No prednisone > 10 mg/day within 4 weeks", "not has medication prednisone dose > 10 mg/day within 4 weeks"),
        (
            "methylprednisolone > 500 mg/day for more than 3 days",
            "has medication methylprednisolone dose > 500 mg/day for at least 4 days",
        ),
    ],
)
def test_a_daily_dose_is_read_with_its_number_unit_comparator_and_window(text, expected):
    draft = _draft(text)
    assert draft.coverage == "rule" and render(draft.rule) == expected


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("Duration of diabetes >= 6 months", "inclusion", "duration of condition diabetes >= 6 months"),
        (
            "Multiple sclerosis with a disease duration of less than 1 year",
            "inclusion",
            "duration of condition multiple_sclerosis < 1 year",
        ),
        (
            "Diagnosis of type 2 diabetes for at least 3 months",
            "inclusion",
            "duration of condition type_2_diabetes >= 3 months",
        ),
        ("系统性红斑狼疮病程<6个月", "exclusion", "duration of condition sle < 6 months"),
        ("Onset of multiple sclerosis before age 18", "inclusion", "age at onset of multiple_sclerosis < 18 years"),
        ("多发性硬化发病年龄>=50岁", "exclusion", "age at onset of multiple_sclerosis >= 50 years"),
        (
            "Last dose of rituximab less than 6 months before enrolment",
            "exclusion",
            "last dose of rituximab less than 6 months ago",
        ),
        ("首次使用利妥昔单抗距入组≥2个月", "inclusion", "first dose of rituximab at least 2 months ago"),
        (
            "RA diagnosed ≥ 6 months prior to screening",
            "inclusion",
            "duration of condition rheumatoid_arthritis >= 6 months",
        ),
        (
            "At least 6 months since diagnosis of rheumatoid arthritis",
            "inclusion",
            "duration of condition rheumatoid_arthritis >= 6 months",
        ),
        (
            "Multiple sclerosis with disease duration between 2 and 10 years",
            "inclusion",
            "duration of condition multiple_sclerosis >= 2 years and "
            "duration of condition multiple_sclerosis <= 10 years",
        ),
        (
            "Diagnosed with multiple sclerosis before 18 years of age",
            "inclusion",
            "age at onset of multiple_sclerosis < 18 years",
        ),
        (
            "Last rituximab infusion more than 6 months before randomization",
            "inclusion",
            "last dose of rituximab more than 6 months ago",
        ),
        ("Time since last dose of rituximab ≥ 6 months", "inclusion", "last dose of rituximab at least 6 months ago"),
        (
            "At least 4 weeks since the last dose of methotrexate",
            "inclusion",
            "last dose of methotrexate at least 4 weeks ago",
        ),
    ],
)
def test_durations_onsets_and_dose_timings_are_read(text, kind, expected):
    draft = _draft(text, kind)
    assert draft.coverage == "rule" and render(draft.rule) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Disease duration of at least 5 years",  # which disease?
        "病程≥6个月",
        "Caregiver of someone diagnosed with dementia within the past 6 months",
        "Subject has been diagnosed with or treated for cancer in the last 12 months.",
        "Family history of diabetes diagnosed before age 40",
        "Contraception for at least 12 months after the last dose of ocrelizumab",
        "Symptom duration of diabetes < 2 weeks",
        "Diagnosed with myasthenia gravis at least 6 months (180 days) prior to screening",  # two times: which?
        "Males must refrain from sperm donation to 90 days after the final dose of study drug",
        "Contraception for 3 months after the last dose of rituximab",
    ],
)
def test_an_onset_that_is_not_the_patients_first_diagnosis_is_not_read(text):
    rule = _draft(text, "inclusion").rule
    assert _nodes(rule, (ast.DiseaseDuration, ast.AgeAtOnset, ast.DoseTiming)) == []


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        (
            "For patients receiving rituximab: last dose of rituximab at least 6 months before enrolment",
            "inclusion",
            "if has medication rituximab then last dose of rituximab at least 6 months ago",
        ),
        (
            "If receiving prednisone, ALT < 3 x ULN",
            "inclusion",
            "if has active medication prednisone then alt < 3 x ULN",
        ),
        ("If female, negative pregnancy test", "inclusion", "if sex is female then pregnancy_test is negative"),
        ("对于肝硬化患者,总胆红素<3mg/dL", "inclusion", "if has condition cirrhosis then total_bilirubin < 3 mg/dL"),
        (
            "For women of childbearing potential: positive pregnancy test",
            "exclusion",
            "has condition childbearing_potential and pregnancy_test is positive",
        ),
    ],
)
def test_a_clause_saying_whom_it_concerns_is_an_implication_when_both_sides_are_read(text, kind, expected):
    draft = _draft(text, kind)
    assert draft.coverage == "rule" and render(draft.rule) == expected


@pytest.mark.parametrize(
    "text",
    [
        "For participants with plaque psoriasis: stable plaque psoriasis for at least 6 months",  # "plaque" unread
        "If receiving hydroxyurea, must have been receiving the drug for at least 14 weeks prior to screening",
        "For patients receiving rituximab: last dose of rituximab at least 6 months before enrolment and stable",
    ],
)
def test_no_implication_unless_both_sides_are_read(text):
    assert _nodes(_draft(text, "inclusion").rule, ast.Implies) == []
