"""FHIR Bulk Data export: generate one from synthetic patients, then measure, in one run, reading it against
reading the same patients as contract JSON Lines, and the peak memory of streaming the export.

    python benchmarks/fhir_bulk.py                      # 10,000 patients, seed 1
    python benchmarks/fhir_bulk.py --patients 2000 --keep /tmp/export   # also keep the export folder

The same patients are written both ways: ``patients.jsonl`` (the contract, restricted to what FHIR can
express) and an export folder (``Patient.ndjson``, ``Observation.ndjson``, ``Condition.ndjson``,
``MedicationStatement.ndjson``, ``Procedure.ndjson``, ``Immunization.ndjson``). Reading means producing the
patients the screener takes (contract JSON: parsed and validated; FHIR: grouped by patient through the
on-disk index, mapped through the vocabulary, validated).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from eligibility.patient.contract import Patient, read_patients
from eligibility.patient.fhir_read import read_fhir
from eligibility.patient.fhir_write import resources
from eligibility.patient.index import index_patient
from eligibility.patient.synth import Synthesizer
from eligibility.vocab.units import unit_registry
from eligibility.vocab.vocabulary import default_vocabulary

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screen_corpus import _own_peak_mib

AS_OF = date(2026, 11, 1)
NOT_IN_FHIR = {"as_of", "age", "events", "complete", "warnings"}
TYPES = ("Patient", "Observation", "Condition", "MedicationStatement", "Procedure", "Immunization")


def generate(count: int, seed: int, folder: Path) -> Path:
    """Write ``count`` synthetic patients to ``folder/export`` (Bulk Data NDJSON) and ``folder/patients.jsonl``."""
    vocabulary = default_vocabulary()
    export = folder / "export"
    export.mkdir(parents=True, exist_ok=True)
    files = {kind: (export / f"{kind}.ndjson").open("w", encoding="utf-8") for kind in TYPES}
    with (folder / "patients.jsonl").open("w", encoding="utf-8") as contract:
        for data in Synthesizer(seed, AS_OF).patients(count):
            patient = Patient.model_validate(data)
            contract.write(patient.model_dump_json(exclude=NOT_IN_FHIR, exclude_defaults=True) + "\n")
            for item in resources(patient, vocabulary):
                files[item["resourceType"]].write(json.dumps(item, ensure_ascii=False) + "\n")
    for handle in files.values():
        handle.close()
    return export


def _probe(export: Path) -> None:
    """Child process: stream the export; print the number of patients and this process's peak RSS."""
    count = sum(1 for _ in read_fhir(export, default_vocabulary()))
    print(count, _own_peak_mib())


def _timed(work) -> tuple[float, int]:
    start = time.perf_counter()
    count = work()
    return time.perf_counter() - start, count


def main() -> None:
    """Generate, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the generated export and JSON Lines here")
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        return _probe(args.probe)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="eligibility-fhir-bench-"))
    try:
        export = generate(args.patients, args.seed, folder)
        size = sum(p.stat().st_size for p in export.iterdir()) / 2**20
        default_vocabulary()  # loaded once, outside both timings, as is the unit registry that screening needs
        unit_registry()
        vocabulary = default_vocabulary()
        contract, export_read = folder / "patients.jsonl", lambda: (p for p, _ in read_fhir(export, vocabulary))
        json_time, json_count = _timed(lambda: sum(1 for _ in read_patients(contract)))
        fhir_time, fhir_count = _timed(lambda: sum(1 for _ in export_read()))
        assert json_count == fhir_count == args.patients, (json_count, fhir_count)
        pairs = zip(read_patients(contract), export_read(), strict=True)  # the same patients, in the same order
        assert all(a.model_dump(exclude={"warnings"}) == b.model_dump(exclude={"warnings"}) for a, b in pairs)
        # Normalising against the vocabulary costs the same for both (the patients are equal): timed once.
        with_index, _ = _timed(lambda: sum(1 for p in read_patients(contract) if index_patient(p, vocabulary, AS_OF)))
        index_time = with_index - json_time
        command = [sys.executable, __file__, "--probe", str(export)]
        probed, peak = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()[-2:]
        assert int(probed) == args.patients
        print(f"patients: {args.patients:,}; export: {size:.1f} MiB in {len(TYPES)} NDJSON files")
        print(f"contract JSON Lines: {json_time:.2f} s ({args.patients / json_time:,.0f} patients/s)")
        print(f"FHIR Bulk Data export: {fhir_time:.2f} s ({args.patients / fhir_time:,.0f} patients/s)")
        print(f"FHIR / JSON read cost, to contract patients: {fhir_time / json_time:.2f}x")
        json_ready, fhir_ready = json_time + index_time, fhir_time + index_time
        print(
            f"ready to screen (read, then normalised against the vocabulary in {index_time:.2f} s): "
            f"JSON {json_ready:.2f} s, FHIR {fhir_ready:.2f} s, FHIR / JSON {fhir_ready / json_ready:.2f}x"
        )
        print(f"peak memory streaming the export (own process): {float(peak):.0f} MiB")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
