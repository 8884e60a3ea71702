"""The LoRA tuner behind the `Tuner` protocol: an hf-sft or hf-dpo set in, an adapter artifact out.

A thin adapter over `train_lora`: `prepare` reads and checks every row (what `train_lora` would
refuse, refused before a model loads), `run(LoraTrainConfig)` trains on the prepared files and
returns a `TunedArtifact` whose fragment is `adapter=<run id>` (the adapter directory when the
run is not recorded) and whose manifest is the run's manifest.json.
"""

from __future__ import annotations

from dataclasses import replace

from practicum.tuning.lora.config import LoraTrainConfig
from practicum.tuning.tuner import TrainingSet, TunedArtifact, check_format

OBJECTIVES = {"hf-sft": "sft", "hf-dpo": "dpo"}


class LoraTuner:
    """Train a LoRA adapter on the embedded model (or `base`) for the teacher or the student."""

    name = "lora"
    data_formats = tuple(OBJECTIVES)

    def __init__(self, store, *, console=None, on_stage=None):
        """`store` records the run (None: only with `register=False`); `console` draws the progress bar."""
        self.store = store
        self.console = console
        self.data: TrainingSet | None = None

    def prepare(self, data: TrainingSet) -> TrainingSet:
        """Read every row of the training (and validation) file; InputError naming the file and line."""
        from practicum.tuning.lora.data import read_training_file

        check_format(self, data)
        read_training_file(data.train, OBJECTIVES[data.fmt])
        if data.validation is not None:
            read_training_file(data.validation, OBJECTIVES[data.fmt])
        self.data = data.hashed()
        return self.data

    def run(self, config: LoraTrainConfig) -> TunedArtifact:
        """Train as `config` says, on the prepared files when `prepare` was called; return the adapter."""
        from practicum.tuning.lora.trainer import train_lora

        if self.data is not None:
            objective = OBJECTIVES[self.data.fmt] if config.objective == "auto" else config.objective
            config = replace(config, data=str(self.data.train), objective=objective,
                             val=str(self.data.validation) if self.data.validation else config.val)
        result = train_lora(config, store=self.store, console=self.console)
        return lora_artifact(result)


def lora_artifact(result) -> TunedArtifact:
    """The artifact of a finished `train_lora` run (a LoraResult)."""
    manifest = result.manifest
    metrics = manifest["metrics"]
    train = metrics["train_loss"]
    ref = result.run_id if result.run_id is not None else result.adapter_path
    before = {"val_loss": metrics["initial_val_loss"]} if metrics.get("initial_val_loss") is not None else {}
    after = {"val_loss": metrics["best_val_loss"]} if metrics.get("best_val_loss") is not None else {}
    summary = {"steps": metrics["steps"], "wall_time_s": metrics["wall_time_s"],
               "train_loss_first": train[0][1] if train else None, "train_loss_last": train[-1][1] if train else None,
               "val_loss_before": metrics.get("initial_val_loss"), "val_loss_best": metrics.get("best_val_loss")}
    return TunedArtifact(tuner=LoraTuner.name, role=manifest["role"], run_id=result.run_id, fragment=f"adapter={ref}",
                         path=result.adapter_path, manifest=manifest, metrics_before=before, metrics_after=after,
                         summary=summary)
