"""eligibility: clinical-trial eligibility criteria as typed rules, screened with three-valued logic.

Typical use::

    from eligibility import load_trials, read_patients, Screener
    screener = Screener(load_trials(["rules/"]))
    for patient in read_patients("patients.jsonl"):
        report = screener.screen(patient)
"""

from eligibility.api import evaluate_rule, prepare_rule
from eligibility.engine.truth import Truth
from eligibility.errors import EligibilityError
from eligibility.lang.parsing import parse_rule
from eligibility.lang.render import render
from eligibility.patient.contract import Patient, read_patients
from eligibility.screen.screener import PatientReport, Screener, TrialResult
from eligibility.trials.load import check_files, load_trials, read_trial
from eligibility.vocab.vocabulary import Vocabulary, default_vocabulary, load_vocabulary

__all__ = [
    "EligibilityError",
    "Patient",
    "PatientReport",
    "Screener",
    "TrialResult",
    "Truth",
    "Vocabulary",
    "check_files",
    "default_vocabulary",
    "evaluate_rule",
    "load_trials",
    "load_vocabulary",
    "parse_rule",
    "prepare_rule",
    "read_patients",
    "read_trial",
    "render",
]
__version__ = "0.1.0"
