"""eligibility: clinical-trial eligibility criteria as typed rules, screened with three-valued logic.

Typical use::

    from eligibility import load_trials, read_patients, Screener
    screener = Screener(load_trials(["rules/"]))
    for patient in read_patients("patients.jsonl"):
        report = screener.screen(patient)
"""

from .api import evaluate_rule, prepare_rule
from .errors import EligibilityError
from .parsing import parse_rule
from .patient import Patient, read_patients
from .render import render
from .rulefile import check_files, load_trials, read_trial
from .screening import PatientReport, Screener, TrialResult
from .truth import Truth
from .vocabulary import Vocabulary, default_vocabulary, load_vocabulary

__all__ = [
    "EligibilityError", "Patient", "PatientReport", "Screener", "TrialResult", "Truth", "Vocabulary",
    "check_files", "default_vocabulary", "evaluate_rule", "load_trials", "load_vocabulary", "parse_rule", "prepare_rule", "read_patients", "read_trial", "render",
]
__version__ = "0.1.0"
