"""Write the OMOP CDM test fixture (``tests/data/omop/``): the bundled example patients and a few synthetic
patients as OMOP tables (CSV), and the same patients in the JSON contract (``patients.jsonl``).

    python scripts/omop_fixture.py [--out DIR] [--synthetic N]

Only what OMOP can say is kept on both sides: records whose concept has a code in a vocabulary OMOP uses
(LOINC, SNOMED, ICD10CM, RxNorm, CVX, ICD10PCS, CPT4); conditions recorded as absent, medications ended on an
unknown day, ``complete`` and age-only patients are left out; units are written in their canonical spelling on
the contract side (as the adapter reads them). A resolved condition without an end date ends on
its onset (what the contract means by it). Concept ids are local ones (from 2,000,000,001, OMOP's range for
site concepts); gender uses the standard 8507/8532. Some units are written as UCUM unit concepts, the others as
``unit_source_value`` text, so that both paths are covered.
"""

from __future__ import annotations

import argparse
import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from eligibility.patient.synth import Synthesizer
from eligibility.vocab.codes import CPT, CVX, ICD10CM, ICD10PCS, LOINC, RXNORM, SNOMED
from eligibility.vocab.units import canonical_unit
from eligibility.vocab.vocabulary import default_vocabulary

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "omop"
AS_OF = date(2026, 11, 1)
VOCABULARY_IDS = {LOINC: "LOINC", SNOMED: "SNOMED", ICD10CM: "ICD10CM", RXNORM: "RxNorm", CVX: "CVX"}
VOCABULARY_IDS |= {ICD10PCS: "ICD10PCS", CPT: "CPT4"}
SYSTEMS = {
    "condition": (SNOMED, ICD10CM),
    "medication": (RXNORM,),
    "immunization": (CVX,),
    "procedure": (SNOMED, ICD10PCS, CPT),
    "event": (SNOMED,),
}
UCUM = {"mg/dL": "mg/dL", "10^9/L": "10*9/L", "g/L": "g/L", "umol/L": "umol/L", "mmol/L": "mmol/L", "U/L": "U/L"}
WORDS = {"positive": "10828004", "negative": "260385009"}  # SNOMED qualifier values
COLUMNS = {
    "person": "person_id gender_concept_id year_of_birth month_of_birth day_of_birth person_source_value",
    "observation_period": "observation_period_id person_id observation_period_start_date observation_period_end_date",
    "measurement": "measurement_id person_id measurement_concept_id measurement_date value_as_number "
    "value_as_concept_id unit_concept_id range_low range_high measurement_source_value unit_source_value",
    "observation": "observation_id person_id observation_concept_id observation_date value_as_number "
    "value_as_string value_as_concept_id unit_concept_id observation_source_value",
    "condition_occurrence": "condition_occurrence_id person_id condition_concept_id condition_start_date "
    "condition_end_date condition_source_value",
    "drug_exposure": "drug_exposure_id person_id drug_concept_id drug_exposure_start_date drug_exposure_end_date "
    "drug_source_value",
    "procedure_occurrence": "procedure_occurrence_id person_id procedure_concept_id procedure_date "
    "procedure_source_value",
    "concept": "concept_id concept_name domain_id vocabulary_id concept_class_id standard_concept concept_code "
    "valid_start_date valid_end_date invalid_reason",
}


