"""Save and load a fold ensemble of fine-tuned cross-encoder tops as one small safetensors file.

Only what training changed is stored: each member's LoRA matrices (fp16), its
heads and its feature scaling. Loading rebuilds every member from the packaged
MiniLM's own last layer with the LoRA product merged into the weights, so
prediction runs plain weights (no peft) and is deterministic. The frozen layers
(and the last layer's keys and values) run once per pair for all members.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from practicum.errors import InputError
from practicum.evaluation.encoder_training import (
    EncoderConfig, frozen_inputs, load_base, make_top, pair_tokens, predict_top,
)

FORMAT = "practicum-cross-encoder-ensemble/1"


def top_state(top, config: EncoderConfig) -> dict:
    """The trained tensors of one top: LoRA A/B (fp16) or whole layers, heads, feature scaling."""
    import torch

    state = {}
    for name, tensor in top.state_dict().items():
        if name.startswith("layer."):
            if config.lora_rank and "lora_" not in name:
                continue  # frozen base weights: rebuilt from the packaged model
            state[name.replace(".default", "")] = tensor.detach().to(torch.float16).clone().contiguous()
        else:
            state[name] = tensor.detach().to(torch.float32).clone().contiguous()
    return state


def save_ensemble(path: str | Path, tops: list, config: EncoderConfig, meta: dict) -> str:
    """Write the members and `meta` (tasks, classes, features...) to `path` (.safetensors); return a hash."""
    from safetensors.torch import save_file

    tensors = {}
    for number, top in enumerate(tops):
        for name, tensor in top_state(top, config).items():
            tensors[f"m{number}.{name}"] = tensor
    header = {"format": FORMAT, "members": str(len(tops)), "config": json.dumps(asdict(config), sort_keys=True),
              "meta": json.dumps(meta, sort_keys=True)}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=header)
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


class EncoderEnsemble:
    """A loaded ensemble: tokenizes pairs, runs the frozen bottom once and every member's top; averages."""

    def __init__(self, path: str | Path):
        """Load `path` (a file written by `save_ensemble`) on the packaged MiniLM."""
        from safetensors import safe_open

        path = Path(path)
        try:
            with safe_open(str(path), framework="pt") as handle:
                header = handle.metadata() or {}
                tensors = {key: handle.get_tensor(key) for key in handle.keys()}
        except Exception as exc:  # safetensors raises its own errors for a damaged file
            raise InputError(f"{path}: not a readable ensemble file: {exc}") from None
        if header.get("format") != FORMAT:
            raise InputError(f"{path}: not a {FORMAT} file")
        self.path = path
        self.version = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        self.config = EncoderConfig(**json.loads(header["config"]))
        self.meta = json.loads(header["meta"])
        self.tasks: dict[str, int] = {name: len(classes) for name, classes in self.meta["tasks"].items()}
        self.tokenizer, self.base = load_base()
        self.members = []
        for number in range(int(header["members"])):
            prefix = f"m{number}."
            state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            self.members.append(self._build(state))

    def _build(self, state: dict):
        plain = EncoderConfig(**(asdict(self.config) | {"lora_rank": 0}))
        n_features = state["feature_mean"].shape[0]
        top = make_top(self.base, plain, self.tasks, n_features)
        own = top.state_dict()
        merged = {}
        for name, value in own.items():
            if name in state:
                merged[name] = state[name].to(value.dtype)
            elif name.startswith("layer.") and name.endswith(".weight") and self.config.lora_rank:
                stem = name[: -len(".weight")]
                a, b = state.get(f"{stem}.lora_A.weight"), state.get(f"{stem}.lora_B.weight")
                scale = self.config.lora_alpha / self.config.lora_rank
                merged[name] = value + (b.float() @ a.float()) * scale if a is not None else value
            else:
                merged[name] = value
        top.load_state_dict(merged)
        top.eval()
        for parameter in top.parameters():
            parameter.requires_grad_(False)
        return top

    def inputs(self, firsts: list[str], seconds: list[str]) -> list[dict]:
        """What the frozen model computes once per pair for every member (see `frozen_inputs`)."""
        tokens = pair_tokens(self.tokenizer, firsts, seconds, self.config.max_length, self.config.max_second)
        return frozen_inputs(self.base, tokens)

    def predict(self, firsts: list[str], seconds: list[str], features) -> dict:
        """Mean class probabilities over the members: {task: array (n, classes)}."""
        import numpy as np

        if not firsts:
            return {name: np.zeros((0, n)) for name, n in self.tasks.items()}
        items = self.inputs(firsts, seconds)
        total: dict = {}
        for top in self.members:
            for name, probabilities in predict_top(top, items, features).items():
                total[name] = total.get(name, 0) + probabilities / len(self.members)
        return total
