"""Fine-tune the packaged MiniLM as a cross-encoder on a CPU: frozen lower layers, LoRA on the last one.

Both learned judges here (the MRBench tutor-quality judge and the teacher-move
classifier) read a pair of texts: what came before (the dialogue, truncated from
the left so the latest turns survive) and the turn being judged. The pair goes
through all-MiniLM-L6-v2 as `[CLS] context [SEP] turn [SEP]`. Training the whole
model on two shared cores costs hours (measured: about 1 pair/s), so the first
five layers stay frozen and run once per pair. The last layer is adapted with
LoRA (peft) on its query, attention-output and feed-forward weights, and is
computed only where it is read: at [CLS] and the judged turn's tokens, attending
over frozen keys and values of the whole pair. That is exactly the model's last
layer at those positions, at a quarter of its cost, and keys and values are
computed once for every fold and ensemble member. One softmax head per task
reads [CLS], the mean of the turn's tokens and a few cues. The trained state
(LoRA matrices, heads, feature scaling) is a few hundred KB, merged into plain
weights at load time, so prediction needs torch and transformers but not peft.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Callable

Progress = Callable[[str, int, int], None]  # (stage, done, total)
LORA_TARGETS = ("query", "dense")  # queries, attention output, feed-forward; keys and values stay frozen


@dataclass
class EncoderConfig:
    """How the cross-encoder reads a pair and how its top is trained."""

    max_length: int = field(default=192, metadata={"help": "tokens per pair, [CLS] and [SEP]s included"})
    max_second: int = field(default=96, metadata={"help": "tokens kept of the judged turn (the rest is context)"})
    trained_layers: int = field(default=1, metadata={"help": "1: adapt the last layer; 0: keep it frozen"})
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


def query_positions(types: list[int]) -> list[int]:
    """Where the top layer is computed: [CLS] and every token of the judged turn (segment 1)."""
    return [0] + [i for i, t in enumerate(types) if t == 1]


def frozen_inputs(model, tokens, batch_size: int = 32, progress: Progress | None = None) -> list[dict]:
    """What the trainable top needs per pair, computed once by the frozen model.

    For each pair: the hidden states entering the last layer at the query positions ([CLS] and the judged
    turn), and that layer's keys and values for every token. Keys and values get no adapter, so they are
    the same for every fold and ensemble member; only queries, the attention output and the feed-forward
    block of the last layer are adapted, and only at the query positions.
    """
    import torch

    out: list = [None] * len(tokens)
    batches = _batches([len(ids) for ids, _ in tokens], batch_size)
    last = model.encoder.layer[-1].attention.self
    model.eval()
    for number, batch in enumerate(batches):
        ids, types, mask = _pad([tokens[i][0] for i in batch], [tokens[i][1] for i in batch])
        with torch.inference_mode():
            hidden = model.embeddings(input_ids=ids, token_type_ids=types)
            attention = _mask(model.config, hidden, mask)
            for layer in model.encoder.layer[:-1]:
                hidden = _layer_out(layer(hidden, attention_mask=attention))
            keys, values = last.key(hidden), last.value(hidden)
        for row, i in enumerate(batch):
            n = len(tokens[i][0])
            where = torch.tensor(query_positions(tokens[i][1]))
            out[i] = {"query": hidden[row, where].clone(), "key": keys[row, :n].to(torch.float16).clone(),
                      "value": values[row, :n].to(torch.float16).clone()}
        if progress:
            progress("encoding", number + 1, len(batches))
    return out


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


def collate(items: list[dict]):
    """Pad a batch of `frozen_inputs` items: queries (B, q, H), keys/values (B, n, H) and both masks."""
    import torch

    hidden = items[0]["query"].shape[1]
    nq = max(x["query"].shape[0] for x in items)
    nk = max(x["key"].shape[0] for x in items)
    query = torch.zeros(len(items), nq, hidden)
    key = torch.zeros(len(items), nk, hidden)
    value = torch.zeros(len(items), nk, hidden)
    query_mask = torch.zeros(len(items), nq)
    key_mask = torch.zeros(len(items), nk)
    for row, x in enumerate(items):
        query[row, : x["query"].shape[0]] = x["query"].float()
        key[row, : x["key"].shape[0]] = x["key"].float()
        value[row, : x["value"].shape[0]] = x["value"].float()
        query_mask[row, : x["query"].shape[0]] = 1
        key_mask[row, : x["key"].shape[0]] = 1
    return query, key, value, query_mask, key_mask


def make_top(base_model, config: EncoderConfig, tasks: dict[str, int], n_features: int):
    """A fresh trainable top: a copy of the last layer (LoRA-wrapped, or frozen), pooling, one head per task."""
    import torch

    torch.manual_seed(config.seed)
    layer = copy.deepcopy(base_model.encoder.layer[-1])
    for parameter in layer.parameters():
        parameter.requires_grad_(bool(config.trained_layers and not config.lora_rank))
    if config.trained_layers and config.lora_rank:
        from peft import LoraConfig, inject_adapter_in_model

        lora = LoraConfig(r=config.lora_rank, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                          target_modules=list(LORA_TARGETS))
        layer = inject_adapter_in_model(lora, layer)
    return _top_class()(layer, tasks, n_features, config.head_dropout)


def _top_class():
    import torch

    class CrossEncoderTop(torch.nn.Module):
        """The last layer at the query positions over frozen keys/values; [CLS] and mean-pooled turn; heads."""

        def __init__(self, layer, tasks: dict[str, int], n_features: int, dropout: float):
            super().__init__()
            self.layer = layer
            attention = layer.attention.self
            self.heads_n, self.head_size = attention.num_attention_heads, attention.attention_head_size
            hidden = self.heads_n * self.head_size
            self.register_buffer("feature_mean", torch.zeros(n_features))
            self.register_buffer("feature_scale", torch.ones(n_features))
            self.dropout = torch.nn.Dropout(dropout)
            self.heads = torch.nn.ModuleDict({name: torch.nn.Linear(2 * hidden + n_features, n)
                                              for name, n in tasks.items()})

        def _split(self, x):
            b, n, _ = x.shape
            return x.view(b, n, self.heads_n, self.head_size).transpose(1, 2)

        def forward(self, query, key, value, query_mask, key_mask, features):
            layer = self.layer
            q = self._split(layer.attention.self.query(query))
            scores = q @ self._split(key).transpose(-1, -2) / math.sqrt(self.head_size)
            scores = scores + (1.0 - key_mask[:, None, None, :]) * -1e9
            weights = torch.nn.functional.dropout(torch.softmax(scores, dim=-1), 0.1, self.training)
            context = (weights @ self._split(value)).transpose(1, 2).reshape(query.shape)
            attended = layer.attention.output(context, query)
            out = layer.output(layer.intermediate(attended), attended)
            turn = query_mask.clone()
            turn[:, 0] = 0.0  # position 0 is [CLS]
            turn = turn.unsqueeze(-1)
            pooled_turn = (out * turn).sum(1) / turn.sum(1).clamp(min=1.0)
            scaled = (features - self.feature_mean) / self.feature_scale
            joined = self.dropout(torch.cat([out[:, 0], pooled_turn, scaled], dim=1))
            return {name: head(joined) for name, head in self.heads.items()}

    return CrossEncoderTop


def class_weights(targets, n_classes: int, power: float):
    """Per-class loss weights from label counts: (n / (k * n_c)) ** power, capped at 10, mean 1 over the rows."""
    import numpy as np

    labelled = targets[targets >= 0]
    counts = np.bincount(labelled, minlength=n_classes).astype(float)
    weights = np.where(counts > 0, (len(labelled) / (n_classes * np.maximum(counts, 1))) ** power, 0.0)
    weights = np.minimum(weights, 10.0)  # a class seen once or twice must not dominate the loss
    norm = (weights[labelled]).mean() if len(labelled) else 1.0
    return weights / (norm or 1.0)


def train_top(base_model, items: list[dict], features, targets: dict, tasks: dict[str, int], config: EncoderConfig,
              progress: Progress | None = None, stage: str = "training"):
    """Train a top on `frozen_inputs` items; `targets[task]` is an int array with -1 where unlabelled,
    `tasks[task]` its number of classes."""
    import numpy as np
    import torch

    features = np.asarray(features, dtype=np.float32).reshape(len(items), -1)
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
    steps_per_epoch = math.ceil(len(items) / config.batch_size)
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
        order = rng.permutation(len(items))
        chunks = [order[s : s + config.batch_size * 8] for s in range(0, len(order), config.batch_size * 8)]
        batches = []
        for chunk in chunks:
            chunk = sorted(chunk, key=lambda i: items[i]["key"].shape[0])
            batches += [chunk[s : s + config.batch_size] for s in range(0, len(chunk), config.batch_size)]
        for index in rng.permutation(len(batches)):
            batch = batches[index]
            logits = top(*collate([items[i] for i in batch]), feature_tensor[batch])
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


def predict_top(top, items: list[dict], features, batch_size: int = 64) -> dict:
    """Class probabilities per task: {task: array (n, classes)}."""
    import numpy as np
    import torch

    features = torch.tensor(np.asarray(features, dtype=np.float32).reshape(len(items), -1))
    out: dict[str, np.ndarray] = {}
    top.eval()
    for batch in _batches([x["key"].shape[0] for x in items], batch_size):
        with torch.inference_mode():
            logits = top(*collate([items[i] for i in batch]), features[batch])
        for name, values in logits.items():
            probabilities = torch.softmax(values, dim=-1).numpy()
            target = out.setdefault(name, np.zeros((len(items), probabilities.shape[1]), dtype=np.float64))
            target[batch] = probabilities
    return out
