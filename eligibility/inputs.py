"""The one place where outside input is read: files, lines of JSON Lines, and JSON documents.

Everything that reads a patient, a rule file, a reference table, a vocabulary, a registry record or a line of a
batch comes through here, so every reader gets the same guarantees:

- Text is UTF-8 (a UTF-8 byte-order mark is dropped). Bytes that are not UTF-8, and UTF-16 files, are an
  :class:`EligibilityError` naming the file, the line and the column of the first bad byte; in JSON Lines only
  that line is lost.
- Sizes are bounded (see the limits below and the README section "Limits on input"): a hostile file cannot
  make a reader recurse, hang or exhaust memory, it gets an error naming the place instead.
- JSON is read strictly: duplicate keys, ``NaN``/``Infinity`` and numbers beyond the limits are errors, floats
  are read as :class:`~decimal.Decimal` (exact), and an error in a line is placed on that line, never the next.
"""

from __future__ import annotations

import codecs
import json
import re
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, TypeVar

import yaml
from yaml.events import CollectionEndEvent, CollectionStartEvent

from eligibility.errors import EligibilityError, Location

# --- limits (documented in the README, "Limits on input") ---------------------------------------------------

MAX_DEPTH = 64  # nesting of JSON or YAML collections; patients need 3, Synthea FHIR bundles 12
MAX_DIGITS = 40  # significant digits of one number; lab values carry at most 6, ids are strings
MAX_EXPONENT = 30  # numbers lie between 1e-30 and 1e30; the smallest clinical values are about 1e-15 mol/L
MAX_STRING = 100_000  # characters in one text value; the longest ClinicalTrials.gov criteria text has 7,757
MAX_LINE_BYTES = 16 * 1024 * 1024  # one line of JSON Lines
MAX_FILE_BYTES = 256 * 1024 * 1024  # one document (patient, bundle, rule file, record page)
MAX_RULE_LENGTH = 10_000  # characters of one rule text; the longest bundled rule has 611
MAX_RULE_DEPTH = 32  # and / or / not nested in one rule; the deepest bundled rule has 3
MAX_DURATION_YEARS = 200  # windows, recency and ages; a human life and its records fit in it
MAX_UNIT_LENGTH = 64  # characters of a unit; pint's parser is quadratic (30 KB took 12 s)
MAX_UNIT_EXPONENT = 30  # |n| in 10^n and in powers of units; clinical scales stop at 10^12
_DAYS = {"hour": Decimal(1) / 24, "day": Decimal(1), "week": Decimal(7), "month": Decimal("30.4375")}

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_OPENERS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


Problem = TypeVar("Problem", bound=EligibilityError)


class InputError(EligibilityError):
    """Input that cannot be read at all: not UTF-8, too large, too deep, or a file the system refuses."""


def decode(data: bytes, file: str | None, line: int | None = None, error: type[EligibilityError] = InputError) -> str:
    """``data`` as text; :class:`InputError` at the first byte that is not UTF-8 (with line and column)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith(_UTF16_BOMS) or (len(data) > 1 and b"\x00" in data[:2]):
        raise error(
            "the text is UTF-16 or UTF-32, not UTF-8",
            location=Location(file=file, line=line),
            hint="save the file as UTF-8",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        inner_line = data.count(b"\n", 0, exc.start)
        raise error(
            f"byte 0x{data[exc.start]:02x} is not UTF-8 text",
            location=Location(file=file, line=(line or 1) + inner_line, column=exc.start - start + 1),
            hint="save the file as UTF-8 (it may be in Latin-1 or a Windows code page)",
        ) from None


def read_text(path: Path | str, what: str = "file", error: type[EligibilityError] = InputError) -> str:
    """The whole text of a file (UTF-8, at most ``MAX_FILE_BYTES``); :class:`InputError` naming the file."""
    return decode(read_bytes(path, what, error), str(path), error=error)


def read_bytes(path: Path | str, what: str = "file", error: type[EligibilityError] = InputError) -> bytes:
    """The whole of a file, at most ``MAX_FILE_BYTES``; :class:`InputError` naming the file."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise unreadable(name, exc, what, error) from None
    if len(data) > MAX_FILE_BYTES:
        raise error(
            f"the {what} is larger than {MAX_FILE_BYTES // 2**20} MiB",
            location=Location(file=name),
            hint="split it (JSON Lines are read line by line, without this limit)",
        )
    return data


