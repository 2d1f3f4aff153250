"""Segmentation of a criteria block into inclusion and exclusion items.

Understands English and Chinese section headings, numbering (``1.``, ``1)``, ``(1)``, ``①``, ``a)``, ``i.``,
``* 1\\.``), bullets, nesting by indentation, numbered items run together on one line ("1.… 2.… 3.…", as
ChiCTR pages write them), continuation lines, and short sub-headings (kept as the items' group). No text is
dropped: a line that belongs to no item becomes an item of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_INCLUSION = re.compile(
    r"(?i)^\W*(?:(?:key|main|common|general|specific|additional|main|basic)\s+)?"
    r"inclu(?:sion|sions|ded)?\s*(?:criteri[ao]n?s?)?\b[^.]{0,60}$|^\W*(?:纳入|入选|入组)标准"
)
_EXCLUSION = re.compile(
    r"(?i)^\W*(?:(?:key|main|common|general|specific|additional|main|basic)\s+)?"
    r"exclu(?:sion|sions|ded)?\s*(?:criteri[ao]n?s?)?\b[^.]{0,60}$|^\W*(?:排除|剔除)标准"
)
_MARKER = re.compile(
    r"^(?P<indent>\s*)(?P<marker>"
    r"(?:[*\-•·●◦▪+]\s*)?\(?\d{1,2}\s?[.)、．。](?!\d)|"  # 1.  1)  (1)  * 1.  1、
    r"\(\d{1,2}\)|"
    r"[①-⑳]|"
    r"\(?[a-hA-H]\s?[.)。．](?=\s*\S)|"  # a)  a.  (a)  a )  A。
    r"\(?(?:i{1,3}|iv|vi{0,3}|ix|x)[.)](?=\s*\S)|"  # i.  ii)  iv.
    r"[*\-•·●◦▪](?=\s))\s*"
)
_INLINE = re.compile(r"(?:(?<=^)|(?<=[\s;；。.,，:：]))(?P<n>\d{1,2})\s?[.、．)](?!\d)")
_INLINE_LETTER = re.compile(r"(?:(?<=^)|(?<=[\s;；。,，:：]))(?P<n>[a-h])\s?\)")
_ESCAPE = re.compile(r"\\([.\-*<>^()_\[\]])")


@dataclass
class Item:
    """One criterion item: its id (I1, E2a), kind, text, marker and group (a sub-heading, if any)."""

    id: str
    kind: str | None
    text: str
    marker: str = ""
    group: str | None = None
    depth: int = 0
    number: str | None = None
    children: list[Item] = field(default_factory=list)


def _split_inline(line: str, pattern: re.Pattern, first: str, step) -> list[str]:
    """Split "1.aaa 2.bbb 3.ccc" into items when the markers count up from ``first`` — or, after a clause
    ends ("…; 3. Female …; 4. Voluntarily …"), from any number."""
    cuts: list[int] = []
    expected = first
    for match in pattern.finditer(line):
        number = match.group("n")
        if number == expected or (not cuts and re.search(r"[;；。.]\s*$", line[: match.start()])):
            cuts.append(match.start())
            expected = step(number)
    if len(cuts) < 2:
        return [line]
    pieces = [line[: cuts[0]]] if line[: cuts[0]].strip() else []
    pieces += [line[a:b] for a, b in zip(cuts, [*cuts[1:], len(line)], strict=False)]
    return pieces


def _lines(text: str) -> list[str]:
    lines = []
    for raw in _ESCAPE.sub(r"\1", text).replace("\r", "").split("\n"):
        for piece in _split_inline(raw, _INLINE, "1", lambda n: str(int(n) + 1)):
            lead = raw[: len(raw) - len(raw.lstrip())] if piece is not raw else ""
            for sub in _split_inline(piece, _INLINE_LETTER, "a", lambda c: chr(ord(c) + 1)):
                lines.append(lead + sub if sub is not piece else sub)
    return lines


def _heading(line: str) -> str | None:
    stripped = line.strip()
    if len(stripped) > 90:
        return None
    if _EXCLUSION.match(stripped):
        return "exclusion"
    if _INCLUSION.match(stripped):
        return "inclusion"
    return None


def segment(text: str, default_kind: str | None = None) -> list[Item]:
    """The items of a criteria block, top level first with their sub-items as children."""
    builder = _Builder(default_kind)
    lines = _lines(text)
    for index, line in enumerate(lines):
        if not line.strip() or re.fullmatch(r"\s*<!--.*-->\s*", line):
            builder.blank()
            continue
        kind = _heading(line)
        if kind is not None:
            builder.section(kind, line)
            continue
        match = _MARKER.match(line)
        if match and builder.broken_numbering(line[match.end() :]):
            builder.text(line[match.end() :].strip(), 99)
        elif match:
            builder.item(match.group("marker").strip(), len(match.group("indent")), line[match.end() :].strip())
        elif _is_subheading(line, lines[index + 1 :], lines[index - 1] if index else ""):
            builder.subheading(line.strip())
        else:
            builder.text(line.strip(), len(line) - len(line.lstrip()))
    return builder.items


def _is_subheading(line: str, rest: list[str], previous: str = "") -> bool:
    """A heading over a list: short, starts like a title (capital or CJK), is no wrapped text (the line before
    ended its sentence or was blank, and this one ends no clause with ", or")."""
    stripped = line.strip()
    if len(stripped) > 100 or stripped.endswith((".", "。", ";", "；", ",", "，")) or _MARKER.match(line):
        return False
    if not re.match(r"[A-Z\u4e00-\u9fff]", stripped) or re.search(r"(?i)\b(?:or|and|with|of|to)$", stripped):
        return False
    if previous.strip() and not re.search(r"[.。;；:：]\s*$", previous) and not _heading(previous):
        return False
    following = next((line for line in rest if line.strip()), "")
    match = _MARKER.match(following)
    return match is not None and re.sub(r"[^0-9a-zA-Z①]", "", match.group("marker")) in ("1", "a", "①", "")


_RESTART = frozenset({"1", "a", "i", "①", "A"})


def _style(marker: str) -> tuple[str, str | None]:
    """The marker's style ("star-number", "number.", "(number)", "letter)", "bullet", …) and its number."""
    if not marker:
        return "none", None
    number = re.search(r"\d{1,2}|[①-⑳]|\b(?:i{1,3}|iv|vi{0,3}|ix|x)\b|[a-hA-H]", marker)
    value = number.group(0) if number else None
    if value is None:
        return "bullet:" + marker[0], None
    kind = (
        "digit"
        if value.isdigit()
        else "circled"
        if value in "①②③④⑤⑥⑦⑧⑨⑩"
        else "roman"
        if re.fullmatch(r"i{1,3}|iv|vi{0,3}|ix|x", value)
        else "letter"
    )
    shape = re.sub(r"\d{1,2}|[①-⑳]|i{1,3}|iv|vi{0,3}|ix|x|[a-hA-H]", "#", marker.replace(" ", ""))
    return f"{kind}:{shape}", value


