"""Where a LoRA run leaves its traces: the run directory, manifest.json and its `tuning_runs` row.

The row is created (status running, artifact path set) before the first step, so a crashed run
can be found and resumed; it ends as succeeded or failed with the loss curves in `details`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from practicum.errors import NotFoundError
from practicum.tuning.lora.config import LoraTrainConfig

TUNER = "lora"
MANIFEST = "manifest.json"


def adapters_dir() -> Path:
    """Where adapters live by default: $PRACTICUM_HOME/adapters."""
    from practicum.config import practicum_home

    path = practicum_home() / "adapters"
    path.mkdir(parents=True, exist_ok=True)
    return path


class RunRecord:
    """A run's row in tuning_runs (or nothing, when registering is off) and its directory."""

    def __init__(self, store, run_id: int | None, run_dir: Path):
        """Wrap an existing row id (or None) and the run directory."""
        self.store = store
        self.run_id = run_id
        self.run_dir = run_dir

    @classmethod
    def start(cls, config: LoraTrainConfig, store, *, data_hash: str, base_model: str,
              resumed: dict | None = None) -> "RunRecord":
        """Create (or, when resuming, reopen) the row and the directory; mark the run running."""
        from practicum.storage.tuning_runs import create_tuning_run, get_tuning_run, update_tuning_run

        run_id = None
        if resumed is not None:
            run_dir = Path(resumed["run_dir"])
            if store is not None and resumed.get("run_id"):
                try:
                    row = get_tuning_run(store, resumed["run_id"])
                except NotFoundError:
                    row = None
                if row and Path(row["artifact_path"] or "-") == run_dir:
                    run_id = row["id"]
                    update_tuning_run(store, run_id, status="running", error="",
                                      details={"resumed_from_step": resumed["step"]})
        if store is not None and run_id is None:
            run_id = create_tuning_run(
                store, tuner=TUNER, config=config.to_dict(), data_hash=data_hash, role=config.role,
                base_model=base_model, dataset_path=str(Path(config.data).expanduser().resolve()), status="running",
                details={"objective": config.objective} | ({"resumed_from_step": resumed["step"]} if resumed else {}),
            )
        if resumed is None:
            if config.output:
                run_dir = Path(config.output).expanduser().resolve()
            elif run_id is not None:
                run_dir = adapters_dir() / str(run_id)
            else:
                run_dir = adapters_dir() / time.strftime("lora-%Y%m%d-%H%M%S")
        run_dir.mkdir(parents=True, exist_ok=True)
        if store is not None:
            update_tuning_run(store, run_id, artifact_path=str(run_dir))
        return cls(store, run_id, run_dir)

    def succeed(self, manifest: dict) -> None:
        """Write manifest.json and mark the row succeeded with the curves and numbers."""
        write_manifest(self.run_dir, manifest)
        if self.store is None:
            return
        from practicum.storage.tuning_runs import update_tuning_run

        metrics = manifest["metrics"]
        before = {"val_loss": metrics["initial_val_loss"]} if metrics.get("initial_val_loss") is not None else {}
        after = {"val_loss": metrics["best_val_loss"]} if metrics.get("best_val_loss") is not None else {}
        details = {k: metrics[k] for k in ("train_loss", "val_loss", "steps", "epochs", "wall_time_s", "steps_per_s",
                                           "seconds_per_step", "best_step", "stopped_early", "adapter_bytes")}
        details |= {"objective": manifest["objective"], "data": manifest["data"], "device": manifest["device"]}
        update_tuning_run(self.store, self.run_id, status="succeeded", artifact_path=str(self.run_dir),
                          metrics_before=before, metrics_after=after, details=details, error="")

    def fail(self, message: str, details: dict | None = None) -> None:
        """Mark the row failed with a one-line reason."""
        if self.store is None:
            return
        from practicum.storage.tuning_runs import update_tuning_run

        update_tuning_run(self.store, self.run_id, status="failed", error=message, details=details or {})


def write_manifest(run_dir: Path, manifest: dict) -> Path:
    """Write manifest.json atomically."""
    path = run_dir / MANIFEST
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, default=str))
    tmp.replace(path)
    return path


def read_manifest(run_dir: Path) -> dict:
    """A run directory's manifest, or {} when there is none."""
    path = Path(run_dir) / MANIFEST
    return json.loads(path.read_text()) if path.is_file() else {}


def versions() -> dict:
    """Library versions the adapter was trained with."""
    import peft
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}


def directory_bytes(path: Path, names: tuple[str, ...] = ("adapter_model.safetensors",)) -> int:
    """Total size of the named files in a directory."""
    return sum((path / name).stat().st_size for name in names if (path / name).is_file())
