"""One dispatch style for every stage: a table of handlers keyed by rule node type.

Each stage (render, resolve, compile, evaluate, explain, diagnose, SQL) declares a :class:`NodeDispatch` and
registers one handler per node type; :meth:`NodeDispatch.unhandled` lists the node types a stage forgot, and a
test asserts it is empty for every stage, so a new node type cannot silently fall through to a default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from eligibility.lang import ast

H = TypeVar("H", bound=Callable[..., Any])


class NodeDispatch(Generic[H]):
    """Handlers of one stage, one per rule node type (sqlglot's generator dispatch table is the model)."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.table: dict[type[ast.Node], H] = {}

    def register(self, *types: type[ast.Node]) -> Callable[[H], H]:
        """Decorator: ``handler`` handles each of ``types``."""

        def add(handler: H) -> H:
            for node_type in types:
                if node_type in self.table:
                    raise TypeError(f"{self.stage}: {node_type.__name__} registered twice")
                self.table[node_type] = handler
            return handler

        return add

    def __getitem__(self, node_type: type[ast.Node]) -> H:
        try:
            return self.table[node_type]
        except KeyError:
            raise TypeError(f"{self.stage} has no handler for {node_type.__name__}") from None

    def unhandled(self) -> list[type[ast.Node]]:
        """Rule node types this stage has no handler for (empty when the stage is complete)."""
        return [node_type for node_type in ast.NODE_TYPES if node_type not in self.table]
