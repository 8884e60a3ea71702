"""Attention for one decoded token in bfloat16 or float16 on the CPU, as matrix products in float32.

torch's CPU scaled_dot_product_attention runs a flash kernel even for a single query token; in
bfloat16 that took 0.55 ms per layer for 2 rows over 400 cached tokens and 3.4 ms for 8 rows over
800 (AMD EPYC, AVX512-BF16, 2 threads), a third of a whole decode step. For one query token the
attention is two small matrix products: grouped by key/value head (no key copies for grouped-query
attention) and done in float32 they took 0.13 and 0.53 ms, closer to a float32 reference than the
flash kernel's bfloat16 result. Prefill (several query tokens), float32 weights, training and
anything this does not handle (soft-capping, position biases) go to transformers' own sdpa.
"""

from __future__ import annotations

import torch
from transformers.integrations.sdpa_attention import sdpa_attention_forward

NAME = "practicum_decode"

_registered = False


def decode_attention(module, query, key, value, attention_mask, dropout: float = 0.0, scaling: float | None = None,
                     **kwargs):
    """transformers' attention contract: [batch, heads, q, dim] in, ([batch, q, heads, dim], None) out."""
    simple = (query.shape[2] == 1 and query.dtype in (torch.bfloat16, torch.float16) and query.device.type == "cpu"
              and not module.training and kwargs.get("softcap") is None and kwargs.get("position_bias") is None
              and key.shape[-1] == value.shape[-1] == query.shape[-1]
              and (attention_mask is None or (attention_mask.dim() == 4 and attention_mask.shape[1] == 1)))
    if not simple:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    batch, heads, _, dim = query.shape
    kv_heads = key.shape[1]
    scale = scaling if scaling is not None else dim**-0.5
    # The query heads sharing a key/value head become that head's rows: [batch, kv heads, heads per kv head, dim].
    grouped = query.reshape(batch, kv_heads, heads // kv_heads, dim).float()
    scores = torch.matmul(grouped, key.float().transpose(-1, -2)) * scale
    if attention_mask is not None:
        mask = attention_mask  # [batch or 1, 1, 1, kv]: shared by every head
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask.float()
    weights = torch.softmax(scores, dim=-1)
    output = torch.matmul(weights, value.float()).to(query.dtype)
    return output.reshape(batch, heads, 1, dim).transpose(1, 2).contiguous(), None


def use_decode_attention(model) -> bool:
    """Switch `model` (a transformers model in bfloat16/float16) to this attention; False when it cannot be."""
    global _registered
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    if getattr(model.config, "_attn_implementation", None) != "sdpa":
        return False
    if not _registered:
        AttentionInterface.register(NAME, decode_attention)
        AttentionMaskInterface.register(NAME, sdpa_mask)  # the same masks sdpa gets
        _registered = True
    model.set_attn_implementation(NAME)
    return model.config._attn_implementation == NAME
