"""Coverage of the bundled seed trials: per trial, clauses with a rule, partly (a rule with a review leaf), review-only.

    python benchmarks/seed_coverage.py [RULES_DIR ...] [--format table|markdown]

Reads the rule files of each directory (default: the bundled ``rules/``) and prints one row per trial and a total;
"decides something" is the share of clauses with a rule or a partial rule.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eligibility import load_trials
from eligibility.lang import ast
from eligibility.resources import bundled_rules_dir

COLUMNS = ("clauses", "rule", "partly", "review")


def coverage(clauses) -> dict[str, int]:
    """How many clauses have a full rule, a rule with a review leaf, or only review."""
    counts = dict.fromkeys(COLUMNS, 0)
    for clause in clauses:
        counts["clauses"] += 1
        if isinstance(clause.rule, ast.NeedsReview):
            counts["review"] += 1
        elif any(isinstance(node, ast.NeedsReview) for node in ast.walk(clause.rule)):
            counts["partly"] += 1
        else:
            counts["rule"] += 1
    return counts


def rows(directory: Path) -> list[tuple[str, dict[str, int]]]:
    """One row per trial of the directory, then the total."""
    table = [(t.id, coverage(t.clauses)) for t in sorted(load_trials([directory]), key=lambda t: t.id)]
    total = {column: sum(counts[column] for _, counts in table) for column in COLUMNS}
    return [*table, ("total", total)]


def decided(counts: dict[str, int]) -> str:
    """The share of clauses that decide something, as a percentage."""
    return f"{100 * (counts['rule'] + counts['partly']) / max(counts['clauses'], 1):.0f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directories", nargs="*", type=Path)
    parser.add_argument("--format", choices=("table", "markdown"), default="table")
    args = parser.parse_args()
    for directory in args.directories or [bundled_rules_dir()]:
        print(f"{directory}:")
        if args.format == "markdown":
            print("| trial | clauses | rule | partly | review-only | decides something |\n|---|---|---|---|---|---|")
        for name, counts in rows(directory):
            cells = [name, *(str(counts[c]) for c in COLUMNS), decided(counts)]
            print(
                "| " + " | ".join(cells) + " |" if args.format == "markdown" else "  ".join(f"{c:>18}" for c in cells)
            )


if __name__ == "__main__":
    main()
