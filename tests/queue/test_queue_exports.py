"""The public names of `stream_al.queue` and `stream_al.priority`."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest


@pytest.mark.parametrize("module", ["stream_al.queue", "stream_al.priority"])
def test_every_public_name_exists_and_is_documented(module: str) -> None:
    mod = importlib.import_module(module)
    assert mod.__all__ == sorted(mod.__all__)
    for name in mod.__all__:
        obj = getattr(mod, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__doc__, f"{module}.{name} has no docstring"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_queue_core_stays_pure() -> None:
    package = Path(importlib.import_module("stream_al.queue").__file__ or "").parent
    files = [*package.glob("*.py"), package.parent / "priority.py"]
    allowed = {"__future__", "collections", "dataclasses", "enum", "heapq", "logging", "math"}
    allowed |= {"hashlib", "stream_al", "typing", "uuid"}
    for path in files:
        assert imported_modules(path) <= allowed, path.name
