"""Small charts of a patient's lab history against the thresholds of the rules that use it.

One chart per measure that a screened rule compares and the patient has numeric results for: the dated values
in the unit the first rule writes (converted exactly, drawn as floats), a line per distinct threshold (the
limit of an ``x ULN`` rule as the patient's own lab gave it), the windows a result had to fall in shaded, and
the reference date marked. Drawn with matplotlib's SVG backend at render time: text stays text (searchable,
readable by screen readers), and the output is byte-for-byte deterministic (fixed hash salt, no date).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from eligibility.engine.context import DEFAULT_LAB_RECENCY
from eligibility.engine.findings import Finding, LimitEvidence
from eligibility.engine.timeline import boundary
from eligibility.lang import ast
from eligibility.output.words import label, shown
from eligibility.patient.index import PatientIndex
from eligibility.screen.screener import PatientReport
from eligibility.vocab.units import format_number, measure_factor
from eligibility.vocab.vocabulary import MeasureDef

_STYLE: Any = {  # matplotlib types rc keys as a Literal of every name
    "svg.fonttype": "none",  # text as <text>, not paths
    "svg.hashsalt": "eligibility",  # ids that do not change from run to run
    "text.parse_math": False,  # a "$" in a label is a dollar sign, not TeX
    "font.size": 8,
    "font.family": "sans-serif",
}
_LINE_COLOURS = ("#b2182b", "#2166ac", "#762a83", "#1b7837", "#8c510a")


@dataclass
class Threshold:
    """A limit rules compare the measure with, in the chart's unit, and the clauses using it (sign, where)."""

    value: Fraction
    uses: list[tuple[str, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """``0.5: ≥ ChiCTR… E10a, > NCT… E9b``."""
        more = f" +{len(self.uses) - 2}" if len(self.uses) > 2 else ""
        return f"{shown(self.value)}: " + ", ".join(f"{sign} {where}" for sign, where in self.uses[:2]) + more

    @property
    def short(self) -> str:
        """The legend entry: ``≥ 0.5 E10a``."""
        sign, where = self.uses[0]
        more = f" +{len(self.uses) - 1}" if len(self.uses) > 1 else ""
        return f"{sign} {shown(self.value)} {where.split()[-1]}{more}"


_OP_SIGN = {"<=": "≤", ">=": "≥", "<": "<", ">": ">", "==": "=", "!=": "≠"}


@dataclass
class Series:
    """What one chart shows."""

    measure: MeasureDef
    unit: str
    points: list[tuple[date, Fraction]]
    thresholds: list[Threshold]
    window_starts: list[date]
    as_of: date

    @property
    def name(self) -> str:
        """The measure's short name."""
        return label(self.measure, self.measure.id)

    @property
    def caption(self) -> str:
        """A sentence saying what the chart shows (also its text alternative)."""
        latest_date, latest = self.points[-1]
        values = f"{len(self.points)} result" + ("" if len(self.points) == 1 else "s")
        limits = "; ".join(t.text for t in self.thresholds)
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.name}: {values}, latest {shown(latest)}{unit} on {latest_date}; limits {limits}"


def _leaves(finding: Finding) -> Iterator[Finding]:
    if finding.children:
        for child in finding.children:
            yield from _leaves(child)
    else:
        yield finding


def measure_series(report: PatientReport, index: PatientIndex, recency: ast.Duration = DEFAULT_LAB_RECENCY) -> list:
    """The charts of ``report``'s patient, one per measure compared by a rule, in first-use order."""
    found: dict[str, Series] = {}
    for result in report.results:
        trial_recency = result.trial.lab_recency or recency
        for clause in result.clauses:
            for leaf in _leaves(clause.finding):
                _add(found, leaf, index, f"{result.trial.id} {clause.clause.id}", trial_recency)
    return [series for series in found.values() if series.points]


def _add(found: dict[str, Series], leaf: Finding, index: PatientIndex, where: str, recency: ast.Duration) -> None:
    node, measure = leaf.plan.node, leaf.plan.measure
    if measure is None or not isinstance(node, ast.Comparison | ast.RelativeComparison):
        return
    series = found.get(measure.id)
    if series is None:
        unit = node.quantity.unit if isinstance(node, ast.Comparison) and node.quantity.unit else measure.unit
        series = found[measure.id] = Series(measure, unit, [], [], [], index.as_of)
        series.points = _points(measure, unit, index)
    factor = measure_factor(measure.unit, series.unit, measure.molar_mass, measure.valence) or Fraction(1)
    limit = _canonical_limit(leaf)
    if limit is not None:
        _threshold(series, limit * factor, node.op, where)
    window = node.window or ast.Window(op="<=", duration=recency)
    moment = boundary(index.as_of, window.duration)
    if moment is None:  # the window reaches back before year 1: nothing to shade
        return
    start = moment.date()
    if window.op in ("<=", "<") and start not in series.window_starts:
        series.window_starts.append(start)


def _canonical_limit(leaf: Finding) -> Fraction | None:
    if isinstance(leaf.plan.node, ast.Comparison):
        return leaf.plan.threshold
    if isinstance(leaf.evidence, LimitEvidence) and isinstance(leaf.plan.node, ast.RelativeComparison):
        return Fraction(leaf.plan.node.factor) * leaf.evidence.limit
    return None


def _threshold(series: Series, value: Fraction, op: str, where: str) -> None:
    use = (_OP_SIGN.get(op, op), where)
    for threshold in series.thresholds:
        if threshold.value == value:
            if use not in threshold.uses:
                threshold.uses.append(use)
            return
    series.thresholds.append(Threshold(value, [use]))


def _points(measure: MeasureDef, unit: str, index: PatientIndex) -> list[tuple[date, Fraction]]:
    factor = measure_factor(measure.unit, unit, measure.molar_mass, measure.valence) or Fraction(1)
    readings = index.readings.get(measure.id, ())
    return sorted((r.date, r.value * factor) for r in readings if isinstance(r.value, Fraction))


# --- drawing ------------------------------------------------------------------------------------------------


def chart_svg(series: Series) -> str:
    """The chart as an ``<svg>`` element (no XML prologue), ready to inline in HTML."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(4.4, 1.9), dpi=72)
        figure.subplots_adjust(left=0.11, right=0.7, top=0.86, bottom=0.2)
        axes = figure.add_subplot()
        _draw(axes, series)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    # The figure's caption is its text alternative: screen readers skip the tick labels.
    return '<svg aria-hidden="true"' + text[text.index("<svg") + len("<svg") :]


def _draw(axes, series: Series) -> None:
    from matplotlib.dates import DateFormatter
    from matplotlib.ticker import FixedLocator, MaxNLocator

    dates = [d for d, _ in series.points]
    values = [float(v) for _, v in series.points]
    first = min([*dates, *series.window_starts])
    span = max((series.as_of - first).days, 7)
    margin = timedelta(days=max(span // 20, 1))
    for start in sorted(series.window_starts):
        axes.axvspan(start, series.as_of, color="#4393c3", alpha=0.12, linewidth=0)
    axes.axvline(series.as_of, color="#555555", linewidth=0.8, linestyle=":")
    for number, threshold in enumerate(series.thresholds):
        colour = _LINE_COLOURS[number % len(_LINE_COLOURS)]
        axes.axhline(float(threshold.value), color=colour, linewidth=1, linestyle=(0, (4, 2)), label=threshold.short)
    axes.plot(dates, values, marker="o", markersize=4, color="#222222", linewidth=1.2, label="result")
    axes.set_xlim(first - margin, series.as_of + margin)
    # Few, fixed ticks (the earliest date and the reference date): cheaper to draw than a date locator's.
    axes.xaxis.set_major_locator(FixedLocator(axes.convert_xunits([first, series.as_of])))
    axes.xaxis.set_major_formatter(DateFormatter("%Y-%m-%d"))
    axes.yaxis.set_major_locator(MaxNLocator(4))
    unit = f" ({series.unit})" if series.unit else ""
    axes.text(0, 1.04, f"{series.name}{unit}", transform=axes.transAxes, fontsize=9)  # cheaper than a title
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    axes.margins(y=0.25)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def latest_text(series: Series) -> str:
    """``0.4 10^9/L (2026-10-29)``."""
    day, value = series.points[-1]
    return f"{format_number(value) if value.denominator == 1 else shown(value)} {series.unit} ({day})".strip()
