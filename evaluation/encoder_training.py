"""Fine-tune the packaged MiniLM as a cross-encoder on a CPU: frozen lower layers, LoRA on the top ones.

Both learned judges here (the MRBench tutor-quality judge and the teacher-move
classifier) read a pair of texts: what came before (the dialogue, truncated from
the left so the latest turns survive) and the turn being judged. The pair goes
through all-MiniLM-L6-v2 as `[CLS] context [SEP] turn [SEP]`. Training the whole
model on two shared cores costs hours, so the lower layers stay frozen: their
output is computed once per text pair and cached, and only the top
`trained_layers` carry LoRA adapters (peft) and feed one softmax head per task.
A fold ensemble then costs one bottom pass plus a small top pass per member.
The trained state (LoRA matrices, heads, feature scaling) is a few hundred KB,
merged into plain weights at load time, so prediction needs torch and
transformers but not peft.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Callable

Progress = Callable[[str, int, int], None]  # (stage, done, total)
LORA_TARGETS = ("query", "key", "value", "dense")  # every Linear inside a BertLayer


@dataclass
class EncoderConfig:
    """How the cross-encoder reads a pair and how its top is trained."""

    max_length: int = field(default=192, metadata={"help": "tokens per pair, [CLS] and [SEP]s included"})
    max_second: int = field(default=96, metadata={"help": "tokens kept of the judged turn (the rest is context)"})
    trained_layers: int = field(default=1, metadata={"help": "top transformer layers that get LoRA adapters"})
    lora_rank: int = field(default=8, metadata={"help": "LoRA rank (0 trains the top layers' weights fully)"})
    lora_alpha: int = field(default=16, metadata={"help": "LoRA scale numerator"})
    lora_dropout: float = field(default=0.1, metadata={"help": "dropout on the LoRA input"})
    head_dropout: float = field(default=0.1, metadata={"help": "dropout before the heads"})
    epochs: int = field(default=4, metadata={"help": "passes over the training pairs"})
    batch_size: int = field(default=16, metadata={"help": "pairs per optimizer step"})
    learning_rate: float = field(default=1e-3, metadata={"help": "AdamW peak learning rate (linear decay)"})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay"})
    class_weight_power: float = field(default=1.0, metadata={"help": "1 = balanced class weights, 0 = none"})
    seed: int = field(default=0, metadata={"help": "seed of initialisation, dropout and batch order"})


def load_base():
    """The packaged MiniLM tokenizer and model (offline)."""
    from practicum.evaluation.sentence_encoder import _load, encoder_path

    return _load(encoder_path())


def pair_tokens(tokenizer, firsts: list[str], seconds: list[str], max_length: int, max_second: int):
    """Token ids and segment ids of `[CLS] first [SEP] second [SEP]`, first truncated from the left."""
    out = []
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    for first, second in zip(firsts, seconds):
        b = tokenizer(second or "", add_special_tokens=False)["input_ids"][:max_second]
        room = max(0, max_length - 3 - len(b))
        a = tokenizer(first or "", add_special_tokens=False)["input_ids"] if room else []
        a = a[len(a) - room :] if len(a) > room else a
        ids = [cls, *a, sep, *b, sep]
        out.append((ids, [0] * (len(a) + 2) + [1] * (len(b) + 1)))
    return out


def _batches(lengths: list[int], size: int) -> list[list[int]]:
    """Index batches of similar length (little padding)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[s : s + size] for s in range(0, len(order), size)]


def bottom_states(model, tokens, frozen_layers: int, batch_size: int = 32, progress: Progress | None = None):
    """Hidden states after the first `frozen_layers` layers, one float32 tensor (length, hidden) per pair."""
    import torch

    states: list = [None] * len(tokens)
    batches = _batches([len(ids) for ids, _ in tokens], batch_size)
    model.eval()
    for number, batch in enumerate(batches):
        ids, types, mask = _pad([tokens[i][0] for i in batch], [tokens[i][1] for i in batch])
        with torch.inference_mode():
            hidden = model.embeddings(input_ids=ids, token_type_ids=types)
            attention = _mask(model.config, hidden, mask)
            for layer in model.encoder.layer[:frozen_layers]:
                hidden = _layer_out(layer(hidden, attention_mask=attention))
        for row, i in enumerate(batch):
            states[i] = hidden[row, : len(tokens[i][0])].clone()
        if progress:
            progress("encoding", number + 1, len(batches))
    return states