@dataclass
class _Open:
    indent: int
    style: str
    item: Item


class _Builder:
    """Accumulates items: numbering, nesting (by indentation and by marker style), continuation lines."""

    def __init__(self, kind: str | None) -> None:
        self.kind = kind
        self.group: str | None = None
        self.items: list[Item] = []
        self.stack: list[_Open] = []
        self.counters: dict[str, int] = {}
        self.open = False

    def section(self, kind: str, line: str) -> None:
        self.kind, self.group, self.stack, self.open = kind, None, [], False
        rest = re.split(r"[:：]", line, maxsplit=1)
        if len(rest) == 2 and len(rest[1].strip()) > 3 and not re.search(r"criteria", rest[1], re.I):
            self.item("", 0, rest[1].strip())

    def blank(self) -> None:
        self.open = False

    def broken_numbering(self, text: str) -> bool:
        """A numbered line that continues the item before it: page text sometimes numbers the second half of
        an item ("…drugs for more than 6 months: antimalarials," / "4. methotrexate, leflunomide, …")."""
        return bool(
            self.stack
            and self.stack[-1].item.text.endswith((",", "，"))
            and text[:1].islower()
            and self.stack[-1].style.startswith("digit")
        )

    def subheading(self, line: str) -> None:
        """A label over the items that follow; one that introduces them ("…of the following:") is an item."""
        self.stack, self.open = [], False
        if line.endswith((":", "：")):
            self.item("", 0, line)
            self.stack, self.open = [], False
        else:
            self.group = line.strip()

    def _place(self, style: str, number: str | None, indent: int) -> None:
        """Pop the open items this one is not nested in. Marker style decides before indentation (page text
        often loses indentation): a restarted numbering opens a sub-list; a style already open is a sibling."""
        if not self.stack:
            return
        top = self.stack[-1]
        restart = number in _RESTART and top.item.number != number
        same = next((i for i in range(len(self.stack) - 1, -1, -1) if self.stack[i].style == style), None)
        if restart and (same is None or same == len(self.stack) - 1 or top.item.text.endswith((":", "："))):
            return
        if same is not None and style != "none":
            del self.stack[same:]
        elif indent > top.indent or top.item.text.endswith((":", "：")):
            return
        else:
            while self.stack and self.stack[-1].indent >= indent:
                self.stack.pop()

    def item(self, marker: str, indent: int, text: str) -> None:
        style, number = _style(marker)
        self._place(style, number, indent)
        parent = self.stack[-1].item if self.stack else None
        item = Item(self._next_id(parent), self.kind, text, marker, self.group, len(self.stack), number=number)
        if parent is None:
            self.items.append(item)
        else:
            parent.children.append(item)
        self.stack.append(_Open(indent, style, item))
        self.open = True

    def text(self, text: str, indent: int) -> None:
        """A line without a marker: the continuation of the open item when it follows it directly or is
        indented under it; otherwise an item of its own (nothing is dropped)."""
        if self.stack and self._one_per_line(text):
            self.stack = []
            self.item("", indent, text)
        elif self.stack and (
            (self.open or indent > self.stack[-1].indent)
            and (indent >= min(self.stack[-1].indent, 1) or self._wrapped(text))
        ):
            current = self.stack[-1].item
            current.text = f"{current.text} {text}".strip()
            self.open = True
        else:
            self.stack = []
            self.item("", indent, text)

    def _wrapped(self, text: str) -> bool:
        """A lower-case line right after an item that ended no sentence: the item's text, wrapped."""
        return text[:1].islower() and not re.search(r"[.。;；]\s*$", self.stack[-1].item.text)

    def _one_per_line(self, text: str) -> bool:
        """Unbulleted criteria, one per line: a line after an unmarked item that ended its clause, starting as a
        criterion starts (a capital, a number, a comparator or CJK), is the next item, not a continuation."""
        current = self.stack[-1].item
        if current.marker or not self.open:
            return False
        ended = not re.search(
            r"(?i)(?:[,，:：(\-/]|\b(?:or|and|and/or|with|of|to|the|a|an|than|in|for|by))\s*$", current.text
        )
        return ended and bool(re.match(r"[A-Z0-9<>≤≥\u4e00-\u9fff]", text))

    def _next_id(self, parent: Item | None) -> str:
        if parent is not None:
            position = len(parent.children)
            suffix = chr(ord("a") + position) if parent.depth == 0 and position < 26 else f"-{position + 1}"
            return f"{parent.id}{suffix}"
        prefix = {"inclusion": "I", "exclusion": "E"}.get(self.kind or "", "C")
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]}"


def leaves(items: list[Item]) -> list[Item]:
    """Every item in order, parents before their children."""
    result = []
    for item in items:
        result.append(item)
        result += leaves(item.children)
    return result
