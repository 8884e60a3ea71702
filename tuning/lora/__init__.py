"""The LoRA tuner: train a peft adapter on an hf-sft or hf-dpo export, for the teacher or the student.

`train_lora(LoraTrainConfig(data=...)) -> LoraResult` (or `main(config)`) is the entry point for
Python callers; `practicum tune lora` is the same thing on the command line.
"""

from practicum.tuning.lora.config import LoraTrainConfig
from practicum.tuning.lora.trainer import LoraResult, main, train_lora

__all__ = ["LoraTrainConfig", "LoraResult", "main", "train_lora"]