def _layer_out(output):
    return output[0] if isinstance(output, tuple) else output


def _mask(config, hidden, mask):
    from transformers.masking_utils import create_bidirectional_mask

    return create_bidirectional_mask(config=config, inputs_embeds=hidden, attention_mask=mask)


def _pad(id_lists, type_lists):
    import torch

    width = max(len(x) for x in id_lists)
    ids = torch.zeros(len(id_lists), width, dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for row, (a, t) in enumerate(zip(id_lists, type_lists)):
        ids[row, : len(a)] = torch.tensor(a)
        types[row, : len(t)] = torch.tensor(t)
        mask[row, : len(a)] = 1
    return ids, types, mask


def _pad_states(states, types):
    import torch

    width = max(s.shape[0] for s in states)
    hidden = torch.zeros(len(states), width, states[0].shape[1])
    mask = torch.zeros(len(states), width, dtype=torch.long)
    second = torch.zeros(len(states), width)
    for row, (s, t) in enumerate(zip(states, types)):
        hidden[row, : s.shape[0]] = s
        mask[row, : s.shape[0]] = 1
        second[row, : len(t)] = torch.tensor(t, dtype=torch.float32)
    return hidden, mask, second


def make_top(base_model, config: EncoderConfig, tasks: dict[str, int], n_features: int):
    """A fresh trainable top: copies of the last layers (LoRA-wrapped), pooling, one head per task."""
    import torch

    torch.manual_seed(config.seed)
    layers = torch.nn.ModuleList(copy.deepcopy(base_model.encoder.layer[len(base_model.encoder.layer)
                                                                       - config.trained_layers :]))
    if config.lora_rank and config.trained_layers:
        from peft import LoraConfig, inject_adapter_in_model

        for parameter in layers.parameters():
            parameter.requires_grad_(False)
        lora = LoraConfig(r=config.lora_rank, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                          target_modules=list(LORA_TARGETS))
        layers = inject_adapter_in_model(lora, layers)
    return CrossEncoderTop(base_model.config, layers, tasks, n_features, config.head_dropout)


def _top_module():
    import torch

    class Top(torch.nn.Module):
        """Top layers, mean pooling (all tokens and the judged turn's), feature concat, one head per task."""

        def __init__(self, bert_config, layers, tasks: dict[str, int], n_features: int, dropout: float):
            super().__init__()
            self.bert_config = bert_config
            self.layers = layers
            hidden = bert_config.hidden_size
            self.register_buffer("feature_mean", torch.zeros(n_features))
            self.register_buffer("feature_scale", torch.ones(n_features))
            self.dropout = torch.nn.Dropout(dropout)
            self.heads = torch.nn.ModuleDict({name: torch.nn.Linear(2 * hidden + n_features, n)
                                              for name, n in tasks.items()})

        def forward(self, hidden, mask, second, features):
            attention = _mask(self.bert_config, hidden, mask)
            for layer in self.layers:
                hidden = _layer_out(layer(hidden, attention_mask=attention))
            weights = mask.to(hidden.dtype).unsqueeze(-1)
            pooled_all = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            turn = second.unsqueeze(-1) * weights
            pooled_turn = (hidden * turn).sum(1) / turn.sum(1).clamp(min=1.0)
            scaled = (features - self.feature_mean) / self.feature_scale
            joined = self.dropout(torch.cat([pooled_all, pooled_turn, scaled], dim=1))
            return {name: head(joined) for name, head in self.heads.items()}

    return Top


def CrossEncoderTop(bert_config, layers, tasks, n_features, dropout):  # noqa: N802 - a class made lazily
    """Build the top module (the class is defined on first use so importing this module needs no torch)."""
    return _top_module()(bert_config, layers, tasks, n_features, dropout)


def class_weights(targets, n_classes: int, power: float):
    """Per-class loss weights from label counts: (n / (k * n_c)) ** power, mean 1 over the labelled rows."""
    import numpy as np

    labelled = targets[targets >= 0]
    counts = np.bincount(labelled, minlength=n_classes).astype(float)
    weights = np.where(counts > 0, (len(labelled) / (n_classes * np.maximum(counts, 1))) ** power, 0.0)
    norm = (weights[labelled]).mean() if len(labelled) else 1.0
    return weights / (norm or 1.0)


def train_top(base_model, states, types, features, targets: dict, tasks: dict[str, int], config: EncoderConfig,
              progress: Progress | None = None, stage: str = "training"):
    """Train a top on cached bottom states; `targets[task]` is an int array with -1 where unlabelled,
    `tasks[task]` its number of classes."""
    import numpy as np
    import torch

    features = np.asarray(features, dtype=np.float32).reshape(len(states), -1)
    top = make_top(base_model, config, tasks, features.shape[1])
    if features.shape[1]:
        top.feature_mean.copy_(torch.tensor(features.mean(0)))
        top.feature_scale.copy_(torch.tensor(np.where(features.std(0) > 1e-6, features.std(0), 1.0)))
    losses = {name: torch.nn.CrossEntropyLoss(weight=torch.tensor(class_weights(y, tasks[name],
                                                                                 config.class_weight_power),
                                                                   dtype=torch.float32), ignore_index=-1)
              for name, y in targets.items()}
    trainable = [p for p in top.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=config.weight_decay)
    rng = np.random.default_rng(config.seed)
    steps_per_epoch = math.ceil(len(states) / config.batch_size)
    total = steps_per_epoch * config.epochs
    warmup = max(1, total // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))
    target_tensors = {name: torch.tensor(y, dtype=torch.long) for name, y in targets.items()}
    feature_tensor = torch.tensor(features)
    top.train()
    step = 0
    for _ in range(config.epochs):
        # Shuffle, then group neighbours by length, so batches pad little but still vary between epochs.
        order = rng.permutation(len(states))
        chunks = [order[s : s + config.batch_size * 8] for s in range(0, len(order), config.batch_size * 8)]
        batches = []
        for chunk in chunks:
            chunk = sorted(chunk, key=lambda i: states[i].shape[0])
            batches += [chunk[s : s + config.batch_size] for s in range(0, len(chunk), config.batch_size)]
        for index in rng.permutation(len(batches)):
            batch = batches[index]
            hidden, mask, second = _pad_states([states[i] for i in batch], [types[i] for i in batch])
            logits = top(hidden, mask, second, feature_tensor[batch])
            loss = sum(losses[name](logits[name], target_tensors[name][batch]).nan_to_num()
                       for name in targets) / len(targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            if progress:
                progress(stage, step, total)
    top.eval()
    return top


def predict_top(top, states, types, features, batch_size: int = 64) -> dict:
    """Class probabilities per task: {task: array (n, classes)}."""
    import numpy as np
    import torch

    features = torch.tensor(np.asarray(features, dtype=np.float32).reshape(len(states), -1))
    out: dict[str, np.ndarray] = {}
    top.eval()
    for batch in _batches([s.shape[0] for s in states], batch_size):
        hidden, mask, second = _pad_states([states[i] for i in batch], [types[i] for i in batch])
        with torch.inference_mode():
            logits = top(hidden, mask, second, features[batch])
        for name, values in logits.items():
            probabilities = torch.softmax(values, dim=-1).numpy()
            target = out.setdefault(name, np.zeros((len(states), probabilities.shape[1]), dtype=np.float64))
            target[batch] = probabilities
    return out
