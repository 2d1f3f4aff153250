"""Cached Lark parsers built once per process from the grammars shipped with the package, and the entry
point that reads canonical rule text into the AST."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from lark import Lark, Token, Tree, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from eligibility.errors import Location, RuleSyntaxError
from eligibility.inputs import MAX_RULE_DEPTH, MAX_RULE_LENGTH, check_duration, check_number
from eligibility.lang import ast
from eligibility.lang.transformer import RuleTransformer, time_unit
from eligibility.resources import grammar_path

_FRIENDLY = {
    "OP": "a comparison operator (<, <=, >, >=, ==, !=)",
    "NUMBER": "a number",
    "INT": "a whole number",
    "NAME": "a name",
    "STRING": "a quoted text",
    "UNIT": "a unit",
    "TIME_UNIT": "a time unit (days, weeks, months, years)",
    "CATEGORY": "a category (condition, medication, procedure, immunization, event)",
    "LIMIT": "ULN or LLN",
    "SEX": "female or male",
    "RPAR": "')'",
    "LPAR": "'('",
    "$END": "the end of the rule",
    "IF": "if",
    "THEN": "then",
    "CHANGE": "improved, worsened",
    "NEGATION": "not",
}


@cache
def parser(grammar: str, positions: bool = True) -> Lark:
    """The LALR parser for ``grammar`` (a file name in ``grammars/``), with or without rule positions."""
    path = grammar_path(grammar)
    return Lark(
        path.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=positions,
        maybe_placeholders=False,
        cache=True,
    )


def _expected(error: UnexpectedInput) -> str:
    names = getattr(error, "accepts", None) or getattr(error, "expected", None) or getattr(error, "allowed", None)
    literals = _anonymous_literals()
    words = sorted({_FRIENDLY.get(n) or literals.get(n) or n.lower().strip('"') for n in names or []})
    return ", ".join(words[:12]) + (", …" if len(words) > 12 else "")


@cache
def _anonymous_literals() -> dict[str, str]:
    """Keywords of the rule grammar that lark names ``__ANON_n``, by that name: an error shows the word."""
    return {
        terminal.name: str(terminal.pattern.value)
        for terminal in parser("rule.lark").terminals
        if terminal.name.startswith("__") and terminal.pattern.type == "str"
    }


def _syntax_error(text: str, error: UnexpectedInput) -> RuleSyntaxError:
    line_no = getattr(error, "line", 1) or 1
    column = getattr(error, "column", 1) or 1
    at_end = isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END")
    if at_end:
        body = text.rstrip()
        line_no, column = body.count("\n") + 1, len(body.split("\n")[-1]) + 1
        found = "end of the rule"
    elif isinstance(error, UnexpectedToken):
        found = f"'{error.token!s}'"
    else:
        found = (
            repr(text[error.pos_in_stream])
            if isinstance(error, UnexpectedCharacters) and error.pos_in_stream is not None
            else "text"
        )
    lines = text.splitlines() or [""]
    source_line = lines[min(line_no, len(lines)) - 1]
    expected = _expected(error)
    message = f"cannot read rule: unexpected {found}" + (f"; expected {expected}" if expected else "")
    return RuleSyntaxError(
        message,
        location=Location(line=line_no, column=column),
        source_line=source_line,
        hint="see the rule syntax in the README (e.g. `alc <= 0.5 10^9/L`, `has condition hiv_infection`)",
    )


def parse_rule(text: str) -> ast.Rule:
    """Read canonical rule text into an AST node; :class:`RuleSyntaxError` (with a caret) if it cannot."""
    if not text or not text.strip():
        raise RuleSyntaxError(
            "empty rule", hint="write a rule, or leave out `rule:` so the criterion is marked for review"
        )
    if len(text) > MAX_RULE_LENGTH:
        raise RuleSyntaxError(
            f"the rule has {len(text):,} characters; at most {MAX_RULE_LENGTH:,} are read",
            hint="split the criterion into several",
        )
    try:
        tree = parser("rule.lark").parse(text)
    except UnexpectedInput as error:
        raise _syntax_error(text, error) from None
    _check_limits(tree, text)
    return RuleTransformer().transform(tree)


_LOGIC = {"any_of", "all_of", "negation", "implies"}


def _check_limits(tree: Tree, text: str) -> None:
    """Nesting, numbers and durations within the input limits (:mod:`eligibility.inputs`), checked without
    recursion before the tree is transformed (which recurses)."""
    stack: list[tuple[Tree, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        depth += node.data in _LOGIC
        if depth > MAX_RULE_DEPTH:
            raise _limit_error(text, node, f"the rule nests and / or / not more than {MAX_RULE_DEPTH} deep")
        tokens = [c for c in node.children if isinstance(c, Token)]
        for token in tokens:
            if token.type in ("NUMBER", "INT"):
                _check(text, token, lambda t=token: check_number(Decimal(t)))
        if node.data == "duration":
            _check(text, tokens[0], lambda t=tokens: check_duration(Decimal(t[0]), time_unit(t[1])))
        stack += [(c, depth) for c in node.children if isinstance(c, Tree)]


def _check(text: str, token: Token, check) -> None:
    try:
        check()
    except ValueError as exc:
        raise _limit_error(text, token, str(exc)) from None


def _limit_error(text: str, where: Tree | Token, message: str) -> RuleSyntaxError:
    meta = where if isinstance(where, Token) else where.meta
    line: int = getattr(meta, "line", None) or 1
    column: int = getattr(meta, "column", None) or 1
    source = (text.splitlines() or [""])[min(line, len(text.splitlines()) or 1) - 1]
    return RuleSyntaxError(
        message,
        location=Location(line=line, column=column),
        source_line=source if len(source) <= 500 else None,
        hint="see the limits on input in the README",
    )
