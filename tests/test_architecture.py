"""The layer rules of DESIGN.md, checked on the source: every import, at module level or inside a function.

commands and tui -> tuning -> evaluation -> agents -> storage and scenarios -> records, config, errors.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOT_PACKAGE = {"tests", "benchmarks", "build", "dist", ".venv", ".git"}
BASE = {"records", "config", "errors", "practicum"}  # `practicum` itself: the version and public API
ALLOWED = {
    "cli": {"commands"} | BASE,
    "commands": {"commands", "tui", "tuning", "evaluation", "agents", "storage", "scenarios"} | BASE,
    "tui": {"tui", "tuning", "evaluation", "agents", "storage", "scenarios"} | BASE,
    "tuning": {"tuning", "evaluation", "agents", "storage", "scenarios"} | BASE,
    "evaluation": {"evaluation", "agents", "storage", "scenarios"} | BASE,
    "agents": {"agents", "storage", "scenarios"} | BASE,
    "storage": {"storage", "scenarios"} | BASE,
    "scenarios": {"scenarios"} | BASE,
    "records": {"errors"},
    "config": {"errors"},
    "errors": set(),
}


def package_modules():
    for path in sorted(REPO.rglob("*.py")):
        rel = path.relative_to(REPO)
        top = REPO / rel.parts[0]
        if rel.parts[0] in NOT_PACKAGE or rel.parts[0].startswith(".") or (top / "pyvenv.cfg").exists():
            continue  # not the package: tests, build output, hidden folders, any virtual environment
        room = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        yield rel, room, ast.parse(path.read_text(encoding="utf-8"))


def imported_rooms(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "practicum":
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.split(".")[0] == "practicum"]
        else:
            continue
        for name in names:
            parts = name.split(".")
            yield node.lineno, parts[1] if len(parts) > 1 else "practicum"


def test_no_layer_imports_upward_even_lazily():
    wrong = []
    for rel, room, tree in package_modules():
        allowed = ALLOWED.get(room)
        if allowed is None:
            continue  # __init__ / __main__
        for line, target in imported_rooms(tree):
            if target not in allowed:
                wrong.append(f"{rel}:{line} ({room} -> {target})")
    assert wrong == []


def test_no_bare_room_imports():
    """Inside the package, import through `practicum.` only: a top-level `agents` is another project's."""
    rooms = set(ALLOWED) - {"cli"}
    bare = []
    for rel, _, tree in package_modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module.split(".")[0] in rooms:
                    bare.append(f"{rel}:{node.lineno}")
            elif isinstance(node, ast.Import):
                bare += [f"{rel}:{node.lineno}" for a in node.names if a.name.split(".")[0] in rooms]
    assert bare == []


def test_library_code_never_opens_a_default_store():
    """The Store is passed in; only commands and the TUI open one (from --db)."""
    opened = []
    for rel, room, tree in package_modules():
        if room not in {"agents", "storage", "scenarios", "tuning", "evaluation"}:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Store":
                in_store_module = rel.as_posix() == "storage/store.py"
                if not in_store_module:
                    opened.append(f"{rel}:{node.lineno}")
    assert opened == []


def test_modules_stay_under_400_lines():
    long = [f"{rel}: {n}" for rel, _, _ in package_modules()
            if (n := len((REPO / rel).read_text(encoding="utf-8").splitlines())) > 400]
    assert long == []
