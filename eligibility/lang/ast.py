"""The typed rule AST: frozen pydantic nodes discriminated by ``kind``.

Nodes are data. Behaviour (rendering, compiling, evaluating, explaining) lives in other modules and dispatches
on the node type. Every node may carry the ``span`` of the source text it was read from; spans and the words
that named a measure (``measure_text``) are provenance, not meaning, so they take no part in equality: a rule
parsed from free text equals the same rule parsed from its canonical text.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

Op = Literal["<", "<=", ">", ">=", "==", "!="]
WindowOp = Literal["<", "<=", ">", ">="]
TimeUnit = Literal["hour", "day", "week", "month", "year"]
Category = Literal["condition", "medication", "procedure", "immunization", "event"]
Limit = Literal["ULN", "LLN"]

CATEGORIES: tuple[str, ...] = get_args(Category)
TIME_UNITS: frozenset[str] = frozenset(get_args(TimeUnit))
# How a window reads, by its operator: the one wording that render and explain both use.
WINDOW_WORDING: dict[str, str] = {
    "<=": "within {}",
    ">=": "at least {} ago",
    ">": "more than {} ago",
    "<": "less than {} ago",
}
_PROVENANCE = frozenset({"span", "measure_text", "concept_text"})


class Span(BaseModel):
    """Character offsets ``[start, end)`` of a node in the text it was parsed from."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    start: int
    end: int


class Data(BaseModel):
    """Base of all AST values: frozen, strict about unknown fields, equal when their meaning is equal."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def _meaning(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in type(self).model_fields if name not in _PROVENANCE)

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return self._meaning() == other._meaning()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._meaning()))


class Quantity(Data):
    """A number with a unit in canonical spelling (``""`` for scores and other unitless values)."""

    value: Decimal
    unit: str = ""
    span: Span | None = None


class Duration(Data):
    """A length of time in one calendar unit."""

    value: Decimal
    unit: TimeUnit


class Window(Data):
    """How long ago something happened, relative to the reference date: ``elapsed <op> duration``.

    ``<=`` reads "within 3 weeks"; ``>=`` reads "at least 6 weeks ago"; ``>`` "more than"; ``<`` "less than".
    """

    op: WindowOp
    duration: Duration


class Node(Data):
    """Base of rule nodes; ``span`` locates the node in its source text when it was parsed."""

    span: Span | None = None


class _Result(Node):
    """A node about a test result: ``ever`` and a window are alternatives (each says how old a result may be)."""

    @model_validator(mode="after")
    def _one_age_limit(self) -> _Result:
        if getattr(self, "ever", False) and getattr(self, "window", None) is not None:
            raise ValueError("a result rule takes `ever` or a window, not both")
        return self


class Comparison(_Result):
    """A measure compared with a quantity: ``alc <= 0.5 10^9/L``, optionally measured within a window."""

    kind: Literal["comparison"] = "comparison"
    measure: str
    op: Op
    quantity: Quantity
    window: Window | None = None
    ever: bool = False  # the latest result of any date counts (``ever``), whatever its validity
    measure_text: str | None = None


class RelativeComparison(_Result):
    """A measure compared with a multiple of the patient's reference limit: ``ast >= 3 x ULN``."""

    kind: Literal["relative"] = "relative"
    measure: str
    op: Op
    factor: Decimal
    limit: Limit
    window: Window | None = None
    ever: bool = False  # the latest result of any date counts (``ever``), whatever its validity
    measure_text: str | None = None


class Qualitative(_Result):
    """A qualitative test result: ``hbsag is positive``; ``aqp4_igg is positive ever`` takes a result of any
    date (a lifetime test), ``within 5 years`` one that recent."""

    kind: Literal["qualitative"] = "qualitative"
    measure: str
    value: str
    window: Window | None = None
    ever: bool = False  # the latest result of any date counts (``ever``), whatever its validity
    measure_text: str | None = None


class Age(Node):
    """Age in completed units on the reference date: ``age >= 18 years``."""

    kind: Literal["age"] = "age"
    op: Op
    duration: Duration


class OnsetRule(Node):
    """Base of the rules read at the onset of the earliest record of one or more conditions."""

    kind: str
    concept: str
    op: Op
    duration: Duration
    concept_text: str | None = None
    alternatives: tuple[str, ...] = ()  # further conditions after the first, read as "or"

    @property
    def concepts(self) -> tuple[str, ...]:
        """Every condition named."""
        return (self.concept, *self.alternatives)


class AgeAtOnset(OnsetRule):
    """Age when a condition began, at the onset of its earliest record:
    ``age at onset of autoimmune_encephalitis >= 18 years``; of any of several conditions:
    ``age at onset of (autoimmune_encephalitis or autoimmune_cerebellar_ataxia) >= 18 years``."""

    kind: Literal["age_at_onset"] = "age_at_onset"


class Sex(Node):
    """Sex recorded for the patient: ``sex is female``."""

    kind: Literal["sex"] = "sex"
    value: Literal["female", "male"]


class Presence(Node):
    """A record of a concept, optionally active, other than some kinds of it, and within a window:
    ``has immunization live_vaccine within 3 weeks``, ``has condition malignancy except basal_cell_carcinoma``.
    """

    kind: Literal["presence"] = "presence"
    category: Category
    concept: str
    active: bool = False
    excluding: tuple[str, ...] = ()
    window: Window | None = None
    concept_text: str | None = None


class Count(Node):
    """How many records of a concept fall in a window: ``count event relapse within 12 months >= 2``."""

    kind: Literal["count"] = "count"
    category: Category
    concept: str
    window: Window | None = None
    op: Op
    count: int
    concept_text: str | None = None


