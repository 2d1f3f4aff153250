"""Pydantic validation errors as plain messages: where (a field path), what, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

_HINTS = {
    "missing": "add the field",
    "extra_forbidden": "remove the field or check its spelling",
    "date_from_datetime_parsing": "write dates as YYYY-MM-DD",
    "date_parsing": "write dates as YYYY-MM-DD",
    "date_type": "write dates as YYYY-MM-DD",
    "literal_error": "use one of the allowed values",
    "decimal_parsing": "write a number",
    "int_parsing": "write a whole number",
    "string_type": "write a text value in quotes",
    "list_type": "write a list",
    "dict_type": "write a mapping of field: value",
    "model_type": "write a mapping of field: value",
}


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: its path as a tuple and as text, the message and a suggested fix."""

    loc: tuple
    message: str
    hint: str

    @property
    def place(self) -> str:
        """``observations[0].date``."""
        return field_path(self.loc)


def field_path(loc: tuple) -> str:
    """A pydantic location as ``a.b[0].c``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


def _clean_loc(loc: tuple) -> tuple:
    # Drop union-branch and tagged-union labels pydantic inserts (e.g. 'function-after[...]', 'decimal').
    return tuple(
        p
        for p in loc
        if isinstance(p, int)
        or (not any(c in str(p) for c in "[]()") and p not in ("decimal", "str", "float", "int", "lax-or-strict"))
    )


def problems(error: ValidationError) -> list[FieldProblem]:
    """Every problem in a validation error, one per field, in document order."""
    seen: dict[tuple, FieldProblem] = {}
    for item in error.errors(include_url=False):
        loc = _clean_loc(tuple(item["loc"]))
        if loc in seen:
            continue
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] not in ("missing",) and "input" in item and not isinstance(item["input"], (dict, list)):
            message = f"{message} (got {item['input']!r})"
        hint = _HINTS.get(item["type"], "correct the value")
        seen[loc] = FieldProblem(loc=loc, message=message, hint=hint)
    return list(seen.values())
