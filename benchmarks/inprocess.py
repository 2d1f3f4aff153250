"""In-process screening rate of ``screen --format summary --jobs 1``, measured in one run.

    python benchmarks/inprocess.py [--patients N] [--seed K] [--repeat R] [--profile FILE]

Synthetic patients (``eligibility.patient.synth``) are written as JSON Lines to a temporary file, then:
- read floor: the same file read into contract patients only (``read_patients``);
- summary: read, screened against the bundled trials and written as ``--format summary`` lines on one core
  (the path ``eligibility screen FILE --format summary --jobs 1`` takes after start-up);
- json: the same with ``--format json``.
Rates are patient-trial pairs (one per trial result, a cohort of a basket trial counting once) per CPU second
(the machine may be shared: wall seconds are shown beside), best of ``--repeat`` runs; ``--profile FILE``
writes a cProfile of one summary run to FILE instead.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import tempfile
import time
from datetime import date
from pathlib import Path

from eligibility.output.write import ReportStyle
from eligibility.patient.contract import read_patients
from eligibility.patient.synth import Synthesizer
from eligibility.resources import bundled_rules_dir
from eligibility.screen.batch import ScreenSetup, screen_many

AS_OF = date(2026, 11, 1)


def run(setup: ScreenSetup, screener, path: Path, style: ReportStyle | None) -> tuple[float, float, int]:
    """CPU and wall seconds to read (and, with ``style``, screen and write) every patient of ``path``, and the
    pairs written (patients read without ``style``)."""
    start, cpu = time.perf_counter(), time.process_time()
    pairs = 0
    if style is None:
        pairs = sum(1 for _ in read_patients(path, screener.vocabulary))
    else:
        for kind, text in screen_many(setup, read_patients(path, screener.vocabulary), style, 1, screener):
            assert kind == "ok", text
            pairs += text.count('"trial":') if style.format == "summary" else len(json.loads(text)["results"])
    return time.process_time() - cpu, time.perf_counter() - start, pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="write a cProfile of one summary run here")
    args = parser.parse_args()

    setup = ScreenSetup((bundled_rules_dir(),))
    screener = setup.build()
    gc.freeze()  # as the command line does: the compiled trials live as long as the process
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "patients.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for patient in Synthesizer(args.seed, AS_OF).patients(args.patients):
                handle.write(json.dumps(patient, ensure_ascii=False) + "\n")
        summary = ReportStyle("summary", fallback=AS_OF)
        if args.profile:
            cProfile.runctx("run(setup, screener, path, summary)", globals(), locals(), str(args.profile))
            return
        read = min(run(setup, screener, path, None) for _ in range(args.repeat))
        summary = min(run(setup, screener, path, summary) for _ in range(args.repeat))
        full = min(run(setup, screener, path, ReportStyle("json", fallback=AS_OF)) for _ in range(args.repeat))
    pairs = summary[2]
    print(f"patients: {args.patients:,}; trials: {len(screener.trials)}; pairs: {pairs:,}; best of {args.repeat}")
    print("| what | CPU s | wall s | pairs/s (CPU) |\n|---|---|---|---|")
    for name, (cpu, wall, _) in (("read floor (JSON Lines → patients)", read), ("summary", summary), ("json", full)):
        rate = f"{args.patients / cpu:,.0f} patients/s" if name.startswith("read") else f"{pairs / cpu:,.0f}"
        print(f"| {name}, one core | {cpu:.2f} | {wall:.2f} | {rate} |")
    print(f"| summary / read floor (CPU) | {summary[0] / read[0]:.1f}× | | |")


if __name__ == "__main__":
    main()
