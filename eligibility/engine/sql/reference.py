"""The patient's reference row of a batch query (``ref``): reference date, possible birth range, complete
record categories; every pass and leaf of the query reads the patient through it (alias ``r``)."""

from __future__ import annotations

from datetime import date

from sqlglot import exp

from eligibility.engine.sql.expressions import case, col, date_minus, date_plus_days, day, number, text
from eligibility.lang import ast


def _birth_range(ref_date: exp.Expression) -> list[exp.Expression]:
    """``birth_early`` and ``birth_late``: the earliest and latest possible birth date, from the stored range (a
    known or partial birth date), else from the age (as of the patient's ``as_of``, else the reference date)."""
    age = col("age", "p")
    anchor = exp.Coalesce(this=col("as_of", "p"), expressions=[ref_date.copy()])
    earliest = date_plus_days(date_minus(anchor, exp.Add(this=age, expression=number(1)), "YEAR"), 1)
    latest = date_minus(anchor.copy(), age.copy(), "YEAR")
    return [
        exp.Alias(
            this=exp.Coalesce(this=col("birth_low", "p"), expressions=[earliest]),
            alias=exp.to_identifier("birth_early"),
        ),
        exp.Alias(
            this=exp.Coalesce(this=col("birth_high", "p"), expressions=[latest]), alias=exp.to_identifier("birth_late")
        ),
    ]


def reference_rows(as_of: date | None, fallback: date | None) -> exp.Select:
    """The ``ref`` relation: one row per patient with the reference date (``as_of`` given for all, else the
    patient's own, else ``fallback``), the possible birth range and which record categories are complete."""
    chosen = [day(d) for d in (as_of,) if d] + [col("as_of", "p")] + [day(d) for d in (fallback,) if d]
    ref_date = exp.Coalesce(this=chosen[0], expressions=chosen[1:]) if len(chosen) > 1 else chosen[0]
    flags = [
        exp.Max(this=case((exp.EQ(this=col("category"), expression=text(c)), number(1)), default=number(0))).as_(
            c, copy=False
        )
        for c in ast.CATEGORIES
    ]
    complete = (
        exp.select(col("patient_id"), *flags, copy=False)
        .from_("completeness", copy=False)
        .group_by(col("patient_id"), copy=False)
    )
    columns: list[exp.Expression] = [
        col(name, "p") for name in ("patient_id", "birth_low", "birth_high", "age", "as_of", "sex")
    ]
    columns += _birth_range(ref_date)
    completes = [
        exp.GT(this=exp.Coalesce(this=col(c, "k"), expressions=[number(0)]), expression=number(0)).as_(
            f"complete_{c}", copy=False
        )
        for c in ast.CATEGORIES
    ]
    return (
        exp.select(*columns, ref_date.as_("ref_date"), *completes, copy=False)
        .from_(exp.alias_(exp.to_table("patients"), "p", table=True), copy=False)
        .join(
            exp.alias_(exp.Subquery(this=complete), "k", table=True),
            on=exp.EQ(this=col("patient_id", "k"), expression=col("patient_id", "p")),
            join_type="left",
            copy=False,
        )
    )
