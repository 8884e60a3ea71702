"""Checkpoints a run can resume from: adapter, optimizer, scheduler, RNG states and the loop position.

A checkpoint is a directory `checkpoints/step-NNNNNN/` with the adapter (peft format, loadable on
its own), `trainer_state.pt` (tensors only, read with `weights_only=True`) and `state.json` (step,
epoch, position in the epoch, loss history, best validation, the run's settings). It is written
under a temporary name and renamed, so a crash never leaves half a checkpoint.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

from practicum.errors import InputError

STATE_FILE = "state.json"
TENSORS_FILE = "trainer_state.pt"
BEST_FILE = "best/adapter.safetensors"  # relative to the run directory
BEST_COPY = "best_adapter.safetensors"


def checkpoint_root(run_dir: Path) -> Path:
    """Where a run keeps its checkpoints."""
    return run_dir / "checkpoints"


def save_checkpoint(run_dir: Path, model, optimizer, scheduler, state: dict, keep: int) -> Path:
    """Write a checkpoint for `state["step"]` and prune old ones; return its directory."""
    import torch

    root = checkpoint_root(run_dir)
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"step-{state['step']:06d}"
    partial = root / f".{target.name}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    model.save_pretrained(str(partial), save_embedding_layers=False)  # base weights stay in the base
    tensors = {
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    torch.save(tensors, partial / TENSORS_FILE)
    python_rng = random.getstate()
    payload = {**state, "python_rng": [python_rng[0], list(python_rng[1]), python_rng[2]]}
    (partial / STATE_FILE).write_text(json.dumps(payload, indent=1, default=str))
    best = run_dir / BEST_FILE
    if best.is_file():  # the best adapter so far travels with the checkpoint, for load_best after a resume
        shutil.copyfile(best, partial / BEST_COPY)
    if target.exists():
        shutil.rmtree(target)
    partial.rename(target)
    if keep:
        for old in list_checkpoints(run_dir)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    return target


def list_checkpoints(run_dir: Path) -> list[Path]:
    """A run's complete checkpoints, oldest first."""
    root = checkpoint_root(run_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob("step-*") if (p / STATE_FILE).is_file() and (p / TENSORS_FILE).is_file())


def find_checkpoint(path: str | Path) -> Path:
    """A checkpoint directory, or the latest checkpoint of a run directory (as an absolute path)."""
    path = Path(path).expanduser().resolve()
    if (path / STATE_FILE).is_file() and (path / TENSORS_FILE).is_file():
        return path
    found = list_checkpoints(path)
    if found:
        return found[-1]
    raise InputError(f"--resume {path}: neither a checkpoint (no {STATE_FILE}) nor a run with checkpoints")


def read_state(checkpoint: Path) -> dict:
    """The loop position and settings saved in a checkpoint."""
    try:
        return json.loads((checkpoint / STATE_FILE).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{checkpoint / STATE_FILE}: unreadable checkpoint state ({exc})") from None


def restore_checkpoint(checkpoint: Path, model, optimizer, scheduler, state: dict) -> None:
    """Load adapter weights, optimizer, scheduler and RNG states saved by `save_checkpoint`."""
    import torch
    from safetensors.torch import load_file

    from practicum.tuning.lora.model import load_adapter_state

    device = next(p for p in model.parameters()).device
    load_adapter_state(model, load_file(str(checkpoint / "adapter_model.safetensors"), device=str(device)))
    tensors = torch.load(checkpoint / TENSORS_FILE, map_location=device, weights_only=True)
    optimizer.load_state_dict(tensors["optimizer"])
    scheduler.load_state_dict(tensors["scheduler"])
    torch.set_rng_state(tensors["torch_rng"].cpu())
    if tensors["cuda_rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([t.cpu() for t in tensors["cuda_rng"]])
    version, internal, gauss = state["python_rng"]
    random.setstate((version, tuple(internal), gauss))
    best = checkpoint.parent.parent / BEST_FILE
    if (checkpoint / BEST_COPY).is_file():
        best.parent.mkdir(exist_ok=True)
        shutil.copyfile(checkpoint / BEST_COPY, best)
    elif best.is_file():
        best.unlink()
