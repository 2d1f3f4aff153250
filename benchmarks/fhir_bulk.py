"""FHIR Bulk Data export: generate one from synthetic patients, then measure, in one run, reading it against
reading the same patients as contract JSON Lines, and the peak memory of streaming the export.

    python benchmarks/fhir_bulk.py                      # 10,000 patients, seed 1
    python benchmarks/fhir_bulk.py --patients 2000 --keep /tmp/export   # also keep the export folder

The same patients are written both ways: ``patients.jsonl`` (the contract, restricted to what FHIR can
express) and an export folder (``Patient.ndjson``, ``Observation.ndjson``, ``Condition.ndjson``,
``MedicationStatement.ndjson``, ``Procedure.ndjson``, ``Immunization.ndjson``). Both sides are timed up to the
same point, the validated contract ``Patient`` objects the screener takes: contract JSON Lines read strictly
through the input boundary (limits, duplicate keys, exact numbers) and validated; the FHIR export read just as
strictly, grouped by patient through the on-disk index, mapped through the vocabulary and validated. The
vocabulary and unit registry are loaded before either timing. The two reads alternate ``--repeat`` times and
the best of each is kept, as CPU time of this process (user + system: what the machine, shared with other
work, cannot inflate much) and as wall time.
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


def _timed(work) -> tuple[float, float, int]:
    """(CPU seconds of this process, wall seconds, result) of ``work()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    count = work()
    return time.process_time() - cpu, time.perf_counter() - wall, count


def _best_of(repeat: int, *works) -> list[tuple[float, float, int]]:
    """Each work run ``repeat`` times, alternating; the least CPU and the least wall time of each."""
    runs: list[list[tuple[float, float, int]]] = [[] for _ in works]
    for _ in range(repeat):
        for found, work in zip(runs, works, strict=True):
            found.append(_timed(work))
    return [(min(r[0] for r in found), min(r[1] for r in found), found[0][2]) for found in runs]


def main() -> None:
    """Generate, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the generated export and JSON Lines here")
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each read (best kept)")
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        return _probe(args.probe)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="eligibility-fhir-bench-"))
    try:
        export = generate(args.patients, args.seed, folder)
        size = sum(p.stat().st_size for p in export.iterdir()) / 2**20
        contract_size = (folder / "patients.jsonl").stat().st_size / 2**20
        default_vocabulary()  # loaded once, outside both timings, as is the unit registry that screening needs
        unit_registry()
        vocabulary = default_vocabulary()
        contract, export_read = folder / "patients.jsonl", lambda: (p for p, _ in read_fhir(export, vocabulary))
        (json_cpu, json_wall, json_count), (fhir_cpu, fhir_wall, fhir_count) = _best_of(
            args.repeat, lambda: sum(1 for _ in read_patients(contract)), lambda: sum(1 for _ in export_read())
        )
        assert json_count == fhir_count == args.patients, (json_count, fhir_count)
        pairs = zip(read_patients(contract), export_read(), strict=True)  # the same patients, in the same order
        assert all(a.model_dump(exclude={"warnings"}) == b.model_dump(exclude={"warnings"}) for a, b in pairs)
        # Normalising against the vocabulary costs the same for both (the patients are equal): timed once.
        indexed = lambda: sum(1 for p in read_patients(contract) if index_patient(p, vocabulary, AS_OF))  # noqa: E731
        ((with_index, _, _),) = _best_of(1, indexed)
        index_cpu = with_index - json_cpu
        command = [sys.executable, __file__, "--probe", str(export)]
        probed, peak = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()[-2:]
        assert int(probed) == args.patients
        n = args.patients
        print(
            f"patients: {n:,}; export: {size:.1f} MiB in {len(TYPES)} NDJSON files; contract: {contract_size:.1f} MiB"
        )
        print(f"timed: each read from its files to validated contract patients, best of {args.repeat} alternating runs")
        print(f"contract JSON Lines: CPU {json_cpu:.2f} s ({n / json_cpu:,.0f} patients/s), wall {json_wall:.2f} s")
        print(f"FHIR Bulk Data export: CPU {fhir_cpu:.2f} s ({n / fhir_cpu:,.0f} patients/s), wall {fhir_wall:.2f} s")
        print(f"FHIR / JSON read cost: CPU {fhir_cpu / json_cpu:.2f}x, wall {fhir_wall / json_wall:.2f}x")
        json_ready, fhir_ready = json_cpu + index_cpu, fhir_cpu + index_cpu
        print(
            f"ready to screen (read, then normalised against the vocabulary in {index_cpu:.2f} s CPU): "
            f"JSON {json_ready:.2f} s, FHIR {fhir_ready:.2f} s, FHIR / JSON {fhir_ready / json_ready:.2f}x"
        )
        print(f"peak memory streaming the export (own process): {float(peak):.0f} MiB")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
