"""Screening throughput: the ClinicalTrials.gov corpus imported as trials, synthetic patients screened against all.

    python benchmarks/screen_corpus.py [--corpus PATH] [--patients N] [--jobs J] [--seed S]

Reports, measured in one run: trials drafted/s and loaded/s; one patient against every trial end to end with
full explanations; patient-trial pairs/s and clauses/s on one core (engine alone, and writing the summary
format) and with J worker processes; peak memory as trials and patients grow; and a scaling table of time
against trial count and patient count, as ratios to the smallest size.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from itertools import islice
from pathlib import Path

from eligibility import Patient, Screener
from eligibility.output.report import report_json
from eligibility.output.write import ReportStyle
from eligibility.patient.synth import Synthesizer
from eligibility.registry.bulk import draft_many
from eligibility.screen.batch import ScreenSetup, screen_many

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ctgov_criteria.jsonl"
AS_OF = date(2026, 11, 1)


def _timed(work):
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def _patients(count: int, seed: int) -> list[Patient]:
    return [Patient.model_validate(p) for p in Synthesizer(seed, AS_OF).patients(count)]


def _engine(screener: Screener, patients: list[Patient]) -> tuple[int, int, float]:
    """(pairs, clauses, seconds) for verdicts of every pair, no explanations."""
    pairs = clauses = 0
    start = time.perf_counter()
    for patient in patients:
        for result in screener.screen(patient, AS_OF).results:
            pairs += 1
            clauses += len(result.outcomes)
    return pairs, clauses, time.perf_counter() - start


def _summary(setup: ScreenSetup, screener: Screener, patients: list[Patient], jobs: int) -> float:
    style = ReportStyle("summary", as_of=AS_OF)
    sink = io.StringIO()
    start = time.perf_counter()
    for _status, text in screen_many(setup, patients, style, jobs, screener):
        sink.write(text)
    return time.perf_counter() - start


def _single(screener: Screener, patients: list[Patient]) -> list[float]:
    times = []
    for patient in patients:
        start = time.perf_counter()
        json.dumps(report_json(screener.screen(patient, AS_OF)), ensure_ascii=False)
        times.append(time.perf_counter() - start)
    return times


def _memory_probe(rules: Path, trials: int, patients: int, seed: int) -> None:
    """Child process: load ``trials`` trials, stream ``patients`` patients in summary format; print peak RSS."""
    setup = ScreenSetup(tuple(sorted(rules.glob("*.yaml"))[:trials]))
    screener = setup.build()
    gc.freeze()
    style = ReportStyle("summary", as_of=AS_OF)
    stream = (Patient.model_validate(p) for p in Synthesizer(seed, AS_OF).patients(patients))
    for _ in screen_many(setup, stream, style, 1, screener):
        pass
    print(_own_peak_mib(), len(screener.trials))


def _own_peak_mib() -> float:
    """Peak RSS of this process. Linux keeps ru_maxrss across fork and exec (a child starts with its parent's
    peak), so the process's own high-water mark is read from /proc where there is one."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak(rules: Path, trials: int, patients: int, seed: int) -> float:
    command = [sys.executable, __file__, "--probe", str(rules), str(trials), str(patients), str(seed)]
    peak, loaded = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()[-2:]
    assert int(loaded) == trials
    return float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    parser.add_argument("--patients", type=int, default=400)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--probe", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        rules, trials, patients, seed = args.probe
        return _memory_probe(Path(rules), int(trials), int(patients), int(seed))

    with tempfile.TemporaryDirectory() as folder:
        rules = Path(folder) / "trials"
        summary, drafting = _timed(lambda: draft_many(args.corpus, rules))
        setup = ScreenSetup((rules,))
        screener, loading = _timed(setup.build)
        gc.freeze()
        trials = len(screener.trials)
        clauses_per_trial = sum(len(t.clauses) for t in screener.trials) / trials
        print(f"corpus: {args.corpus.name}: {summary}")
        print(f"import: {trials / drafting:,.0f} trials drafted/s ({drafting:.1f} s)")
        print(
            f"load:   {trials / loading:,.0f} trials loaded/s ({loading:.1f} s: YAML, rule parsing, "
            f"vocabulary, compilation); {clauses_per_trial:.1f} clauses per trial"
        )

        patients, making = _timed(lambda: _patients(args.patients, args.seed))
        print(f"patients: {len(patients)} synthetic (seed {args.seed}), made and validated in {making:.1f} s")

        single = _single(screener, patients[:20])
        print(
            f"\none patient x {trials} trials, full explanations as JSON: median {statistics.median(single):.3f} s, "
            f"max {max(single):.3f} s (20 patients)"
        )

        pairs, clauses, engine = _engine(screener, patients)
        one_core = _summary(setup, screener, patients, 1)
        parallel = _summary(setup, screener, patients, args.jobs)
        print(f"\nbatch, {len(patients)} patients x {trials} trials = {pairs:,} pairs:")
        print(f"  engine, 1 core:       {pairs / engine:>9,.0f} pairs/s  {clauses / engine:>11,.0f} clauses/s")
        print(
            f"  summary JSONL, 1 core: {pairs / one_core:>8,.0f} pairs/s  ({engine / one_core:.2f}x the engine's rate)"
        )
        print(
            f"  summary JSONL, --jobs {args.jobs}: {pairs / parallel:>7,.0f} pairs/s  "
            f"({one_core / parallel:.2f}x one core)"
        )

        print("\npeak memory (RSS, summary format streamed):")
        sizes = [trials // 4, trials // 2, trials]
        baseline = _peak(rules, 1, 50, args.seed)
        print(f"  {1:>5} trial,  50 patients:   {baseline:6.0f} MiB (the interpreter, libraries and vocabulary)")
        by_trials = [_peak(rules, n, 50, args.seed) for n in sizes]
        for n, peak in zip(sizes, by_trials, strict=False):
            print(
                f"  {n:>5} trials, 50 patients:   {peak:6.0f} MiB  (+{(peak - baseline) / n * 1024:.0f} KiB per trial)"
            )
        counts = [50, 200, 800]
        by_patients = [_peak(rules, trials, n, args.seed) for n in counts]
        for n, peak in zip(counts, by_patients, strict=False):
            print(f"  {trials:>5} trials, {n:>3} patients:  {peak:6.0f} MiB")

        print("\nscaling (engine, 1 core): seconds, and ratio to the smallest run")
        quarter = max(1, len(patients) // 4)
        patient_sizes = [quarter, 2 * quarter, 4 * quarter]
        print("  trials \\ patients " + "".join(f"{n:>16}" for n in patient_sizes))
        base = None
        for n in sizes:
            subset = Screener(screener.trials[:n], screener.vocabulary)
            row = []
            for m in patient_sizes:
                seconds = _engine(subset, list(islice(patients, m)))[2]
                base = base or seconds
                row.append(f"{seconds:7.2f} s ({seconds / base:4.1f}x)")
            print(f"  {n:>17} " + "".join(f"{cell:>16}" for cell in row))


if __name__ == "__main__":
    main()