def unreadable(
    file: str, problem: OSError, what: str = "file", error: type[EligibilityError] = InputError
) -> EligibilityError:
    """An operating-system error on ``file`` as an :class:`InputError` with a fix."""
    reason = problem.strerror or str(problem)
    hints = {
        FileNotFoundError: "check the path",
        PermissionError: "check the file's permissions",
        IsADirectoryError: f"give a {what}, not a folder",
    }
    hint = next((h for kind, h in hints.items() if isinstance(problem, kind)), "check the path")
    return error(f"cannot read the {what}: {reason}", location=Location(file=file), hint=hint)


def open_binary(path: Path | str, error: type[EligibilityError] = InputError) -> IO[bytes]:
    """A file (or standard input for ``-``) opened for reading bytes; :class:`InputError` if it cannot be."""
    if str(path) == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise unreadable(str(path), exc, error=error) from None


def read_lines(
    handle: IO[bytes], file: str, error: type[EligibilityError] = InputError
) -> Iterator[tuple[int, str | EligibilityError]]:
    """``(line number, text)`` per non-blank line, or ``(line number, error)`` for a line that cannot be read.

    A line that is not UTF-8 (UTF-16 included) or longer than ``MAX_LINE_BYTES`` is an error of its own; the
    next line is read as usual.
    """
    for number, _, data in read_raw_lines(handle, file, error):
        if isinstance(data, EligibilityError):
            yield number, data
            continue
        try:
            text = decode(data, file, number, error)
        except EligibilityError as problem:
            yield number, problem
            continue
        if text.strip():
            yield number, text.rstrip("\r\n")


def read_raw_lines(handle: IO[bytes], file: str, error: type[Problem]) -> Iterator[tuple[int, int, bytes | Problem]]:
    """``(line number, byte offset, bytes)`` per line that is not blank (line end kept), or ``(line number,
    byte offset, error)`` for a line longer than ``MAX_LINE_BYTES`` (the next line is read as usual)."""
    number = offset = 0
    while True:
        data = handle.readline(MAX_LINE_BYTES + 1)
        if not data:
            return
        number, start, offset = number + 1, offset, offset + len(data)
        if len(data) > MAX_LINE_BYTES and not data.endswith(b"\n"):
            offset += _skip_rest_of_line(handle)
            too_long = error(
                f"the line is longer than {MAX_LINE_BYTES // 2**20} MiB",
                location=Location(file=file, line=number),
                hint="split the record",
            )
            yield number, start, too_long
        elif data.strip():
            yield number, start, data


def _skip_rest_of_line(handle: IO[bytes]) -> int:
    skipped = 0
    while True:
        data = handle.readline(MAX_LINE_BYTES)
        skipped += len(data)
        if not data or data.endswith(b"\n"):
            return skipped


# --- YAML ---------------------------------------------------------------------------------------------------


def check_yaml_depth(text: str, file: str | None, error: type[EligibilityError] = InputError) -> None:
    """:class:`EligibilityError` at the first collection nested deeper than ``MAX_DEPTH``.

    YAML is composed recursively (libyaml's composer overflows the C stack on 100,000 nested brackets), so
    the nesting is measured on the event stream, which the parsers produce without recursion, and the
    scan stops at the first level beyond the limit. Syntax errors are left to the reader that follows. Where
    libyaml stops at a syntax error, the pure-Python parser (which the reader then uses, and which may read
    further) is scanned too.
    """
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is None or not _scan_depth(fast, text, file, error):
        _scan_depth(yaml.SafeLoader, text, file, error)


def _scan_depth(loader_class: type, text: str, file: str | None, error: type[EligibilityError]) -> bool:
    """Scan the events of ``text`` for nesting beyond the limit; False when the parser stopped at an error."""
    try:
        loader = loader_class(text)
    except yaml.YAMLError:  # the pure-Python reader refuses control characters as it is made
        return False
    depth = 0
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
                    raise error(
                        f"YAML nested more than {MAX_DEPTH} deep",
                        location=Location(file=file, line=line, column=column),
                        hint="flatten the data",
                    )
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return False
    finally:
        loader.dispose()
    return True


