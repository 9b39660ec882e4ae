"""The layout the README describes, held by tests."""

from __future__ import annotations

import ast

from pipeline.settings import REPO_ROOT


def test_only_the_runtime_package_imports_faust():
    """Stage logic stays testable without Faust: only pipeline/agents/ may import it."""
    importers = []
    for path in (REPO_ROOT / "pipeline").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        names += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        if any(name == "faust" or name.startswith("faust.") for name in names):
            importers.append(path.relative_to(REPO_ROOT).as_posix())
    assert importers and all(path.startswith("pipeline/agents/") for path in importers), importers
