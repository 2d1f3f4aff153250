"""The package's shape: stages import only lower stages, and every stage handles every rule node type."""

from __future__ import annotations

import ast as pyast
from datetime import date
from pathlib import Path

import pytest

from eligibility.engine.compiler import COMPILE, compile_rule
from eligibility.engine.context import EvaluationContext
from eligibility.engine.diagnosis import DIAGNOSE
from eligibility.engine.evaluator import EVALUATE, evaluate
from eligibility.engine.sql.compiler import SQL
from eligibility.lang import ast
from eligibility.lang.parsing import parse_rule
from eligibility.lang.render import RENDER, render
from eligibility.lang.resolve import RESOLVE, resolve_rule
from eligibility.output.explain import EXPLAIN, explain, missing
from eligibility.patient.contract import Patient
from eligibility.patient.index import index_patient
from eligibility.vocab.vocabulary import default_vocabulary

PACKAGE = Path(__file__).resolve().parent.parent / "eligibility"

# Lowest first. A module may import its own stage and any stage listed before it, never one after it.
LAYERS: list[set[str]] = [
    {"errors", "resources", "validation", "inputs", "json_batch"},
    {"vocab"},
    {"lang"},
    {"patient"},
    {"engine"},
    {"trials"},
    {"text"},
    {"registry"},
    {"screen"},
    {"output"},
    {"cohort"},
    {"api", "progress", "stopping", "cli", "__init__", "__main__"},
]
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}


def _stage(module: str) -> str:
    """``eligibility.engine.evaluator`` → ``engine``; ``eligibility`` → ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = pyast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in pyast.walk(tree):
        if isinstance(node, pyast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("eligibility"):
                found.append((node.lineno, node.module))
        elif isinstance(node, pyast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("eligibility")]
    return found


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_belongs_to_a_stage():
    stages = {
        path.relative_to(PACKAGE).parts[0].removesuffix(".py") for path in _modules() if path.name != "__init__.py"
    }
    assert stages <= set(LEVEL), f"modules outside any layer: {sorted(stages - set(LEVEL))}"


def test_no_module_imports_a_higher_stage():
    upward = []
    for path in _modules():
        rel = path.relative_to(PACKAGE)
        own = "__init__" if rel.parts == ("__init__.py",) else rel.parts[0].removesuffix(".py")
        for line, module in _imports(path):
            target = _stage(module)
            if LEVEL[target] > LEVEL[own]:
                upward.append(f"{rel}:{line} imports {module} ({own} → {target})")
    assert upward == []


def test_no_relative_imports():
    relative = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in _modules()
        for node in pyast.walk(pyast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, pyast.ImportFrom) and node.level
    ]
    assert relative == []


def test_no_module_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in _modules() if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


# --- every stage handles every node ---------------------------------------------------------------------

STAGES = {
    "render": RENDER,
    "resolve": RESOLVE,
    "compile": COMPILE,
    "evaluate": EVALUATE,
    "explain": EXPLAIN,
    "diagnose": DIAGNOSE,
    "sql": SQL,
}

# One example of every node type, in canonical text; the test below fails when a node type has none.
EXAMPLES = {
    ast.Comparison: "alc <= 0.5 10^9/L within 7 days",
    ast.RelativeComparison: "ast >= 3 x ULN",
    ast.Qualitative: "hbsag is positive",
    ast.Age: "age >= 18 years",
    ast.AgeAtOnset: "age at onset of autoimmune_encephalitis >= 18 years",
    ast.Sex: "sex is female",
    ast.Presence: "has condition malignancy except basal_cell_carcinoma within 5 years",
    ast.Count: "count event relapse within 12 months >= 2",
    ast.AllOf: "age >= 18 years and sex is female",
    ast.AnyOf: "age >= 18 years or sex is female",
    ast.Not: "not sex is female",
    ast.NeedsReview: 'review "investigator judgement"',
    ast.Implies: "if sex is female then age >= 18 years",
    ast.DiseaseDuration: "duration of condition multiple_sclerosis >= 2 years",
    # language v2: doses and treatment courses
    ast.DoseComparison: "has medication systemic_corticosteroid dose >= 20 mg/day as prednisone within 4 weeks",
    ast.DoseTiming: "last dose of rituximab at least 4 weeks ago",
    ast.CourseLength: "has medication interferon_beta for at least 1 year within 2 years",
    ast.Trend: "mrs not improved within 4 weeks",
    ast.StableDose: "stable dose of prednisone for at least 4 weeks",
}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_every_stage_has_a_handler_for_every_node_type(stage: str):
    assert STAGES[stage].unhandled() == []


def test_every_node_type_has_an_example():
    assert set(EXAMPLES) == set(ast.NODE_TYPES)


@pytest.mark.parametrize("node_type", ast.NODE_TYPES, ids=lambda t: t.__name__)
def test_every_node_type_goes_through_every_stage(node_type: type[ast.Node]):
    vocabulary = default_vocabulary()
    rule = parse_rule(EXAMPLES[node_type])
    assert type(rule) is node_type
    assert parse_rule(render(rule)) == rule
    resolved, problems = resolve_rule(rule, vocabulary)
    assert problems == []
    plan = compile_rule(resolved, vocabulary)
    as_of = date(2026, 11, 1)
    empty = index_patient(Patient(id="p"), vocabulary, as_of)
    finding = evaluate(plan, empty, EvaluationContext(as_of, vocabulary))
    assert finding.plan is plan
    assert explain(finding)
    needs = missing(finding)
    assert isinstance(needs, list)
    # An empty record decides nothing: every leaf but a review leaf names the data that would decide it.
    assert (needs == []) == (node_type is ast.NeedsReview)


def test_a_node_type_without_a_handler_is_an_error_not_a_default():
    class Unknown(ast.Node):
        kind: str = "unknown"

    with pytest.raises(TypeError, match="render has no handler for Unknown"):
        render(Unknown())
