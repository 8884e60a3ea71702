"""The two losses: token cross-entropy on learned replies (SFT) and DPO on preference pairs.

Both return a summed loss and the count it should be divided by, so gradient accumulation and
validation average exactly over tokens (SFT) or pairs (DPO), whatever the batch boundaries.
"""

from __future__ import annotations

from practicum.tuning.lora.encoding import IGNORE, EncodedPair, collate


def _accepts_logits_to_keep(model) -> bool:
    import inspect

    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "logits_to_keep" in inspect.signature(inner.forward).parameters


def learned_logits(model, batch):
    """Logits at the positions that predict a learned token, the tokens they predict, and each one's row.

    Only those positions go through the output layer (transformers' boolean `logits_to_keep`): a
    tutoring prompt is ~800 tokens for ~20 learned ones, and the vocabulary projection of every
    position would cost most of the memory and a fifth of the compute.
    """
    import torch

    device = next(p for p in model.parameters()).device
    labels = batch["labels"]
    keep = torch.zeros_like(labels, dtype=torch.bool)
    keep[:, :-1] = labels[:, 1:] != IGNORE
    inputs = {"input_ids": batch["input_ids"].to(device), "attention_mask": batch["attention_mask"].to(device)}
    if _accepts_logits_to_keep(model):
        logits = model(**inputs, logits_to_keep=keep.to(device)).logits
        logits = logits.reshape(-1, logits.size(-1))
    else:
        logits = model(**inputs).logits[keep.to(device)]
    targets = labels[:, 1:][keep[:, :-1]].to(device)
    rows = keep.nonzero()[:, 0].to(device)
    return logits.float(), targets, rows


def sft_loss_sum(model, items, pad_id: int):
    """Summed next-token cross-entropy over learned tokens, and how many tokens that is."""
    import torch.nn.functional as F

    logits, targets, _ = learned_logits(model, collate(items, pad_id))
    return F.cross_entropy(logits, targets, reduction="sum"), int(targets.numel())


def _reply_logps(model, items, pad_id: int):
    """Summed log-probability of each sequence's learned tokens."""
    import torch

    logits, targets, rows = learned_logits(model, collate(items, pad_id))
    token_logps = torch.gather(logits.log_softmax(-1), 1, targets.unsqueeze(-1)).squeeze(-1)
    return torch.zeros(len(items), device=logits.device, dtype=token_logps.dtype).index_add(0, rows, token_logps)


def dpo_loss_sum(model, pairs: list[EncodedPair], pad_id: int, beta: float):
    """Summed DPO loss of the pairs (reference: the base model, adapter disabled), the pair count, and
    how many pairs the policy already ranks right (its implicit reward is higher for the chosen reply)."""
    import torch
    import torch.nn.functional as F

    sequences = [p.chosen for p in pairs] + [p.rejected for p in pairs]
    policy = _reply_logps(model, sequences, pad_id)
    with torch.no_grad(), model.disable_adapter():
        reference = _reply_logps(model, sequences, pad_id)
    n = len(pairs)
    margin = (policy[:n] - reference[:n]) - (policy[n:] - reference[n:])
    loss = -F.logsigmoid(beta * margin).sum()
    return loss, n, int((margin > 0).sum())


def loss_sum(model, items, objective: str, pad_id: int, beta: float):
    """The objective's summed loss and its count for one micro-batch."""
    if objective == "dpo":
        loss, n, _ = dpo_loss_sum(model, items, pad_id, beta)
        return loss, n
    return sft_loss_sum(model, items, pad_id)


def count(items, objective: str) -> int:
    """What a micro-batch's loss is averaged over: learned tokens (SFT) or pairs (DPO)."""
    if objective == "dpo":
        return len(items)
    return sum(max(0, sum(1 for label in item.labels[1:] if label != IGNORE)) for item in items)
