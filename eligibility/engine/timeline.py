"""Calendar arithmetic anchored to an explicit reference date (never the wall clock).

- Days and weeks are exact day counts; months and years are calendar months and years (1 month before
  31 March is 28 or 29 February). Fractional months or years use the average month (30.4375 days).
- Age is in completed years (or months): someone born on 29 February turns a year older on 1 March in
  common years.
- A window ``elapsed <op> duration`` holds for a date ``t`` when the time from ``t`` to the reference date
  satisfies it; a record spanning ``[start, end]`` satisfies it when some day of the span does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from eligibility.lang.ast import Duration, Window

_DAYS_PER_UNIT = {
    "hour": Decimal(1) / 24,
    "day": Decimal(1),
    "week": Decimal(7),
    "month": Decimal("30.4375"),
    "year": Decimal("365.25"),
}


def boundary(as_of: date, duration: Duration) -> datetime | None:
    """The instant ``duration`` before the reference date (midnight-based); ``None`` when that is before the
    first day of year 1, i.e. before every date a record can have."""
    return _boundary(as_of, duration.value, duration.unit)


@lru_cache(maxsize=4096)
def _boundary(as_of: date, value: Decimal, unit: str) -> datetime | None:
    start = datetime(as_of.year, as_of.month, as_of.day)
    try:
        if unit in ("month", "year") and value == value.to_integral_value():
            months = int(value) * (12 if unit == "year" else 1)
            return start - relativedelta(months=months)
        return start - timedelta(days=float(value * _DAYS_PER_UNIT[unit]))
    except (OverflowError, ValueError):  # year 0 or earlier
        return None


def in_window(start: date, end: date, as_of: date, window: Window | None) -> bool:
    """True when some day of ``[start, end]`` (clipped to the reference date) lies in ``window``."""
    last = min(end, as_of)
    if start > last:
        return False
    if window is None:
        return True
    edge = boundary(as_of, window.duration)
    if edge is None:  # the window opens before year 1: every date is "within", none is "ago"
        return window.op in ("<=", "<")
    first_dt = datetime(start.year, start.month, start.day)
    last_dt = datetime(last.year, last.month, last.day)
    if window.op == "<=":
        return last_dt >= edge
    if window.op == "<":
        return last_dt > edge
    if window.op == ">=":
        return first_dt <= edge
    return first_dt < edge


def completed_years(birth: date, on: date) -> int:
    """Whole years from ``birth`` to ``on``."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def completed_months(birth: date, on: date) -> int:
    """Whole months from ``birth`` to ``on``."""
    months = (on.year - birth.year) * 12 + on.month - birth.month
    return months - (on.day < birth.day)


def age_in(unit: str, birth: date, on: date) -> Decimal:
    """Age in completed ``unit`` (year, month, week, day) on a date."""
    if unit == "year":
        return Decimal(completed_years(birth, on))
    if unit == "month":
        return Decimal(completed_months(birth, on))
    days = (on - birth).days
    return Decimal(days // 7 if unit == "week" else days)


def birth_range_for_age(age: int, as_of: date) -> tuple[date, date] | None:
    """Earliest and latest birth dates of someone aged ``age`` completed years on ``as_of``; ``None`` when
    that is before year 1 (the age cannot be placed on the calendar)."""
    try:
        latest = as_of - relativedelta(years=age)
        earliest = as_of - relativedelta(years=age + 1) + timedelta(days=1)
    except (OverflowError, ValueError):
        return None
    return earliest, latest
