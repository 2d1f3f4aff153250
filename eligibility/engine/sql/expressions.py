"""Small builders of sqlglot expressions shared by the SQL compiler: columns, literals, dates, windows, ages.

Everything is an expression tree (never concatenated text), so one plan renders to DuckDB and to Spark SQL.
Calendar arithmetic reproduces :mod:`eligibility.engine.timeline` exactly: whole months and years are calendar
months (clamped to the month's end, as ``relativedelta`` does); other durations become whole-day edges computed
here from the same microsecond boundary the in-process timeline uses.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlglot import exp

from eligibility.engine.timeline import _DAYS_PER_UNIT
from eligibility.lang.ast import Duration, Window

DAY = timedelta(days=1)
COMPARATORS: dict[str, type[exp.Binary]] = {
    "<": exp.LT,
    "<=": exp.LTE,
    ">": exp.GT,
    ">=": exp.GTE,
    "==": exp.EQ,
    "!=": exp.NEQ,
}


_TYPES: dict[str, exp.DataType] = {}


def typed(value: exp.Expression, name: str) -> exp.Cast:
    """``CAST(value AS name)``; each type is parsed once (parsing a type name builds a tokenizer and a parser)."""
    if name not in _TYPES:
        _TYPES[name] = exp.DataType.build(name)
    return exp.Cast(this=value, to=_TYPES[name].copy())


def conj(*items: Any) -> Any:
    """``a AND b AND …`` (operands parenthesised where needed; built in place, without copying)."""
    return exp.and_(*items, copy=False)


def disj(*items: Any) -> Any:
    """``a OR b OR …``."""
    return exp.or_(*items, copy=False)


def negate(item: exp.Expression) -> exp.Expression:
    """``NOT item``."""
    return exp.not_(item, copy=False)


def col(name: str, table: str | None = None) -> exp.Column:
    """A column reference."""
    return exp.column(name, table=table)


def text(value: str) -> exp.Literal:
    """A string literal."""
    return exp.Literal.string(value)


def number(value: int | Decimal | str) -> exp.Expression:
    """A numeric literal (exact: integers and decimals are written as they are)."""
    literal = exp.Literal.number(str(value))
    return exp.Neg(this=exp.Literal.number(str(value)[1:])) if str(value).startswith("-") else literal


def day(value: date) -> exp.Cast:
    """A DATE literal."""
    return typed(text(value.isoformat()), "DATE")


def compare(op: str, left: exp.Expression, right: exp.Expression) -> exp.Expression:
    """``(left <op> right)`` for a rule operator (``==``, ``!=``, ``<`` …), parenthesised for nesting."""
    return exp.Paren(this=COMPARATORS[op](this=left, expression=right))


def case(*branches: tuple[exp.Expression, exp.Expression], default: exp.Expression | None = None) -> exp.Case:
    """CASE WHEN … THEN … [ELSE …] END."""
    built = exp.Case()
    for condition, result in branches:
        built = built.when(condition, result, copy=False)
    return built.else_(default, copy=False) if default is not None else built


def is_null(value: exp.Expression) -> exp.Expression:
    """``value IS NULL`` (``value`` parenthesised unless it is a column)."""
    simple = isinstance(value, exp.Column | exp.Paren | exp.Literal)
    return exp.Is(this=value if simple else exp.Paren(this=value), expression=exp.Null())


def not_null(value: exp.Expression) -> exp.Expression:
    """``value IS NOT NULL``."""
    return negate(is_null(value))


def wide(value: exp.Expression) -> exp.Cast:
    """An integer widened to DECIMAL(38, 0), so products of numerators and denominators cannot overflow."""
    return typed(value, "DECIMAL(38, 0)")


def ratio_compare(op: str, num: exp.Expression, den: exp.Expression, other: Fraction) -> exp.Expression:
    """``num/den <op> other`` exactly (denominators are positive): ``num * q <op> p * den``."""
    left = exp.Mul(this=wide(num), expression=number(other.denominator))
    right = exp.Mul(this=number(other.numerator), expression=wide(den))
    return compare(op, left, right)


def date_minus(anchor: exp.Expression, amount: exp.Expression | int, unit: str) -> exp.Expression:
    """``anchor`` minus ``amount`` days, months or years, as a DATE (calendar months clamp to the month's end)."""
    size = number(amount) if isinstance(amount, int) else amount
    return typed(exp.DateSub(this=anchor, expression=size, unit=exp.var(unit)), "DATE")


def date_plus_days(anchor: exp.Expression, days: int) -> exp.Expression:
    """``anchor`` plus a whole number of days, as a DATE."""
    return typed(exp.DateAdd(this=anchor, expression=number(days), unit=exp.var("DAY")), "DATE")


def _edge_days(duration: Duration) -> tuple[int, int]:
    """Floor and ceiling, in whole days, of the timeline's boundary for a non-calendar duration."""
    span = timedelta(days=float(duration.value * _DAYS_PER_UNIT[duration.unit]))
    floor = span // DAY
    return floor, floor + (span % DAY != timedelta(0))


def _calendar(duration: Duration) -> bool:
    return duration.unit in ("month", "year") and duration.value == duration.value.to_integral_value()


def window_condition(
    window: Window | None, first: exp.Expression, last: exp.Expression, ref: exp.Expression
) -> exp.Expression:
    """True when some day of ``[first, last]`` (``last`` already clipped to ``ref``) lies in ``window``."""
    ordered = exp.LTE(this=first, expression=last)
    if window is None:
        return ordered
    if _calendar(window.duration):
        months = int(window.duration.value) * (12 if window.duration.unit == "year" else 1)
        edge = date_minus(ref, months, "MONTH")
        tests = {"<=": exp.GTE(this=last, expression=edge), "<": exp.GT(this=last, expression=edge)}
        tests |= {">=": exp.LTE(this=first, expression=edge), ">": exp.LT(this=first, expression=edge)}
        return conj(ordered, tests[window.op])
    floor, ceiling = _edge_days(window.duration)
    # elapsed(t) = ref - t in days; the boundary E lies in (floor - 1, ceiling]: compare elapsed with it exactly.
    if window.op == "<=":
        test: exp.Expression = exp.GTE(this=last, expression=date_minus(ref, floor, "DAY"))
    elif window.op == "<":
        test = exp.GT(this=last, expression=date_minus(ref, ceiling, "DAY"))
    elif window.op == ">=":
        test = exp.LTE(this=first, expression=date_minus(ref, ceiling, "DAY"))
    else:
        test = exp.LT(this=first, expression=date_minus(ref, floor, "DAY"))
    return conj(ordered, test)


def _year(value: exp.Expression) -> exp.Expression:
    return exp.Year(this=value)


def _month(value: exp.Expression) -> exp.Expression:
    return exp.Month(this=value)


def _day(value: exp.Expression) -> exp.Expression:
    return exp.Day(this=value)


def _before_in_year(on: exp.Expression, birth: exp.Expression) -> exp.Expression:
    """1 when ``on``'s month and day come before ``birth``'s, else 0 (29 February counts as after 28th)."""
    earlier = disj(
        exp.LT(this=_month(on), expression=_month(birth)),
        conj(exp.EQ(this=_month(on), expression=_month(birth)), exp.LT(this=_day(on), expression=_day(birth))),
    )
    return case((earlier, number(1)), default=number(0))


def age_in(unit: str, birth: exp.Expression, on: exp.Expression) -> exp.Expression:
    """Age in completed ``unit`` from ``birth`` to ``on`` (as :func:`eligibility.engine.timeline.age_in`)."""
    years = exp.Sub(this=_year(on), expression=_year(birth))
    if unit == "year":
        return exp.Sub(this=years, expression=_before_in_year(on, birth))
    if unit == "month":
        months = exp.Add(
            this=exp.Mul(this=exp.Paren(this=years), expression=number(12)),
            expression=exp.Sub(this=_month(on), expression=_month(birth)),
        )
        late = case((exp.LT(this=_day(on), expression=_day(birth)), number(1)), default=number(0))
        return exp.Sub(this=months, expression=late)
    days = exp.DateDiff(this=on, expression=birth, unit=exp.var("DAY"))
    if unit == "week":
        return exp.Floor(this=exp.Div(this=days, expression=number(7)))
    return days


def compare_bounds(op: str, low: exp.Expression, high: exp.Expression, threshold: Decimal) -> exp.Expression:
    """The comparison when the age lies between ``low`` and ``high``: decided only if both ends agree
    (for ``==``/``!=`` with ``low != high``, the ages in between must agree too); else NULL."""
    at_low, at_high = compare(op, low, number(threshold)), compare(op, high, number(threshold))
    agree: exp.Expression = exp.EQ(this=at_low, expression=at_high)
    if op in ("==", "!="):
        between = exp.Boolean(this=op == "!=")
        agree = conj(agree, disj(exp.EQ(this=low, expression=high), exp.EQ(this=at_low, expression=between)))
    return case((agree, at_low), default=exp.Null())
