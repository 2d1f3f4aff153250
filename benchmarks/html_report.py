"""HTML report speed: one patient's page against the bundled trials, and a population page of many patients.

    python benchmarks/html_report.py [--patients N] [--pages M] [--seed S]

Measured in one run, each against its target as a ratio (below 1 is within target):
- one patient × the bundled trials, screened and written as a page with its charts (in process, after a
  warm-up; median and max over the bundled example patients; target 1 s), and the same through the command
  line in a fresh process (imports included);
- a population page for N synthetic patients (default 10,000; target 30 s) from their summary records, as
  ``eligibility report`` makes it (records read from JSON Lines, trials loaded, page written);
- per-patient pages (with charts) written per second, for M patients.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from eligibility import Patient, Screener, load_trials, read_patients
from eligibility.output.pages import write_population
from eligibility.output.report import brief_json
from eligibility.output.write import ReportStyle
from eligibility.patient.synth import Synthesizer
from eligibility.resources import bundled_rules_dir

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 11, 1)
PAGE = ReportStyle("html")


def _timed(work):
    """(wall seconds, result); the CPU seconds of the last call are kept in CPU[0] (the machine may be shared)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = work()
    CPU[0] = time.process_time() - cpu
    return time.perf_counter() - start, result


CPU = [0.0]


def one_patient(screener: Screener) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds to screen and write each example patient's page (after one warm-up page)."""
    patients = [p for p in read_patients(ROOT / "examples" / "patients") if isinstance(p, Patient)]
    PAGE.write(screener, patients[0])
    wall, cpu = [], []
    for patient in patients:
        wall.append(_timed(lambda p=patient: PAGE.write(screener, p))[0])
        cpu.append(CPU[0])
    return wall, cpu


def cold_command(folder: Path, output: str) -> float:
    """Seconds for ``eligibility screen P02 --format FORMAT -o FILE`` in a fresh process."""
    patient = ROOT / "examples" / "patients" / "P02-ae-lab-limits.json"
    command = [sys.executable, "-m", "eligibility", "screen", str(patient), "--format", output]
    if output == "html":
        command += ["-o", str(folder / "p.html")]
    seconds, _ = _timed(lambda: subprocess.run(command, check=True, capture_output=True))
    return seconds


def population(screener: Screener, count: int, seed: int, folder: Path) -> tuple[float, float, int]:
    """Seconds to write N patients' summary records, and to make the population page from them; page size."""
    summary = folder / "summary.jsonl"

    def write_summary() -> None:
        with summary.open("w", encoding="utf-8") as handle:
            for record in Synthesizer(seed, AS_OF).patients(count):
                report = screener.screen(Patient.model_validate(record))
                handle.write(json.dumps(brief_json(report), ensure_ascii=False) + "\n")

    screened, _ = _timed(write_summary)
    paged, _ = _timed(lambda: write_population(summary, folder / "site", [bundled_rules_dir()]))
    return screened, paged, (folder / "site" / "index.html").stat().st_size


def pages_per_second(screener: Screener, count: int, seed: int) -> float:
    """Per-patient pages (with charts) written per second on one core."""
    patients = [Patient.model_validate(r) for r in Synthesizer(seed + 1, AS_OF).patients(count)]
    _timed(lambda: [PAGE.write(screener, p) for p in patients])
    return count / CPU[0]


def main() -> None:
    """Run every measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    screener = Screener(load_trials([bundled_rules_dir()]))
    times, cpu = one_patient(screener)
    median, worst = statistics.median(times), max(times)
    print(f"one patient x {len(screener.trials)} trials, page with charts: median {median:.3f} s, max {worst:.3f} s")
    print(f"  CPU: median {statistics.median(cpu):.3f} s, max {max(cpu):.3f} s")
    print(f"  ratio to the 1 s target: median {median:.2f}, max {worst:.2f}")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        table = min(cold_command(folder, "table") for _ in range(3))
        cold = min(cold_command(folder, "html") for _ in range(3))
        print(f"  through the command line, fresh process (best of 3): html {cold:.2f} s, table {table:.2f} s")
        print(f"  ratio html / table: {cold / table:.2f} (start-up, imports and trial loading are in both)")
        screened, paged, size = population(screener, args.patients, args.seed, folder)
        print(f"{args.patients} patients: summary records written in {screened:.1f} s")
        print(
            f"  population page from them (eligibility report): {paged:.2f} s ({CPU[0]:.2f} s CPU), {size / 1e6:.1f} MB"
        )
        print(f"  ratio to the 30 s target: {paged / 30:.3f}")
    rate = pages_per_second(screener, args.pages, args.seed)
    print(f"per-patient pages with charts: {rate:.1f} pages per CPU second ({args.pages} synthetic patients)")


if __name__ == "__main__":
    main()
