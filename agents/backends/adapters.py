"""Turn the `adapter=` value of a `local:` backend spec into a directory: a path, or a LoRA run id.

`local:adapter=7` means "the adapter of tuning run 7": the run's row in `tuning_runs` names the
directory, and the run's manifest names the base model it was trained on (so an adapter trained on
a local model path is not put on the embedded model by mistake). A run id is looked up in the
Store the caller passes (the database given with `--db`); nothing here opens a database itself.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from practicum.errors import BackendError, NotFoundError

MANIFEST = "manifest.json"  # written by the LoRA tuner beside the adapter (tuning/lora/records.py)


@dataclass
class ResolvedAdapter:
    """An adapter directory and, when its manifest names one that is not the embedded model, its base."""

    path: str
    base: str | None = None


def resolve_adapter(value: str, store=None) -> ResolvedAdapter:
    """A run id (digits) resolved through `store`'s tuning_runs, or a path, checked to hold a peft adapter."""
    # bitsandbytes, when installed, logs a kernel notice as peft imports it; the backend has no use for it.
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    text = value.strip()
    if not text.isdigit():
        path = Path(text).expanduser()
        return ResolvedAdapter(str(path), manifest_base(path))
    if store is None:
        raise BackendError(f"adapter={text} names a tuning run, but no database was given to look it up in")
    from practicum.storage.tuning_runs import get_tuning_run

    try:
        run = get_tuning_run(store, int(text))
    except NotFoundError:
        raise BackendError(f"adapter={text}: no tuning run with id {text} in {_where(store)}") from None
    if run["tuner"] != "lora":
        raise BackendError(f"adapter={text}: tuning run {text} is a {run['tuner']} run, not a LoRA adapter")
    if run["status"] != "succeeded":
        raise BackendError(f"adapter={text}: LoRA run {text} is {run['status'] or 'unfinished'}, it has no adapter yet")
    path = Path(run["artifact_path"] or "")
    if not (path / "adapter_config.json").is_file():
        raise BackendError(f"adapter={text}: the adapter of run {text} is missing from {path}")
    return ResolvedAdapter(str(path), manifest_base(path))


def manifest_base(path: Path) -> str | None:
    """The base model path an adapter's manifest names, or None for the embedded model (or no manifest)."""
    try:
        manifest = json.loads((Path(path) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    base = manifest.get("base_model") if isinstance(manifest, dict) else None
    if not isinstance(base, dict) or base.get("embedded") or not base.get("path"):
        return None
    return base["path"]


def _where(store) -> str:
    path = getattr(store, "path", None)
    return f"the database {path}" if path else "this database"