class Fixture:
    """Collects the OMOP rows and the contract patients."""

    def __init__(self) -> None:
        self.vocabulary = default_vocabulary()
        self.tables: dict[str, list[list]] = {name: [] for name in COLUMNS}
        self.concepts: dict[tuple[str, str], int] = {}
        self.patients: list[dict] = []

    def concept(self, vocabulary_id: str, code: str, name: str, domain: str) -> int:
        """The local concept id of a code, adding its concept row the first time."""
        key = (vocabulary_id, code)
        if key not in self.concepts:
            ident = self.concepts[key] = 2_000_000_001 + len(self.concepts)
            self.tables["concept"].append([ident, name, domain, vocabulary_id, "", "S", code, "1970-01-01", "", ""])
        return self.concepts[key]

    def code_of(self, category: str, concept_id: str) -> tuple[str, str] | None:
        """A (system, code) bound to exactly this concept, or None."""
        for system in SYSTEMS[category]:
            for code in sorted(self.vocabulary.codes.codes_of(system, concept_id)):
                if self.vocabulary.codes.lookup(system, code) == (concept_id,):
                    return system, code
        return None

    def row(self, table: str, *cells) -> None:
        """Add a row to ``table``; its id is its position."""
        self.tables[table].append([len(self.tables[table]) + 1, *cells])

    def add(self, source: dict) -> None:
        """One contract patient, as OMOP rows and as its OMOP-expressible contract twin."""
        if "birth_date" not in source and "birth_partial" not in source:
            return
        pid = len(self.patients) + 1
        kept: dict = {"id": str(pid), "as_of": str(source.get("as_of") or AS_OF)}
        year, month, day = [*(source.get("birth_date") or source["birth_partial"]).split("-"), "", ""][:3]
        if pid % 5 == 0 or pid % 7 == 0:  # some births known to the month or the year only
            source = {k: v for k, v in source.items() if k != "birth_date"}
            day, month = "", (month if pid % 5 == 0 else "")
            source["birth_partial"] = f"{year}-{month}" if month else year
        kept.update({k: source[k] for k in ("birth_date", "birth_partial", "sex") if k in source})
        gender = {"female": 8532, "male": 8507}.get(source.get("sex", ""), 0)
        self.tables["person"].append([pid, gender, year, month, day, source["id"]])
        self.row("observation_period", pid, f"{year}-{month or '01'}-{day or '01'}", kept["as_of"])
        observations = [o for o in map(self.observation, [pid] * 99, source.get("observations", ())) if o]
        kept["observations"] = observations
        for field, category in (("conditions", "condition"), ("medications", "medication")):
            kept[field] = [r for r in (self.record(pid, category, x) for x in source.get(field, ())) if r]
        for field, category in (("immunizations", "immunization"), ("procedures", "procedure"), ("events", "event")):
            kept[field] = [r for r in (self.record(pid, category, x) for x in source.get(field, ())) if r]
        self.observed(pid, kept)
        self.patients.append({k: v for k, v in kept.items() if v != []})

    def observed(self, pid: int, kept: dict) -> None:
        """Rows of the observation table: a pregnancy (a condition) for every other woman, an HBsAg result
        (a qualitative measure) for every third patient."""
        when = "2026-10-20"
        if kept.get("sex") == "female" and pid % 2 == 0:
            ident = self.concept("SNOMED", "77386006", "Pregnancy", "Observation")
            self.row("observation", pid, ident, when, "", "", "", "", "77386006")
            kept["conditions"].append({"code": "pregnancy", "status": "active", "onset": when})
        if pid % 3 == 0:
            ident = self.concept("LOINC", "5196-1", "hepatitis B surface antigen", "Observation")
            word = self.concept("SNOMED", WORDS["negative"], "Negative", "Meas Value")
            self.row("observation", pid, ident, when, "", "", word, "", "5196-1")
            kept["observations"].append({"code": "hbsag", "value": "negative", "date": when})

    def observation(self, pid: int, item: dict) -> dict | None:
        """A measurement row for a contract observation (None when its measure has no LOINC code)."""
        measure = self.vocabulary.measure(item["code"])
        codes = self.vocabulary.codes.codes_of(LOINC, measure.id) if measure else []
        loinc = (measure.loinc if measure else None) or (sorted(codes)[0] if codes else None)
        if measure is None or loinc is None:
            return None
        concept = self.concept("LOINC", loinc, measure.name, "Measurement")
        value, unit = item["value"], item.get("unit", "")
        kept = {"code": measure.id, "value": value, "date": item["date"]}
        if isinstance(value, str):
            word = self.concept("SNOMED", WORDS[value], value.capitalize(), "Meas Value")
            self.row("measurement", pid, concept, item["date"], "", word, "", "", "", loinc, "")
            return kept
        unit_concept = self.concept("UCUM", UCUM[unit], unit, "Unit") if unit in UCUM else ""
        low, high = item.get("low", ""), item.get("high", "")
        self.row("measurement", pid, concept, item["date"], value, "", unit_concept, low, high, loinc, unit)
        return kept | {"unit": canonical_unit(unit)} | {k: item[k] for k in ("low", "high") if k in item}

    def record(self, pid: int, category: str, item: dict) -> dict | None:
        """The OMOP row of a condition, medication, immunization, procedure or event (None when inexpressible)."""
        concept = self.vocabulary.concept(item["code"], category)
        bound = self.code_of(category, concept.id) if concept else None
        if concept is None or bound is None or item.get("status") in ("absent", "ended"):
            return None
        system, code = bound
        ident = self.concept(VOCABULARY_IDS[system], code, concept.name, category.capitalize())
        if category == "condition":
            onset = item.get("onset", "")
            end = item.get("end") or (onset if item.get("status") == "resolved" else "")
            self.row("condition_occurrence", pid, ident, onset, end, code)
            return (
                {"code": concept.id, "status": "resolved" if end else "active"}
                | ({"onset": onset} if onset else {})
                | ({"end": end} if end else {})
            )
        if category in ("medication", "immunization"):
            start = item.get("start") or item.get("date", "")
            end = item.get("end", "") if category == "medication" else ""
            self.row("drug_exposure", pid, ident, start, end, code)
            dates = {"start": start, "end": end} if category == "medication" else {"date": start}
            return {"code": concept.id, **{k: v for k, v in dates.items() if v}}
        table = "procedure_occurrence" if category == "procedure" else "observation"
        when = item.get("date", "")
        if table == "observation":
            self.row(table, pid, ident, when, "", "", "", "", code)
        else:
            self.row(table, pid, ident, when, code)
        return {"code": concept.id, **({"date": when} if when else {})}

    def write(self, out: Path) -> None:
        """Write the CSV tables and ``patients.jsonl`` into ``out``."""
        out.mkdir(parents=True, exist_ok=True)
        for name, rows in self.tables.items():
            with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(COLUMNS[name].split())
                writer.writerows(rows)
        with (out / "patients.jsonl").open("w", encoding="utf-8") as handle:
            for patient in self.patients:
                handle.write(json.dumps(patient, ensure_ascii=False, default=_plain) + "\n")


def _plain(value):
    return str(value) if isinstance(value, (Decimal, date)) else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the tables (default: the test fixture)")
    parser.add_argument("--synthetic", type=int, default=12, help="synthetic patients after the examples")
    args = parser.parse_args()
    fixture = Fixture()
    examples = sorted((ROOT / "examples" / "patients").glob("*.json"))
    for path in examples:
        fixture.add(json.loads(path.read_text(encoding="utf-8")))
    for patient in Synthesizer(11, AS_OF).patients(args.synthetic):
        fixture.add(patient)
    fixture.write(args.out)
    counts = {name: len(rows) for name, rows in fixture.tables.items()}
    print(f"{len(fixture.patients)} patients, {sum(counts.values())} rows: {counts}")


if __name__ == "__main__":
    main()
