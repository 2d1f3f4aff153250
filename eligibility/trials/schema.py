"""Trials: the YAML file schema (what authors write) and the loaded trial (what screening uses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from eligibility.engine.context import ReferenceRange
from eligibility.lang import ast

ClauseKind = Literal["inclusion", "exclusion"]


# --- the file schema ---------------------------------------------------------------------------------------


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PopulationSpec(_Spec):
    """Structured registry fields: ``min_age: 18 years``, ``max_age: 60 years``, ``sex: all``."""

    min_age: str | None = None
    max_age: str | None = None
    sex: Literal["all", "female", "male"] = "all"


class RangeSpec(_Spec):
    """A reference range for a measure, e.g. ``{high: 40 U/L}``."""

    low: str | None = None
    high: str | None = None


class CohortSpec(_Spec):
    """A sub-population with its own criteria (e.g. one disease of a basket trial)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    name: str


class CriterionSpec(_Spec):
    """One inclusion or exclusion clause: verbatim source text and, when it can be computed, a rule."""

    id: str = Field(min_length=1)
    kind: ClauseKind
    text: str = Field(min_length=1)
    alt_text: str | None = None
    rule: str | None = None
    cohort: str | None = None
    note: str | None = None


class TrialSpec(_Spec):
    """A rule file."""

    id: str = Field(min_length=1)
    title: str | None = None
    registry: str | None = None
    source: str | None = None
    url: str | None = None
    population: PopulationSpec = field(default_factory=PopulationSpec)
    lab_recency: str | None = None
    reference_ranges: dict[str, RangeSpec] = {}
    cohorts: list[CohortSpec] = []
    criteria: list[CriterionSpec] = Field(min_length=1)


# --- the loaded trial --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One reported clause of a trial with its resolved rule (``NeedsReview`` when none was written)."""

    id: str
    kind: ClauseKind
    text: str
    rule: ast.Node
    cohort: str | None = None
    note: str | None = None
    written: bool = True
    alt_text: str | None = None
    from_population: bool = False

    @property
    def needs_review(self) -> bool:
        """True when no part of the clause can be computed."""
        return isinstance(self.rule, ast.NeedsReview)


@dataclass(frozen=True)
class Trial:
    """A loaded, validated trial: clauses with resolved rules, settings and provenance."""

    id: str
    clauses: tuple[Clause, ...]
    title: str | None = None
    registry: str | None = None
    source: str | None = None
    url: str | None = None
    population: PopulationSpec = field(default_factory=PopulationSpec)
    lab_recency: ast.Duration | None = None
    reference_ranges: dict[str, ReferenceRange] = field(default_factory=dict)
    cohorts: dict[str, str] = field(default_factory=dict)
    path: str | None = field(default=None, compare=False)

    def clause(self, clause_id: str) -> Clause:
        """The clause with this id."""
        return next(c for c in self.clauses if c.id == clause_id)
