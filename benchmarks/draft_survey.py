"""Survey of registry text the drafter could read with rule language v2: `python benchmarks/draft_survey.py
[FILE.jsonl]` segments every trial of ../shared/corpus/ctgov_criteria.jsonl (or FILE) into clauses and counts
those with a dose near a known medication (by unit form), a disease duration or time since diagnosis, an age at
onset or diagnosis, a first/last dose timing, a stable dose, and a conditional opening ("for women of …:", "if
receiving …"). Counts are clauses (one clause may fall in several categories)."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

from eligibility.text.lexicon import lexicon
from eligibility.text.segment import leaves, segment
from eligibility.vocab.vocabulary import default_vocabulary

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "ctgov_criteria.jsonl"
_NUM = r"\d+(?:[.,]\d+)?"
DOSE = re.compile(
    rf"(?i){_NUM}\s*(?:mg|g|mcg|ug|µg|iu|units?)\b\s*(?P<per>/\s*kg\s*(?:/\s*(?:day|d)\b|per day)?|/\s*m\s*(?:2|²|\^2)|"
    r"/\s*(?:day|d|24\s*h)\b|per\s+(?:day|kg|m2)|daily|a day|/\s*(?:week|wk)|per week|weekly|cumulative)?"
    r"|\d+\s*(?:毫克|mg)\s*(?:/\s*(?:天|日|d)|每[天日])?"
)
CATEGORIES = {
    "disease duration / time since diagnosis": re.compile(
        r"(?i)\b(?:disease|illness|symptom|diabetes|asthma|ms|psoriasis|ra)\s+duration\b|duration of (?:the )?"
        r"(?:disease|illness|diabetes|symptoms?|ms|psoriasis|condition)|\bdiagnos(?:ed|is)\b[^.;]{0,40}\b(?:at least|"
        r"more than|for|within|less than|over|>|≥|<|≤)\s*\d+\s*(?:years?|months?|weeks?)|\d+\s*(?:years?|months?|"
        r"weeks?)\s+(?:since|after|from|of) (?:the )?(?:diagnosis|onset)|\bsince (?:diagnosis|onset)|"
        r"病程|确诊[^，。；]{0,8}\d"
    ),
    "age at onset / diagnosis": re.compile(
        r"(?i)\bage (?:at|of) (?:onset|diagnosis|first)|\bonset (?:before|after|at) (?:the )?age|\bdiagnosed (?:before|"
        r"after|at) (?:the )?age|\bonset[^.;]{0,20}\b(?:before|prior to) \d+ years of age|发病年龄|起病年龄|确诊年龄"
    ),
    "first / last dose timing": re.compile(
        r"(?i)\b(?:last|final|first|most recent)\s+(?:dose|administration|infusion|injection|treatment|course)\b|末次|"
        r"最后一次|首次(?:给药|用药|使用)"
    ),
    "stable dose": re.compile(r"(?i)\bstable\s+(?:daily\s+)?(?:dose|dosage|regimen)|稳定(?:剂量|计量)"),
    "conditional (for those …: / if …)": re.compile(
        r"(?i)^\W*(?:for (?:women|females|men|males|subjects|patients|participants|those)\b[^:]{0,80}:|if\s+\w+)|对于"
    ),
}


def _per(match: re.Match) -> str:
    per = (match.group("per") or "").lower().replace(" ", "") if match.groupdict().get("per") is not None else ""
    if match.group(0).startswith(tuple("0123456789")) and ("毫克" in match.group(0) or "/天" in match.group(0)):
        per = "day" if re.search(r"天|日|/d", match.group(0)) else ""
    if "kg" in per:
        return "mg/kg"
    if "m" in per and re.search(r"m(?:2|²|\^2)", per):
        return "per m2"
    if re.search(r"day|/d|24h|daily|aday|天|日", per):
        return "per day"
    if re.search(r"week|wk", per):
        return "per week"
    if "cumulative" in per:
        return "cumulative"
    return "no period"


def survey(path: Path) -> tuple[int, Counter, Counter]:
    """(clauses, counts by category, dose clauses by unit form)."""
    medications = lexicon(default_vocabulary()).concepts["medication"]
    counts: Counter = Counter()
    forms: Counter = Counter()
    total = 0
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            for item in leaves(segment(json.loads(line)["criteria"])):
                total += 1
                text = item.text
                doses = [m for m in DOSE.finditer(text) if m.group(0).strip()[:1].isdigit()]
                if doses and medications.find(text):
                    counts["dose near a known medication"] += 1
                    forms[_per(doses[0])] += 1
                elif doses and re.search(r"(?i)\b(?:dose|dosage|daily|treated with|therapy)\b|剂量", text):
                    counts["dose, medication not in the vocabulary"] += 1
                for name, pattern in CATEGORIES.items():
                    if pattern.search(text):
                        counts[name] += 1
    return total, counts, forms


def main() -> None:
    """Print the counts."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS
    total, counts, forms = survey(path)
    print(f"{total} clauses in {path.name}")
    for name, count in counts.most_common():
        print(f"{count:>6}  {name}")
    print("dose near a known medication, by unit form:")
    for name, count in forms.most_common():
        print(f"{count:>6}    {name}")


if __name__ == "__main__":
    main()
