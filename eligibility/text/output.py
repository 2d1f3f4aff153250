"""What ``eligibility parse`` prints for one criterion: canonical rule text, the AST as JSON, or atoms."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import IO

from eligibility.errors import EligibilityError, Location
from eligibility.inputs import load_json, open_binary, read_lines
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


def batch_lines(handle: IO[bytes], source: str) -> Iterator[tuple[str, str] | EligibilityError]:
    """(id, text) pairs from JSON Lines; an error in place of a line that is not ``{"id", "text"}``."""
    hint = 'write one JSON object per line: {"id": ..., "text": "..."}'
    for number, line in read_lines(handle, source):
        if isinstance(line, EligibilityError):
            yield line
            continue
        try:
            record = load_json(line, source, number)
        except EligibilityError as error:
            yield error
            continue
        place = Location(file=source, line=number)
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield EligibilityError("cannot read this line: `text` must be a text value", location=place, hint=hint)
        elif isinstance(record.get("id"), (str, int)) and not isinstance(record["id"], bool):
            yield str(record["id"]), record["text"]
        else:
            yield EligibilityError("cannot read this line: `id` must be a text or a number", location=place, hint=hint)


def run_batch(
    source: str, style: str, kind: str, out: IO[str] = sys.stdout, vocabulary: Vocabulary | None = None
) -> tuple[int, int]:
    """Parse every line of a batch file (``-``: standard input); returns (parsed, unreadable)."""
    done = failed = 0
    key = "atoms" if style == "atoms" else "rule"
    handle = open_binary(source)
    name = "<stdin>" if source == "-" else source
    try:
        for item in batch_lines(handle, name):
            if isinstance(item, EligibilityError):
                failed += 1
                print(str(item), file=sys.stderr)
                continue
            identifier, text = item
            result = describe(text, style, kind, vocabulary)
            out.write(json.dumps({"id": identifier, key: result}, ensure_ascii=False) + "\n")
            done += 1
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
    return done, failed
