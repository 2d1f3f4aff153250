"""What ``eligibility parse`` prints for one criterion: canonical rule text, the AST as JSON, or atoms."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import IO

from eligibility.errors import EligibilityError, Location
from eligibility.lang import ast
from eligibility.lang.render import render
from eligibility.text.parse import parse_criterion
from eligibility.text.rules import Draft, draft_rule
from eligibility.vocab.vocabulary import Vocabulary


def rule_of(draft: Draft, text: str) -> ast.Node:
    """The draft's rule, or the whole text as needs-review when nothing was read."""
    return draft.rule if draft.rule is not None else ast.NeedsReview(text=text.strip())


def describe(text: str, style: str, kind: str = "inclusion", vocabulary: Vocabulary | None = None):
    """One criterion in the requested style: ``text`` (canonical rule text), ``json`` or ``atoms``."""
    parsed = parse_criterion(text, vocabulary)
    if style == "atoms":
        return parsed.atoms()
    draft = draft_rule(parsed, kind)
    rule = rule_of(draft, text)
    if style == "json":
        return {
            "rule": json.loads(ast.RuleDocument(rule=rule).model_dump_json())["rule"],
            "coverage": draft.coverage,
            "not_read": draft.leftover,
        }
    return render(rule)


def batch_lines(handle: IO[str], source: str) -> Iterator[tuple[str, str] | EligibilityError]:
    """(id, text) pairs from JSON Lines; an error in place of a malformed line."""
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            yield str(record["id"]), str(record["text"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            yield EligibilityError(
                f"cannot read this line: {exc}",
                location=Location(file=source, line=number),
                hint='write one JSON object per line: {"id": ..., "text": ...}',
            )


def run_batch(
    handle: IO[str], source: str, style: str, kind: str, out: IO[str] = sys.stdout, vocabulary: Vocabulary | None = None
) -> tuple[int, int]:
    """Parse every line of a batch; returns (parsed, unreadable)."""
    done = failed = 0
    key = "atoms" if style == "atoms" else "rule"
    for item in batch_lines(handle, source):
        if isinstance(item, EligibilityError):
            failed += 1
            print(str(item), file=sys.stderr)
            continue
        identifier, text = item
        out.write(
            json.dumps({"id": identifier, key: describe(text, style, kind, vocabulary)}, ensure_ascii=False) + "\n"
        )
        done += 1
    return done, failed
