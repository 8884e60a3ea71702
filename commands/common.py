"""What several commands share: opening the store, resolving scenarios, JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console

from practicum.errors import NotFoundError
from practicum.scenarios.model import Scenario

# Piped output gets full-width rows; a terminal keeps its own width.
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def open_store(ctx: click.Context):
    """Open the database named by --db / $PRACTICUM_DB, or the default one."""
    from practicum.storage.store import Store

    store = Store((ctx.obj or {}).get("db_path"))
    if store.created_directory is not None:
        err_console.print(f"[dim]Created directory {store.created_directory} for the database {store.path}.[/dim]")
    return store


def resolve_scenario(ref: str, store=None) -> Scenario:
    """Find a scenario by built-in id, stored id, or file path (FILE or FILE#ID for a multi-scenario file)."""
    from practicum.scenarios.files import get_builtin, load_scenario_file

    path_part, _, wanted = ref.partition("#")
    if Path(path_part).suffix in (".yaml", ".yml", ".json", ".jsonl") or Path(path_part).exists():
        scenarios = load_scenario_file(path_part)
        if wanted:
            for scenario in scenarios:
                if scenario.id == wanted:
                    return scenario
            raise NotFoundError(f"{path_part}: no scenario with id '{wanted}'")
        if len(scenarios) != 1:
            ids = ", ".join(s.id for s in scenarios[:5])
            raise NotFoundError(f"{path_part} holds {len(scenarios)} scenarios; pick one with {path_part}#ID ({ids})")
        return scenarios[0]
    try:
        return get_builtin(ref)
    except NotFoundError as builtin_missing:
        if store is not None and store.has_scenario(ref):
            return store.get_scenario(ref)
        raise builtin_missing


def print_json(data) -> None:
    """Print data as indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


ROLE_STYLE = {"teacher": "bold cyan", "student": "bold magenta"}


def print_turn(turn: dict, student_name: str = "") -> None:
    """Print one turn as `Teacher: text` with its move, tokens and latency."""
    role = turn["role"]
    label = "Teacher" if role == "teacher" else f"Student{f' ({student_name})' if student_name else ''}"
    details = []
    if turn.get("move"):
        details.append(f"{turn['move']}" + (f"/{turn['move_source']}" if turn.get("move_source") else ""))
    elif turn.get("predicted_move"):
        details.append(f"{turn['predicted_move']}/predicted")
    if turn.get("completion_tokens"):
        details.append(f"{turn['completion_tokens']} tok")
    if turn.get("latency_ms"):
        details.append(f"{turn['latency_ms'] / 1000:.1f}s")
    suffix = f" [dim]({', '.join(details)})[/dim]" if details else ""
    console.print(f"[{ROLE_STYLE[role]}]{label}:[/] ", end="")
    console.print(turn["text"], markup=False, end="")
    console.print(suffix)