class AllOf(Node):
    """True when every item is true (Kleene conjunction)."""

    kind: Literal["all"] = "all"
    items: tuple[Rule, ...]


class AnyOf(Node):
    """True when some item is true (Kleene disjunction)."""

    kind: Literal["any"] = "any"
    items: tuple[Rule, ...]


class Not(Node):
    """Negation (unknown stays unknown)."""

    kind: Literal["not"] = "not"
    item: Rule


class Implies(Node):
    """Implication ``if A then B``: Kleene ``not A or B`` (true when A is false, whatever B is)."""

    kind: Literal["implies"] = "implies"
    condition: Rule
    then: Rule


class DiseaseDuration(OnsetRule):
    """Time since a condition began (the onset of its earliest record), on the reference date, in completed
    units: ``duration of condition multiple_sclerosis >= 2 years``."""

    kind: Literal["disease_duration"] = "disease_duration"


class NeedsReview(Node):
    """Text no rule captures; a person must judge it. Never decides a verdict on its own."""

    kind: Literal["review"] = "review"
    text: str


# --- language v2: doses and treatment courses ---------------------------------------------------------------


class Equivalent(Data):
    """``as prednisone``: the drug a dose is expressed as (used while parsing only)."""

    name: str


class Lasting(Data):
    """``for at least 3 days``: how long a course lasted (used while parsing only)."""

    duration: Duration


class DoseComparison(Node):
    """A medication taken at a dose: ``has medication prednisone dose >= 20 mg/day within 4 weeks``.

    True when some record of the drug (or a kind of it) in the window has a known dose that satisfies the
    comparison. ``equivalent`` names the drug doses are expressed as (``... dose >= 20 mg/day as prednisone``),
    through the dose equivalence table; the threshold is per day, or per kg of body weight per day. ``lasting``
    asks that record's course to have lasted at least that long (``... dose >= 500 mg/day for at least 3 days``:
    days taken, first and last included).
    """

    kind: Literal["dose"] = "dose"
    category: Category = "medication"  # only medications have doses (checked when the rule is resolved)
    concept: str
    op: Op
    quantity: Quantity
    equivalent: str | None = None
    window: Window | None = None
    concept_text: str | None = None
    lasting: Duration | None = None


class DoseTiming(Node):
    """When the first or the last dose of a drug (or a kind of it) was taken, against a window:
    ``first dose of rituximab at least 2 months ago``, ``last dose of rituximab at least 4 weeks ago``.

    The first dose is the earliest start of the drug's records; the last dose is the latest day it was taken (a
    record's end; the reference date while it is ongoing; between its start and the reference date when it ended
    on a day not known).
    """

    kind: Literal["dose_timing"] = "dose_timing"
    which: Literal["first", "last"]
    concept: str
    window: Window
    concept_text: str | None = None


class CourseLength(Node):
    """A course of a drug (or a kind of it) that lasted at least a length, whatever the dose:
    ``has medication interferon_beta for at least 1 year`` (see :mod:`eligibility.engine.courses`)."""

    kind: Literal["course"] = "course"
    category: Category = "medication"  # only medications have courses (checked when the rule is resolved)
    concept: str
    lasting: Duration
    window: Window | None = None
    concept_text: str | None = None


class Trend(Node):
    """How a score changed over a window, the better way (``improved``) or not (``worsened``), as the measure's
    ``better`` says: ``mrs not improved within 4 weeks``, ``edss worsened by >= 1 within 12 months`` (see
    :mod:`eligibility.engine.trends`)."""

    kind: Literal["trend"] = "trend"
    measure: str
    change: Literal["improved", "worsened"]
    negated: bool = False
    op: Op | None = None  # with ``amount``: ``by >= 1``
    amount: Quantity | None = None
    window: Window
    measure_text: str | None = None

    @model_validator(mode="after")
    def _amount_with_op(self) -> Trend:
        if (self.op is None) != (self.amount is None):
            raise ValueError("a trend's amount takes a comparison: `by >= 1`")
        return self


class StableDose(Node):
    """A drug (or a kind of it) taken at one dose throughout a window up to the reference date:
    ``stable dose of prednisone for at least 4 weeks`` (see :mod:`eligibility.engine.stable`)."""

    kind: Literal["stable_dose"] = "stable_dose"
    concept: str
    lasting: Duration
    concept_text: str | None = None


Rule = Annotated[
    Comparison
    | RelativeComparison
    | Qualitative
    | Age
    | AgeAtOnset
    | Sex
    | Presence
    | Count
    | AllOf
    | AnyOf
    | Not
    | NeedsReview
    | Implies
    | DiseaseDuration
    | DoseComparison
    | DoseTiming
    | CourseLength
    | Trend
    | StableDose,
    Field(discriminator="kind"),
]

NODE_TYPES: tuple[type[Node], ...] = get_args(get_args(Rule)[0])
"""Every member of the :data:`Rule` union: each stage must handle each of them."""

LEAF_TYPES: tuple[type[Node], ...] = tuple(t for t in NODE_TYPES if t not in (AllOf, AnyOf, Not, Implies))
"""The rule nodes that are not logic."""

for _model in (AllOf, AnyOf, Not, Implies):
    _model.model_rebuild()


class RuleDocument(BaseModel):
    """Wrapper used to validate a rule from JSON (``parse --format json`` output)."""

    model_config = ConfigDict(frozen=True)
    rule: Rule


def walk(rule: Node):
    """Yield ``rule`` and every node below it, depth first."""
    yield rule
    if isinstance(rule, (AllOf, AnyOf)):
        for item in rule.items:
            yield from walk(item)
    elif isinstance(rule, Not):
        yield from walk(rule.item)
    elif isinstance(rule, Implies):
        yield from walk(rule.condition)
        yield from walk(rule.then)
