"""One decoded token through a Llama decoder layer: fused projections and no module calls in between.

A bfloat16 decode step of SmolLM2-135M is 30 layers of small work; with packed weights
(packed_linear.py) and the float32 decode attention (decode_attention.py), transformers' layer code
still took about 14 ms of a 42 ms step (1 row, 1 thread, AMD EPYC) in module calls and separate
projections. For a single new token in inference, `make_fast` gives each decoder layer a forward
that runs the same operations in the same dtypes with q/k/v and gate/up each as one packed product
(each output column is the same dot product as in the separate products), LoRA additions computed
as peft computes them (lean_lora.py; for q/k/v and for gate/up one product pair per group), the
cache updated through its own `update`, and the attention through `decode_attention`. Prefill,
training, float32 and anything unusual (a merged or DoRA adapter, weights changed since packing,
attention outputs asked for) run the stock layer.
"""

from __future__ import annotations

import types
from dataclasses import dataclass

import torch

from practicum.agents.backends.decode_attention import NAME as DECODE_ATTENTION, decode_attention
from practicum.agents.backends.lean_lora import active_lora, add_lora, add_shared_lora


@dataclass
class Fused:
    """Packed products of one layer and the weights they were built from (pointer and version each)."""

    qkv: object
    gate_up: object
    splits: tuple[int, int, int]
    mlp_splits: tuple[int, int]
    weights: list  # the seven base weight tensors
    sources: list[tuple[int, int]]

    def current(self) -> bool:
        """True while every base weight is the tensor, unchanged in place, that was packed."""
        return self.sources == [(w.data_ptr(), w._version) for w in self.weights]


def _base(module):
    return getattr(module, "base_layer", module)


def _projections(layer) -> list:
    attn, mlp = layer.self_attn, layer.mlp
    return [attn.q_proj, attn.k_proj, attn.v_proj, attn.o_proj, mlp.gate_proj, mlp.up_proj, mlp.down_proj]


def _fuse(layer) -> Fused | None:
    q, k, v, o, gate, up, down = (_base(m) for m in _projections(layer))
    for m in (q, k, v, o, gate, up, down):  # every product packed (packed_linear.py), from the weights as they are now
        if getattr(m, "_packed_from", None) != (m.weight.data_ptr(), m.weight._version) or m.bias is not None:
            return None
    with torch.no_grad():
        qkv = torch.ops.mkldnn._reorder_linear_weight(torch.cat([q.weight, k.weight, v.weight]).detach(), 1)
        gate_up = torch.ops.mkldnn._reorder_linear_weight(torch.cat([gate.weight, up.weight]).detach(), 1)
    splits = (q.weight.shape[0], k.weight.shape[0], v.weight.shape[0])
    weights = [m.weight for m in (q, k, v, o, gate, up, down)]
    return Fused(qkv, gate_up, splits, (gate.weight.shape[0], up.weight.shape[0]), weights,
                 [(w.data_ptr(), w._version) for w in weights])


def _rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def _fast_forward(self, hidden_states, attention_mask=None, position_ids=None, cache=None, use_cache=False,
                  position_embeddings=None, **kwargs):
    stock = (hidden_states.shape[1] != 1 or self.training or torch.is_grad_enabled() or cache is None
             or position_embeddings is None or kwargs.get("output_attentions")
             or self.self_attn.config._attn_implementation != DECODE_ATTENTION or hidden_states.dtype != torch.bfloat16)
    if not stock and (self._fused is None or not self._fused.current()):
        self._fused = _fuse(self)
    loras = None if stock or self._fused is None else [active_lora(m) for m in _projections(self)]
    if loras is None or any(active is None for active in loras):
        return self._stock_forward(hidden_states, attention_mask=attention_mask, position_ids=position_ids,
                                   cache=cache, use_cache=use_cache, position_embeddings=position_embeddings, **kwargs)
    linear = torch.ops.mkldnn._linear_pointwise
    fused, attn, mlp = self._fused, self.self_attn, self.mlp
    q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj = _projections(self)
    batch = hidden_states.shape[0]
    residual = hidden_states
    x = self.input_layernorm(hidden_states)
    qkv = linear(x, fused.qkv, None, "none", [], "")
    shared = add_shared_lora(qkv, [q_proj, k_proj, v_proj], x, loras[:3], self._lora_kept.setdefault("qkv", {}))
    casts: dict = {}
    if shared is not None:
        q, k, v = shared.split(fused.splits, dim=-1)
    else:
        q, k, v = (add_lora(p.contiguous(), m, x, a, casts, "attention")
                   for p, m, a in zip(qkv.split(fused.splits, dim=-1), (q_proj, k_proj, v_proj), loras))
    q = q.view(batch, 1, -1, attn.head_dim).transpose(1, 2)
    k = k.view(batch, 1, -1, attn.head_dim).transpose(1, 2)
    v = v.view(batch, 1, -1, attn.head_dim).transpose(1, 2)
    cos, sin = (t.unsqueeze(1) for t in position_embeddings)
    q = (q * cos) + (_rotate_half(q) * sin)
    k = (k * cos) + (_rotate_half(k) * sin)
    keys, values = cache.update(k, v, attn.layer_idx, kwargs=kwargs)
    out, _ = decode_attention(attn, q, keys, values, attention_mask, scaling=attn.scaling)
    out = out.reshape(batch, 1, -1).contiguous()
    out = add_lora(linear(out, _base(o_proj)._packed_weight, None, "none", [], ""), o_proj, out, loras[3], casts,
                     "output")
    hidden = residual + out
    residual = hidden
    x = self.post_attention_layernorm(hidden)
    gate_up = linear(x, fused.gate_up, None, "none", [], "")
    shared = add_shared_lora(gate_up, [gate_proj, up_proj], x, loras[4:6], self._lora_kept.setdefault("gate_up", {}))
    if shared is not None:
        gate, up = shared.split(fused.mlp_splits, dim=-1)
    else:
        gate, up = gate_up.split(fused.mlp_splits, dim=-1)
        gate = add_lora(gate.contiguous(), gate_proj, x, loras[4], casts, "mlp")
        up = add_lora(up.contiguous(), up_proj, x, loras[5], casts, "mlp")
    inner = mlp.act_fn(gate) * up
    down = add_lora(linear(inner, _base(down_proj)._packed_weight, None, "none", [], ""), down_proj, inner, loras[6],
                      casts, "down")
    return residual + down


def make_fast(model) -> int:
    """Give each Llama-style decoder layer of `model` (packed bfloat16 weights) the fast decode forward.

    Returns how many layers have it.
    """
    count = 0
    for module in model.modules():
        attn, mlp = getattr(module, "self_attn", None), getattr(module, "mlp", None)
        if attn is None or mlp is None or not hasattr(module, "input_layernorm"):
            continue
        if not all(hasattr(attn, n) for n in ("q_proj", "k_proj", "v_proj", "o_proj", "head_dim", "layer_idx")):
            continue
        if not all(hasattr(mlp, n) for n in ("gate_proj", "up_proj", "down_proj", "act_fn")):
            continue
        if hasattr(module, "_stock_forward"):
            count += 1
            continue
        fused = _fuse(module)
        if fused is None:
            continue
        module._fused = fused
        module._lora_kept = {}  # stacked LoRA matrices per projection group and adapter (lean_lora.add_shared_lora)
        module._stock_forward = module.forward
        module.forward = types.MethodType(_fast_forward, module)
        count += 1
    return count
