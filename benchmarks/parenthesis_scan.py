"""Drafted rules to check by eye: `python benchmarks/parenthesis_scan.py FOLDER [SEED] [N]` lists N drafted rules
(sampled with SEED) of a folder written by `eligibility import` whose clause has a parenthesis naming a known concept
or measure, or examples ("e.g.", "such as", "including") — where a parenthesis's content could replace its head or
be joined to it by "and"."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import yaml

from eligibility.text.lexicon import lexicon
from eligibility.vocab.vocabulary import default_vocabulary

_PARENTHESIS = re.compile(r"[(（]([^)）]*)(?:[)）]|$)")
_EXAMPLES = re.compile(r"(?i)\b(?:e\.\s?g|such as|including)\b")


def candidates(folder: Path) -> list[tuple[str, str, str, str]]:
    """(trial, kind, text, rule) of every drafted rule whose clause has a parenthesis naming something or examples."""
    names = lexicon(default_vocabulary())
    found = []
    for path in sorted(folder.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for criterion in document.get("criteria") or []:
            rule, text = criterion.get("rule"), criterion["text"]
            if not rule:
                continue
            inner = [m.group(1) for m in _PARENTHESIS.finditer(text)]
            named = any(names.measures.find(i) or any(f.find(i) for f in names.concepts.values()) for i in inner)
            if named or _EXAMPLES.search(text):
                found.append((document["id"], criterion["kind"], " ".join(text.split()), rule))
    return found


def main() -> None:
    """Print the sample."""
    folder = Path(sys.argv[1])
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    rows = candidates(folder)
    print(f"{len(rows)} drafted rules with a parenthesis naming something or examples")
    for trial, kind, text, rule in random.Random(seed).sample(rows, min(count, len(rows))):
        print(f"{trial} {kind}\n  text: {text}\n  rule: {rule}\n")


if __name__ == "__main__":
    main()
