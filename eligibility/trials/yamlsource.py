"""Safe YAML reading that remembers where every value came from.

Aliases are refused (no "billion laughs"), custom tags are refused, duplicate keys are errors, and every
value's line and column are kept so later errors (schema, rule syntax, units) can point into the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from eligibility.errors import EligibilityError, Location, RuleFileError
from eligibility.inputs import check_yaml_depth


@dataclass(frozen=True)
class Position:
    """Where a value starts in the file (1-based), and how its scalar was written."""

    line: int
    column: int
    style: str | None = None


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in rule files", event.start_mark
            )
        return super().compose_node(parent, index)


def _position(node: Node) -> Position:
    style = getattr(node, "style", None) or None  # libyaml writes plain as "", PyYAML as None
    return Position(node.start_mark.line + 1, node.start_mark.column + 1, style)


def _error(message: str, mark, file: str, lines: list[str], hint: str) -> RuleFileError:
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    source = lines[line - 1] if line and line <= len(lines) else None
    source = source if source is None or len(source) <= 500 else None  # no caret under a huge line
    return RuleFileError(message, location=Location(file=file, line=line, column=column), hint=hint, source_line=source)


_FastLoader = getattr(yaml, "CSafeLoader", None)  # libyaml, when PyYAML was built with it


class _SharedNode(Exception):
    """The node graph has a node reached twice: the text used an alias."""


def load_yaml(text: str, file: str) -> tuple[object, dict[tuple, Position]]:
    """The data of a one-document YAML text and the position of every value by its path.

    Raises :class:`RuleFileError` (with line, column and caret) for syntax errors, aliases, custom tags and
    duplicate keys. Well-formed files are read with libyaml when available; anything else is read again with
    the pure-Python parser, whose messages and positions the errors use.
    """
    lines = text.splitlines()
    check_yaml_depth(text, file, RuleFileError)
    if _FastLoader is not None:
        loader = _FastLoader(text)
        try:
            root = loader.get_single_node()
            if root is not None:
                positions: dict[tuple, Position] = {}
                return _build(root, (), loader, positions, file, lines, set()), positions
        except (yaml.YAMLError, _SharedNode):
            pass
        finally:
            loader.dispose()
    return _load_checked(text, file, lines)


def _load_checked(text: str, file: str, lines: list[str]) -> tuple[object, dict[tuple, Position]]:
    try:
        loader = _NoAliasLoader(text)
    except yaml.reader.ReaderError as exc:  # a control character: no mark, a position in the text
        raise _unprintable(text, file, exc) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise RuleFileError(
                "the file is empty",
                location=Location(file=file),
                hint="a rule file needs at least `id:` and `criteria:`",
            )
        positions: dict[tuple, Position] = {}
        return _build(root, (), loader, positions, file, lines, None), positions
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        hint = "check indentation, colons and quotes near this place"
        if "constructor for the tag" in problem:
            tag = re.search(r"'([^']+)'", problem)
            problem = f"custom tags are not allowed ({tag.group(1) if tag else 'unknown tag'})"
            hint = "remove the tag; rule files hold plain text, numbers, lists and mappings"
        elif "aliases" in problem:
            hint = "write the value out in full instead of referring to an anchor"
        raise _error(f"invalid YAML: {problem}", mark, file, lines, hint) from None
    except yaml.reader.ReaderError as exc:
        raise _unprintable(text, file, exc) from None
    finally:
        loader.dispose()


def _unprintable(text: str, file: str, error: yaml.reader.ReaderError) -> RuleFileError:
    line = text.count("\n", 0, error.position) + 1
    column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
    return RuleFileError(
        f"invalid YAML: character U+{error.character:04X} is not allowed",
        location=Location(file=file, line=line, column=column),
        hint="remove the control character",
    )


def _build(node: Node, path: tuple, loader, positions: dict, file: str, lines: list[str], seen: set | None) -> object:
    if seen is not None:
        if id(node) in seen:
            raise _SharedNode()
        seen.add(id(node))
    positions[path] = _position(node)
    if isinstance(node, ScalarNode):
        return loader.construct_object(node, deep=True)
    if isinstance(node, SequenceNode):
        _check_tag(node, "tag:yaml.org,2002:seq", file, lines)
        return [_build(item, (*path, i), loader, positions, file, lines, seen) for i, item in enumerate(node.value)]
    if isinstance(node, MappingNode):
        _check_tag(node, "tag:yaml.org,2002:map", file, lines)
        result: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)):
                raise _error("keys must be plain names", key_node.start_mark, file, lines, "write `name: value`")
            if key in result:
                raise _error(
                    f"duplicate key {key!r}",
                    key_node.start_mark,
                    file,
                    lines,
                    "remove one of the two entries (YAML would silently keep only the last)",
                )
            result[key] = _build(value_node, (*path, key), loader, positions, file, lines, seen)
        return result
    raise EligibilityError("unsupported YAML node", location=Location(file=file))


def _check_tag(node: Node, expected: str, file: str, lines: list[str]) -> None:
    if node.tag != expected:
        raise _error(
            f"custom tags are not allowed ({node.tag})",
            node.start_mark,
            file,
            lines,
            "remove the tag; rule files hold plain text, numbers, lists and mappings",
        )
