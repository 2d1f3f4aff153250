"""Parse throughput: every criterion item of ../shared/corpus/ctgov_criteria.jsonl, one core, parser built once.

    python benchmarks/parse_corpus.py [--corpus PATH] [--repeat N]

Reports items/s for reading atoms (the corpus scorer's contract) and for drafting rules, peak memory, and the
ratio to Valx's published 147 items/s.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from eligibility.text import parse_criterion
from eligibility.text.rules import draft_rule
from eligibility.text.segment import leaves, segment

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ctgov_criteria.jsonl"
VALX_ITEMS_PER_SECOND = 147


def items(path: Path) -> list[tuple[str, str]]:
    """(text, kind) of every item of every criteria block."""
    found = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            found += [(i.text, i.kind or "inclusion") for i in leaves(segment(json.loads(line)["criteria"]))]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    work = items(args.corpus)
    segmenting = time.perf_counter() - start
    parse_criterion("ANC >= 1.5 x 10^9/L")  # build the parser and the lexicon once, outside the timing
    best_atoms = best_rules = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        for text, _kind in work:
            parse_criterion(text).atoms()
        best_atoms = min(best_atoms, time.perf_counter() - start)
        start = time.perf_counter()
        for text, kind in work:
            draft_rule(parse_criterion(text), kind)
        best_rules = min(best_rules, time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = len(work) / best_atoms
    print(f"items: {len(work)} from {args.corpus.name} (segmented in {segmenting:.2f} s)")
    print(
        f"atoms:       {rate:,.0f} items/s ({rate / VALX_ITEMS_PER_SECOND:.0f}x Valx's {VALX_ITEMS_PER_SECOND} items/s)"
    )
    print(f"draft rules: {len(work) / best_rules:,.0f} items/s")
    print(f"peak memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
