"""What pyproject.toml declares: every third-party module the package imports, the licence file, no torch cap."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys

import pytest

from conftest import REPO_ROOT

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]).lower()


def _imported_top_level_modules() -> set[str]:
    found = set()
    for path in (REPO_ROOT / "dtu_audio").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"dtu_audio"}


def test_every_imported_distribution_is_declared():
    declared = {_name(r) for r in PYPROJECT["dependencies"]}
    distributions = importlib.metadata.packages_distributions()
    undeclared = {
        module: names
        for module in _imported_top_level_modules()
        if not declared & (names := {_name(d) for d in distributions.get(module, [module])})
    }
    assert undeclared == {}


def test_the_licence_file_is_the_declared_licence():
    assert PYPROJECT["license"] == {"text": "MIT"} and PYPROJECT["license-files"] == ["LICENSE"]
    assert (REPO_ROOT / "LICENSE").read_text().startswith("MIT License\n")


def test_torch_has_no_upper_bound():
    torch = next(r for r in PYPROJECT["dependencies"] if _name(r) == "torch")
    assert "<" not in torch
