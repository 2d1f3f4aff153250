"""Per-patient aggregates folded into one grouped pass per record table.

Every aggregate a rule node needs (the newest reading of a measure in a window, the records of a concept in a
window, a negation on record, …) is a *conditional aggregate*: ``AGG(CASE WHEN condition THEN value END)`` over the
rows of one table, grouped by patient. A :class:`TablePass` collects all of a table's aggregates, for every
clause of every trial in the batch, into a single ``SELECT … GROUP BY patient_id`` over ``table AS x`` joined
to the patient's reference row ``ref AS r``; the batch query then joins each pass to ``ref`` once.

An aggregate is identified by a key (equal keys are computed once) and read back as a plain column whose name
is unique in the whole query, so node handlers combine them with ordinary column expressions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlglot import exp

from eligibility.engine.sql.expressions import col

ROW, REF = "x", "r"  # the aliases of a pass's table row and of the patient's reference row


@dataclass
class TablePass:
    """One grouped pass over ``table`` (``x``) joined to ``ref`` (``r``) or to another pass (``join``):
    named conditional aggregates, each computed once per key."""

    table: str
    join: str = "ref"
    aggregates: dict[tuple, tuple[str, exp.Expression]] = field(default_factory=dict)
    selector: str | None = None  # a column every aggregate's condition restricts to listed values …
    selected: set[str] | None = field(default_factory=set)  # … the union of those values (None: unrestricted)

    def column(self, name: str, key: tuple, build: Callable[[], exp.Expression], within: Iterable[str] | None):
        """Register the aggregate ``build()`` (already filtered) under ``key`` as column ``name``; returns the
        column. ``within`` lists the values of the pass's selector column the aggregate's rows can have (None:
        any), so the pass reads only rows some aggregate can use."""
        if key not in self.aggregates:
            self.aggregates[key] = (name, build())
            if within is None or self.selected is None:
                self.selected = None
            else:
                self.selected.update(within)
        return col(self.aggregates[key][0])

    def relation(self) -> exp.Select:
        """``SELECT x.patient_id, <aggregates> FROM table x JOIN <join> r … GROUP BY x.patient_id``."""
        on = exp.EQ(this=col("patient_id", ROW), expression=col("patient_id", REF))
        query = (
            exp.select(col("patient_id", ROW), copy=False)
            .from_(exp.alias_(exp.to_table(self.table), ROW, table=True), copy=False)
            .join(exp.alias_(exp.to_table(self.join), REF, table=True), on=on, copy=False)
        )
        aggregates = [aggregate for _, aggregate in self.aggregates.values()]
        if self.selector is not None and self.selected:
            kinds = _Kinds(self.selector, sorted(self.selected))
            aggregates = [kinds.rewrite(aggregate) for aggregate in aggregates]
            if kinds.sets:
                on = exp.EQ(this=col(self.selector, KINDS), expression=col(self.selector, ROW))
                query = query.join(kinds.relation().subquery(KINDS, copy=False), on=on, copy=False)
        for (name, _), aggregate in zip(self.aggregates.values(), aggregates, strict=True):
            query = query.select(exp.alias_(aggregate, name, copy=False), copy=False)
        if self.selector is not None and self.selected is not None:
            values = [exp.Literal.string(v) for v in sorted(self.selected)]
            restrict = exp.In(this=col(self.selector, ROW), expressions=values) if values else exp.false()
            query = query.where(restrict, copy=False)
        return query.group_by(col("patient_id", ROW), copy=False)


KINDS = "k"  # the alias of a pass's kinds relation
SHORTEST_SET = 4  # a set of fewer values is tested on each row directly


class _Kinds:
    """Membership of the selector's values in the sets the aggregates test (``x.concept IN (…)``), computed once
    per listed value rather than once per row and aggregate: ``SELECT concept, concept IN (…) AS s0, … FROM
    (VALUES …)``, joined to the pass's rows on the selector (every row's value is listed: the pass reads no
    other rows)."""

    def __init__(self, selector: str, values: list[str]) -> None:
        self.selector, self.values = selector, values
        self.sets: dict[tuple[str, ...], str] = {}

    def rewrite(self, aggregate: exp.Expression) -> exp.Expression:
        """``aggregate`` with each test of a long enough set replaced by its column of the kinds relation."""

        def replace(node: exp.Expression) -> exp.Expression:
            if not (isinstance(node, exp.In) and len(node.expressions) >= SHORTEST_SET):
                return node
            if not (isinstance(node.this, exp.Column) and node.this.name == self.selector):
                return node
            listed = tuple(item.this for item in node.expressions)
            name = self.sets.setdefault(listed, f"s{len(self.sets)}")
            return col(name, KINDS)

        return aggregate.copy().transform(replace, copy=False)

    def relation(self) -> exp.Select:
        """``SELECT v.<selector>, v.<selector> IN (…) AS s0, … FROM (VALUES …) AS v(<selector>)``."""
        rows = [exp.Tuple(expressions=[exp.Literal.string(v)]) for v in self.values]
        table = exp.Values(
            expressions=rows,
            alias=exp.TableAlias(this=exp.to_identifier("v"), columns=[exp.to_identifier(self.selector)]),
        )
        relation = exp.select(col(self.selector, "v"), copy=False).from_(table, copy=False)
        for listed, name in self.sets.items():
            test = exp.In(this=col(self.selector, "v"), expressions=[exp.Literal.string(v) for v in listed])
            relation = relation.select(exp.alias_(test, name, copy=False), copy=False)
        return relation


def filtered(aggregate: exp.Expression, condition: exp.Expression) -> exp.Expression:
    """``AGG(CASE WHEN condition THEN value END)``: the aggregate over the rows meeting ``condition`` (NULL when
    none does). Written with CASE rather than ``FILTER (WHERE …)``, which DuckDB evaluates 3-5× slower."""
    value = aggregate.this
    return type(aggregate)(this=exp.Case().when(condition, value, copy=False))
