"""The fast JSON reader for export lines (eligibility.json_batch) reads exactly what the input boundary's
load_json reads: the same values (Decimal for Decimal, int for int, same digits), the same errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility.errors import EligibilityError
from eligibility.inputs import MAX_DEPTH, InputError, decode, load_json
from eligibility.json_batch import load_json_batch, load_json_bytes


def _reference(data: bytes, file: str, line: int | None) -> object:
    try:
        return load_json(decode(data, file, line), file, line)
    except EligibilityError as problem:
        return problem


def _same(a: object, b: object) -> bool:
    """Equal, and equal in kind: Decimal('1.0') is not 1, nor Decimal('1'); errors by their full text."""
    if isinstance(a, EligibilityError) or isinstance(b, EligibilityError):
        return type(a) is type(b) and str(a) == str(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    if isinstance(a, Decimal):
        return str(a) == str(b)
    return a == b


# Text written by hand so that keys may repeat, numbers may be long or huge, and escapes may make quotes and colons.
_KEYS = st.sampled_from(["a", "a", "b", ":c", 'q":', "\u00e9", "k:", " "])
_TEXTS = st.sampled_from(["", "x", ":", ": y", '":', '" :', "\\", '\\"', "\u00e9", "\n", "0" * 40]) | st.text(
    max_size=8
)
_NUMBERS = st.sampled_from(
    ["0", "-0", "0.0", "-0.0", "1.50", "12", "1e5", "1E-31", "1e31", "2.5e-3", "0." + "0" * 29 + "1", "9" * 30,
     "9" * 31, "1" * 41, "-" + "7" * 35 + ".5", "NaN", "Infinity", "1.", "01"]
)  # fmt: skip


def _escaped(text: str, style: str) -> str:
    """As json.dumps writes it (UTF-8 or ASCII), or every character as a \\u escape (a quote as \\u0022)."""
    if style in ("escapes", "ESCAPES"):
        escaped = "".join(f"\\u{ord(c):04x}" for c in text if ord(c) < 0xD800)
        return '"' + (escaped.upper().replace("\\U", "\\u") if style == "ESCAPES" else escaped) + '"'
    return json.dumps(text, ensure_ascii=style == "ascii")


@st.composite
def _documents(draw: st.DrawFn, depth: int = 0) -> str:
    style = draw(st.sampled_from(["utf-8", "ascii", "escapes", "ESCAPES"]))
    kind = draw(st.sampled_from(["object", "array", "text", "number", "word"] if depth < 4 else ["text", "number"]))
    if kind == "object":
        pairs = draw(st.lists(st.tuples(_KEYS, _documents(depth + 1)), max_size=4))  # keys may repeat
        space = draw(st.sampled_from(["", " ", "\n"]))
        return "{" + ",".join(f"{_escaped(k, style)}{space}:{space}{v}" for k, v in pairs) + "}"
    if kind == "array":
        return "[" + ", ".join(draw(st.lists(_documents(depth + 1), max_size=3))) + "]"
    if kind == "text":
        return _escaped(draw(_TEXTS), style)
    if kind == "number":
        return draw(_NUMBERS)
    return draw(st.sampled_from(["true", "false", "null", "tru"]))


@given(st.lists(_documents(), min_size=1, max_size=4), st.data())
def test_a_batch_reads_exactly_what_load_json_reads(texts: list[str], data: st.DataObject):
    documents = [t.encode("utf-8") for t in texts]
    if data.draw(st.booleans()):  # now and then a line that is not UTF-8, or cut short
        at = data.draw(st.integers(0, len(documents) - 1))
        documents[at] = documents[at][: max(1, len(documents[at]) - 1)] + data.draw(st.sampled_from([b"\xff", b""]))
    places = [("export.ndjson", n) for n in range(1, len(documents) + 1)]
    found = load_json_batch(documents, places)
    expected = [_reference(d, f, n) for d, (f, n) in zip(documents, places, strict=True)]  # type: ignore[arg-type]
    assert all(_same(a, b) for a, b in zip(found, expected, strict=True)), (found, expected)


@pytest.mark.parametrize(
    "text,message",
    [
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"a": {"b": 1, "b": ":x"}}', "duplicate key 'b'"),
        ('{"a": 1, "a" : "\\u003ax"}', "duplicate key 'a'"),
        ('{"a": 1, "a": "\\u0022:"}', "duplicate key 'a'"),  # the kept text re-encodes as \\": (one more)
        ('{"v": 1e400}', "out of range"),
        ('{"v": 1' + "0" * 35 + "}", "out of range"),
        ('{"v": 0.' + "1" * 45 + "}", "digits"),
        ('{"v": NaN}', "NaN is not a number"),
        ('{"t": "' + "x" * 100_001 + '"}', "100,001 characters"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested more than 64 deep"),
        ('{"a": 1', "ends too soon"),
    ],
)
def test_a_bad_document_in_a_batch_gets_load_json_s_error_and_the_others_are_read(text: str, message: str):
    good = b'{"resourceType": "Observation", "valueQuantity": {"value": 1.50}}'
    found = load_json_batch([good, text.encode(), good], [("x.ndjson", 1), ("x.ndjson", 2), ("x.ndjson", 3)])
    assert isinstance(found[1], InputError) and message in str(found[1]) and str(found[1]).startswith("x.ndjson:2")
    assert found[0] == found[2] == {"resourceType": "Observation", "valueQuantity": {"value": Decimal("1.50")}}
    assert _same(found[0], load_json(good.decode()))


@pytest.mark.parametrize(
    "text",
    [
        '{"t": "' + 'x\\"' * 33_334 + '", "u": "a\\"b"}',  # 100,002 characters, a third of them escaped quotes
        '{"t": "' + "\\u00e9" * 100_000 + '"}',  # 100,000 characters written with 600,000 bytes
        '{"t": "' + "\u00e9" * 100_000 + '", "u": "' + "x" * 99_999 + '\\""}',  # long in bytes, in the limit
        '[{"a": 1}, "' + "y" * 100_001 + '"]',  # texts in a list are not limited (as load_json reads them)
    ],
)
def test_long_documents_are_read_as_load_json_reads_them(text: str):
    data = text.encode()
    assert _same(load_json_batch([data], [("big.json", None)])[0], _reference(data, "big.json", None))


def test_numbers_are_exact_and_a_zero_is_read_as_load_json_reads_it():
    value = load_json_bytes(b'{"a": 0.1, "b": -0.0, "c": 12345678901234567890123456789, "d": 1.250e1}')
    assert _same(
        value, {"a": Decimal("0.1"), "b": Decimal(0), "c": 12345678901234567890123456789, "d": Decimal("12.50")}
    )
    with pytest.raises(InputError, match=r"^f.json:3: the number"):
        load_json_bytes(b'{"a": 1e31}', "f.json", 3)
