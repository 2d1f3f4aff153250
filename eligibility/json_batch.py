"""Fast strict JSON for many small documents (the lines of a FHIR Bulk Data export): exactly what
:func:`eligibility.inputs.load_json` reads, at the speed of msgspec.

The input boundary's reader (:func:`~eligibility.inputs.load_json`) checks every object and number in Python.
Here msgspec decodes (floats as exact :class:`~decimal.Decimal`, through a hook that passes only numbers that are
within the limits by their length alone), and cheap checks on the raw bytes of the whole batch prove that the
result is the one :func:`~eligibility.inputs.load_json` gives:

- nesting: a document with at most ``MAX_DEPTH`` brackets cannot nest deeper;
- numbers: no run of more than ``MAX_EXPONENT`` digits (an integer beyond the limits needs one; floats are
  checked by the hook);
- strings: in a batch longer than ``MAX_STRING`` bytes, no quote followed by ``MAX_STRING`` characters or
  escapes without a quote (a longer text needs one: an escape or a UTF-8 sequence stands for one character);
- duplicate keys: msgspec keeps the last of two equal keys silently, so colons are counted, in the input and in
  msgspec's re-encoding of the result. Outside texts a colon follows a key; inside texts, with no ``\\u003a``
  escape in the batch, each colon of the result is one of the input. The result can only have fewer, and has
  fewer when a key was repeated (the first entry is dropped, with its colon). Equal counts: no duplicate.

Whatever a check cannot prove (a long number, a syntax error, NaN, bytes that are not UTF-8, that escape)
goes to :func:`~eligibility.inputs.load_json` itself, document by document, which returns the same value or
raises the same error as for any other input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from itertools import repeat

import msgspec

from eligibility.errors import EligibilityError
from eligibility.inputs import MAX_DEPTH, MAX_EXPONENT, MAX_STRING, InputError, decode, load_json, parse_number

_ZERO = Decimal(0)
_COLON_ESCAPES = (b"\\u003a", b"\\u003A")
_DIGIT_RUN = b"0" * (MAX_EXPONENT + 1)
_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_TEXT = re.compile(rb'"(?:[^"\\]|\\.){%d}' % MAX_STRING)  # a quote, then MAX_STRING characters or escapes
Place = tuple[str | None, int | None]


def _float(text: str) -> Decimal:
    """A JSON float as :func:`~eligibility.inputs.load_json` reads it (zero is ``Decimal(0)``)."""
    if len(text) > MAX_EXPONENT or "e" in text or "E" in text:
        return parse_number(text)  # may lie beyond the limits: checked (raises, and the batch is re-read)
    return Decimal(text) or _ZERO  # at most 30 characters without exponent: within every limit


_DECODER = msgspec.json.Decoder(float_hook=_float)
_ENCODER = msgspec.json.Encoder()


def load_json_batch(
    documents: Sequence[bytes], places: Sequence[Place], error: type[EligibilityError] = InputError
) -> list[object | EligibilityError]:
    """Each document (UTF-8 bytes) read as :func:`~eligibility.inputs.load_json` reads its text: the same value,
    or in its place the same error (``places`` gives each one's file and line)."""
    values = proven(documents)
    if values is not None:
        return values
    if len(documents) > 1:
        return [load_json_batch([d], [p], error)[0] for d, p in zip(documents, places, strict=True)]
    (file, line), data = places[0], documents[0]
    try:
        return [load_json(decode(data, file, line, error), file, line, error)]
    except EligibilityError as problem:
        return [problem]


def load_json_bytes(
    data: bytes, file: str | None = None, line: int | None = None, error: type[EligibilityError] = InputError
) -> object:
    """One document (UTF-8 bytes) read as :func:`~eligibility.inputs.load_json` reads its text."""
    (value,) = load_json_batch([data], [(file, line)], error)
    if isinstance(value, EligibilityError):
        raise value
    return value


def proven(documents: Sequence[bytes]) -> list[object] | None:
    """The documents decoded by msgspec when the checks prove the result equal to ``load_json``'s, else None."""
    if not documents:
        return []
    joined = b"\n".join(documents)
    if (b"\\u003" in joined and any(e in joined for e in _COLON_ESCAPES)) or _DIGIT_RUN in joined.translate(_TO_ZERO):
        return None
    if len(joined) > MAX_STRING and _LONG_TEXT.search(joined):
        return None
    most = max(map(bytes.count, documents, repeat(b"["))) + max(map(bytes.count, documents, repeat(b"{")))
    if most > MAX_DEPTH and any(data.count(b"[") + data.count(b"{") > MAX_DEPTH for data in documents):
        return None
    try:
        values = list(map(_DECODER.decode, documents))
    except (msgspec.DecodeError, ValueError):  # bad syntax, bad UTF-8, a number beyond the limits
        return None
    if _ENCODER.encode(values).count(b":") != joined.count(b":"):
        return None  # a repeated key
    return values
