"""One JSON document as one line of text, fast (msgspec) and compact, the same bytes whichever encoder wrote it."""

from __future__ import annotations

import json
from typing import Any

import msgspec

_ENCODER = msgspec.json.Encoder()


def json_line(document: Any, pretty: bool = False) -> str:
    """``document`` as JSON text ending with a newline: compact on one line, or indented by two when ``pretty``.

    Non-ASCII text is written as is (UTF-8), never escaped. msgspec writes the compact form; a value it does not
    take (an integer beyond 64 bits, say) falls back to the standard library with the same separators."""
    if pretty:
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    try:
        return _ENCODER.encode(document).decode("utf-8") + "\n"
    except (TypeError, OverflowError, msgspec.EncodeError):
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"
