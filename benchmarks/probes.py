"""Rightness of drafted rules: `python benchmarks/probes.py` drafts every probe criterion of tests/data/probes.yaml
with `eligibility import`, screens the probe patients and prints precision (correct / decided) and coverage
(decided / all) by language and category, and each decided-wrong probe."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from probing import figures, run_probes


def _row(name: str, counts) -> str:
    decided, total = counts["decided"], counts["all"]
    precision = counts["correct"] / decided if decided else float("nan")
    return f"{name:<22} {total:>6} {decided:>8} {counts['correct']:>8} {precision:>10.3f} {decided / total:>9.3f}"


def main() -> None:
    """Print the figures."""
    outcomes = run_probes()
    criteria = {o.criterion["id"] for o in outcomes}
    print(f"{len(criteria)} criteria, {len(outcomes)} probes ({sum(o.near for o in outcomes)} near misses)")
    print(f"{'group':<22} {'probes':>6} {'decided':>8} {'correct':>8} {'precision':>10} {'coverage':>9}")
    for name, counts in sorted(figures(outcomes, lambda c: c["lang"]).items()):
        print(_row(name, counts))
    for name, counts in sorted(figures(outcomes, lambda c: f"{c['lang']} {c['category']}").items()):
        print(_row(name, counts))
    near = [o for o in outcomes if o.near]
    print(_row("near misses", figures(near, lambda c: "all")["all"]))
    for outcome in outcomes:
        if outcome.got is not None and not outcome.correct:
            print(f"WRONG {outcome.criterion['id']}: {outcome.criterion['text']!r} expected {outcome.expected}")


if __name__ == "__main__":
    main()
