"""The LoRA tuner: train a peft adapter on an hf-sft or hf-dpo export, for the teacher or the student.

`train_lora(LoraTrainConfig(data=...)) -> LoraResult` (or `main(config)`) is the entry point for
Python callers; `LoraTuner` is the same behind the `Tuner` protocol; `practicum tune lora` is the
command line. Importing this package stays light: the names below load their modules on first use.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "LoraTrainConfig": "practicum.tuning.lora.config",
    "LoraResult": "practicum.tuning.lora.trainer",
    "main": "practicum.tuning.lora.trainer",
    "train_lora": "practicum.tuning.lora.trainer",
    "LoraTuner": "practicum.tuning.lora.tuner",
}

__all__ = list(_LAZY)


def __getattr__(name: str):
    """Import the module that defines `name` when it is first asked for."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
