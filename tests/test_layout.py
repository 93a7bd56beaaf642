"""The house kept in order: modules, classes and functions of a size one reads top to
bottom, the networks' and the writer's modules without side effects at import, and
the manual pages short enough to be a manual (docs/experiments.md holds the rest)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("*.py"), *ROOT.glob("webapp/*.py")])
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def parsed(path):
    return ast.parse(path.read_text(), filename=str(path))


def spans(tree, kinds):
    return [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(tree)
            if isinstance(node, kinds)]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_modules_and_functions_are_short_enough_to_read(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.name}: {lines} lines"
    long = [(name, n) for name, n in spans(parsed(path), (ast.FunctionDef, ast.AsyncFunctionDef))
            if n > MAX_FUNCTION_LINES]
    assert not long, f"{path.name}: functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_the_networks_module_holds_networks_only():
    tree = parsed(ROOT / "model.py")
    assert len((ROOT / "model.py").read_text().splitlines()) < 500
    assert all(n <= 250 for _, n in spans(tree, ast.ClassDef))


@pytest.mark.parametrize("name", ["mixture.py", "lstm.py", "model.py", "writer.py", "kinds.py"])
def test_the_maths_and_the_writer_do_nothing_at_import(name):
    # a statement at module level that calls something (other than defining names from
    # a call, such as a constant or a compiled pattern) is a side effect of importing
    tree = parsed(ROOT / name)
    calls = [node.lineno for node in tree.body
             if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)]
    assert not calls, f"{name}: calls at import on lines {calls}"


def test_conditions_on_the_kind_booleans_are_few():
    # a model's kind is asked of kinds.py, not tested as config.synthesis/.recognizer
    count = 0
    for path in SOURCES:
        for node in ast.walk(parsed(path)):
            if isinstance(node, (ast.If, ast.IfExp, ast.BoolOp, ast.UnaryOp)):
                test = node.test if isinstance(node, (ast.If, ast.IfExp)) else node
                count += sum(isinstance(n, ast.Attribute)
                             and n.attr in ("synthesis", "recognizer")
                             and not (isinstance(n.value, ast.Name)
                                      and n.value.id in ("args", "models"))
                             for n in ast.walk(test))
    assert count <= 20


def test_the_synthesis_page_is_a_manual():
    assert len((ROOT / "docs" / "synthesis.md").read_text().splitlines()) < 300
