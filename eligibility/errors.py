"""Every error the library raises for bad input derives from :class:`EligibilityError`.

An error knows *where* (file, line, column, and a logical place such as a criterion id or a field path),
*what* went wrong, and *how to fix it*. ``str(error)`` renders all three, with the offending source line and a
caret under the column when the source text is known, so the CLI can print it without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Location:
    """Where an error happened: any of file, 1-based line and column, and a logical place."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    where: str | None = None

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.line, self.column) if p is not None]
        head = ":".join(str(p) for p in parts)
        if self.where:
            return f"{head} ({self.where})" if head else self.where
        return head


class EligibilityError(Exception):
    """Root of all errors raised for user input: rule files, patient files, criteria text, units."""

    span: Any = None  # the span (lang.ast.Span) of rule text a problem points at, when it has one
    term: str | None = None  # the word inside that span the problem is about (an unknown name), when one is

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        hint: str | None = None,
        source_line: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location or Location()
        self.hint = hint
        self.source_line = source_line

    def at(
        self, file: str | None = None, line: int | None = None, column: int | None = None, where: str | None = None
    ) -> EligibilityError:
        """Return the same error with its location completed (e.g. once the file name is known)."""
        given = {"file": file, "line": line, "column": column, "where": where}
        known = {k: v for k, v in given.items() if v is not None and getattr(self.location, k) is None}
        self.location = replace(self.location, **known)  # type: ignore[arg-type]
        return self

    def __str__(self) -> str:
        where = str(self.location)
        lines = [f"{where}: {self.message}" if where else self.message]
        if self.source_line is not None:
            lines.append(f"    {self.source_line}")
            if self.location.column:
                lines.append("    " + " " * (self.location.column - 1) + "^")
        if self.hint:
            lines.append(f"  fix: {self.hint}")
        return "\n".join(lines)


class RuleSyntaxError(EligibilityError):
    """Rule text (canonical form) that the rule grammar cannot read."""


class UnitError(EligibilityError):
    """A unit that is unknown, or that cannot apply to the measure it is attached to."""


class VocabularyError(EligibilityError):
    """A measure or concept name that the vocabulary does not know."""


class RuleFileError(EligibilityError):
    """A rule (trial) file that cannot be loaded."""


class PatientError(EligibilityError):
    """A patient file or record that does not follow the patient contract."""


class ErrorGroup(EligibilityError):
    """Several errors found in one pass (lint reports all of them at once)."""

    def __init__(self, errors: list[EligibilityError], summary: str) -> None:
        super().__init__(summary)
        self.errors = errors

    def __str__(self) -> str:
        body = "\n".join(str(e) for e in self.errors)
        return f"{body}\n{self.message}"