def read_yaml_mapping(path: Path | str, what: str, error: type[EligibilityError] = InputError) -> dict:
    """The mapping in a small YAML file (vocabulary, overrides), read safely within the limits; an empty file
    is an empty mapping."""
    text = read_text(path, what, error)
    check_yaml_depth(text, str(path), error)
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = Location(file=str(path), line=mark.line + 1, column=mark.column + 1) if mark else Location(str(path))
        raise error(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", location=place) from None
    if not isinstance(data, dict):
        raise error(f"a {what} must be a mapping of names to values", location=Location(file=str(path)))
    return data


# --- JSON ---------------------------------------------------------------------------------------------------


class _Refused(ValueError):
    """Raised inside the JSON decoder's hooks; turned into an :class:`InputError` by :func:`load_json`."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def check_number(value: Decimal) -> Decimal:
    """``value`` if it is finite and within the number limits; ``ValueError`` with the limit otherwise."""
    if not value.is_finite():
        raise ValueError("the number must be finite")
    if value.is_zero():
        return Decimal(0)
    if len(str(value)) <= MAX_DIGITS and abs(value.adjusted()) <= MAX_EXPONENT:  # a digit is a character at least
        return value
    digits = len(value.as_tuple().digits)
    if digits > MAX_DIGITS:
        raise ValueError(f"the number has {digits} digits; at most {MAX_DIGITS} are read")
    if abs(value.adjusted()) > MAX_EXPONENT:
        raise ValueError(f"the number {value:.3e} is out of range (1e-{MAX_EXPONENT} to 1e{MAX_EXPONENT})")
    return value


def check_duration(value: Decimal, unit: str) -> None:
    """``ValueError`` unless ``value`` ``unit`` (hours, days, weeks, months or years) is at most
    ``MAX_DURATION_YEARS``."""
    check_number(value)
    days = value * _DAYS.get(unit, Decimal("365.25"))
    if days > MAX_DURATION_YEARS * Decimal("365.25"):
        raise ValueError(f"{value} {unit}s is longer than the limit of {MAX_DURATION_YEARS} years")


def parse_number(text: str) -> Decimal:
    """A JSON number's text as :func:`load_json` reads it: a Decimal within the limits, else ``ValueError``."""
    if len(text) <= 16 and "e" not in text and "E" not in text:  # at most 15 digits: within every limit
        value = Decimal(text)
        return value if value else Decimal(0)
    if len(text) > MAX_DIGITS + 10:
        raise _Refused(f"a number of {len(text)} characters", f"numbers have at most {MAX_DIGITS} digits")
    try:
        return check_number(Decimal(text))
    except ValueError as exc:
        raise _Refused(str(exc), f"write numbers between 1e-{MAX_EXPONENT} and 1e{MAX_EXPONENT}") from None


def _integer(text: str) -> int:
    return int(text) if len(text) <= 16 else int(parse_number(text))  # at most 16 digits: within every limit


def _constant(name: str) -> object:
    raise _Refused(f"{name} is not a number JSON allows", "write a finite number, or leave the field out")


def _object(pairs: list[tuple[str, object]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(
                f"duplicate key {key!r}", "keep one of the two entries (JSON readers disagree on which wins)"
            )
        if isinstance(value, str) and len(value) > MAX_STRING:
            raise _Refused(f"the text of {key!r} has {len(value):,} characters", f"at most {MAX_STRING:,} are read")
        result[key] = value
    return result


def _short_object(pairs: list[tuple[str, object]]) -> dict:
    """:func:`_object` for a document shorter than ``MAX_STRING`` (so no text in it is longer)."""
    result = dict(pairs)
    return result if len(result) == len(pairs) else _object(pairs)


def _too_deep(text: str) -> int | None:
    """Offset of the first bracket nested deeper than ``MAX_DEPTH`` (outside strings), or None."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    for match in _OPENERS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return match.start()
        elif token in "]}":
            depth -= 1
    return None


def _place(text: str, offset: int, file: str | None, line: int | None) -> Location:
    offset = min(offset, len(text.rstrip()))
    inner = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Location(file=file, line=(line or 1) + inner, column=column)


def load_json(
    text: str, file: str | None = None, line: int | None = None, error: type[EligibilityError] = InputError
) -> object:
    """One JSON document (a file's text or one line of JSON Lines), read strictly within the limits.

    Floats are Decimals. :class:`InputError` with the file, the line (counted from ``line`` for JSON Lines) and
    the column for bad syntax, duplicate keys, ``NaN``, numbers beyond the limits and nesting beyond
    ``MAX_DEPTH``. An error at the end of a line is placed on that line, not the one after it.
    """
    deep = _too_deep(text)
    if deep is not None:
        raise error(
            f"JSON nested more than {MAX_DEPTH} deep", location=_place(text, deep, file, line), hint="flatten the data"
        )
    try:
        hook = _short_object if len(text) <= MAX_STRING else _object
        return json.loads(
            text, parse_float=parse_number, parse_int=_integer, parse_constant=_constant, object_pairs_hook=hook
        )
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip())
        message = "the record ends too soon (cut short?)" if cut else exc.msg
        raise error(
            f"invalid JSON: {message}",
            location=_place(text, exc.pos, file, line),
            hint="check brackets, commas and quotes",
        ) from None
    except _Refused as exc:
        raise error(exc.message, location=Location(file=file, line=line), hint=exc.hint) from None
    except RecursionError:
        raise error(f"JSON nested too deep (limit {MAX_DEPTH})", location=Location(file=file, line=line)) from None
