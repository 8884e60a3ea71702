"""Turn the `adapter=` value of a `local:` backend spec into a directory: a path, or a LoRA run id.

`local:adapter=7` means "the adapter of tuning run 7": the run's row in `tuning_runs` names the
directory, and the run's manifest names the base model it was trained on (so an adapter trained on
a local model path is not put on the embedded model by mistake). Only a run id opens the database.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from practicum.errors import BackendError, NotFoundError


@dataclass
class ResolvedAdapter:
    """An adapter directory and, when its manifest names one that is not the embedded model, its base."""

    path: str
    base: str | None = None


def resolve_adapter(value: str, store=None) -> ResolvedAdapter:
    """A run id (digits) resolved through tuning_runs, or a path, checked to hold a peft adapter."""
    # bitsandbytes, when installed, logs a kernel notice as peft imports it; the backend has no use for it.
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    text = value.strip()
    if not text.isdigit():
        return ResolvedAdapter(str(Path(text).expanduser()), _manifest_base(Path(text).expanduser()))
    from practicum.storage.tuning_runs import get_tuning_run

    own = store is None
    if own:
        from practicum.storage.store import Store

        store = Store(os.environ.get("PRACTICUM_DB") or None)
    try:
        run = get_tuning_run(store, int(text))
    except NotFoundError:
        raise BackendError(f"adapter={text}: no tuning run with id {text}") from None
    finally:
        if own:
            store.close()
    if run["tuner"] != "lora":
        raise BackendError(f"adapter={text}: tuning run {text} is a {run['tuner']} run, not a LoRA adapter")
    if run["status"] != "succeeded":
        raise BackendError(f"adapter={text}: LoRA run {text} is {run['status'] or 'unfinished'}, it has no adapter yet")
    path = Path(run["artifact_path"] or "")
    if not (path / "adapter_config.json").is_file():
        raise BackendError(f"adapter={text}: the adapter of run {text} is missing from {path}")
    return ResolvedAdapter(str(path), _manifest_base(path))


def _manifest_base(path: Path) -> str | None:
    from practicum.tuning.lora.records import read_manifest

    try:
        base = read_manifest(path).get("base_model") or {}
    except (OSError, ValueError):
        return None
    if base.get("embedded") or not base.get("path"):
        return None
    return base["path"]
