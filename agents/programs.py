"""Load a compiled role program (DSPy JSON state) into a Teacher or Student.

An agent spec such as `local:program=7` or `openai:gpt-4o-mini,program=PATH` names the program
(`agents/speakers.py` splits it off): a tuning run id resolves through `tuning_runs.artifact_path`
of the Store the caller passes; anything else is a file path. Only JSON state is read, never pickle.
"""

from __future__ import annotations

import json
from pathlib import Path

from practicum.errors import InputError, NotFoundError


def resolve_program_path(ref: str, store=None) -> Path:
    """Return the program file a spec's `program=` value names (a tuning run id, looked up in `store`, or a path)."""
    ref = ref.strip()
    if ref.isdigit():
        if store is None:
            raise InputError(f"program={ref} names a tuning run, but no database was given to look it up in")
        from practicum.storage.tuning_runs import get_tuning_run

        try:
            run = get_tuning_run(store, int(ref))
        except NotFoundError:
            where = f"the database {store.path}" if getattr(store, "path", None) else "this database"
            raise NotFoundError(f"program={ref}: no tuning run with id {ref} in {where}") from None
        if not run.get("artifact_path"):
            raise NotFoundError(f"tuning run {ref} ({run['tuner']}, {run['status']}) has no saved program yet")
        path = Path(run["artifact_path"])
        if path.is_dir():
            path = path / "program.json"
    else:
        path = Path(ref).expanduser()
    if not path.exists():
        raise NotFoundError(f"program file not found: {path}")
    return path


def load_role_program(role, ref: str, store=None):
    """Load program state into `role` (in place) and return it; InputError when the file is not a program."""
    path = resolve_program_path(ref, store)
    try:
        state = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
    if not isinstance(state, dict) or "respond" not in state:
        raise InputError(f"{path}: not a saved {type(role).__name__} program (no 'respond' predictor state)")
    try:
        role.load_state(state)
    except Exception as exc:  # DSPy raises assorted errors for mismatched state
        raise InputError(f"{path}: cannot load into {type(role).__name__}: {exc}") from None
    return role
