"""The SQL stage's dispatch table and what every handler shares: a node's :class:`Compiled` SQL, and the leaf
columns a handler registers (see :mod:`eligibility.engine.sql.compiler` for the handlers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp

from eligibility.engine.compiler import Plan
from eligibility.engine.findings import Reason
from eligibility.engine.sql.expressions import conj, is_null, text, typed
from eligibility.lang import ast
from eligibility.lang.dispatch import NodeDispatch

if TYPE_CHECKING:
    from eligibility.engine.sql.query import CohortQuery, Settings


@dataclass(frozen=True)
class Compiled:
    """A node in SQL: its truth (BOOLEAN, NULL for unknown), its reason code, and whether it needs data
    (TRUE when some unknown leaf under it would be decided by data, as :func:`engine.diagnosis.review_only`)."""

    met: exp.Expression
    reason: exp.Expression
    needs_data: exp.Expression


Handler = Callable[[Plan, "CohortQuery", "Settings"], Compiled]
SQL: NodeDispatch[Handler] = NodeDispatch("sql")


LOGIC = (ast.AllOf, ast.AnyOf, ast.Not, ast.Implies)


def compile_sql(plan: Plan, query: CohortQuery, settings: Settings) -> Compiled:
    """The SQL of ``plan`` within ``query`` (leaves are added to the query's ``leaves`` relation once, and a
    node met again with the same settings is not compiled again)."""
    handler = SQL[type(plan.node)]
    if isinstance(plan.node, LOGIC):  # cheap to build from its children, costly to hash
        return handler(plan, query, settings)
    return query.compiled((plan.node, settings.key), lambda: handler(plan, query, settings))


def reason_code(reason: Reason) -> exp.Literal:
    """A reason code as a literal."""
    return text(reason.value)


def leaf(query: CohortQuery, key: tuple, met: exp.Expression, reason: exp.Expression) -> Compiled:
    """A leaf's columns; it needs data when unknown, unless its reason is review (only the review leaf's can be:
    known when compiling, so a query keeping only verdicts never computes the leaves' reasons)."""
    met_column, reason_column = query.leaf(key, met, reason)
    if may_be(reason, Reason.REVIEW):
        return Compiled(
            met_column,
            reason_column,
            conj(is_null(met_column), exp.NEQ(this=reason_column, expression=reason_code(Reason.REVIEW))),
        )
    return Compiled(met_column, reason_column, is_null(met_column.copy()))


def may_be(reason: exp.Expression, code: Reason) -> bool:
    """Whether a reason expression (built of literal codes) can give ``code``."""
    return any(isinstance(n, exp.Literal) and n.this == code.value for n in reason.walk())


def constant(query: CohortQuery, key: tuple, reason: Reason) -> Compiled:
    return leaf(query, key, typed(exp.Null(), "BOOLEAN"), reason_code(reason))
