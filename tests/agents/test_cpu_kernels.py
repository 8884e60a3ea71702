"""The CPU inference paths of the transformers engine compute what the stock paths compute.

Packed bfloat16 weights give the same numbers as plain ones; the decode attention is at least as
close to a float32 reference as torch's bfloat16 kernel and leaves prefill to sdpa; the lean LoRA
forward gives peft's numbers bit for bit, per adapter, and leaves training to peft.
"""

from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")


def tiny_gqa_llama(dtype):
    """A 2-layer Llama with grouped-query attention (4 query heads on 2 key/value heads)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=320, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         pad_token_id=0, attn_implementation="sdpa")
    torch.manual_seed(0)
    return LlamaForCausalLM(config).to(getattr(torch, dtype)).eval()


def padded_batch():
    """Two rows, the second left-padded by 5: what the engine sends when prompts differ in length."""
    torch.manual_seed(1)
    ids = torch.randint(1, 320, (2, 24))
    mask = torch.ones_like(ids)
    ids[1, :5] = 0
    mask[1, :5] = 0
    return ids, mask


def greedy_logits(model, steps: int = 6) -> list:
    """The last-position logits of a prefill and of `steps` greedy decode steps on the padded batch."""
    from practicum.agents.backends.kv_buffer import GrowingCache

    ids, mask = padded_batch()
    out = []
    with torch.inference_mode():
        result = model(input_ids=ids, attention_mask=mask, cache=GrowingCache(), use_cache=True)
        for _ in range(steps):
            logits = result.logits[:, -1].float()
            out.append(logits)
            token = logits.argmax(-1, keepdim=True)
            mask = torch.cat([mask, torch.ones_like(token)], dim=1)
            result = model(input_ids=token, attention_mask=mask, cache=result.past_key_values, use_cache=True)
    return out


def test_packed_bfloat16_weights_give_the_plain_weights_numbers():
    from practicum.agents.backends.packed_linear import pack_linears

    plain = tiny_gqa_llama("bfloat16")
    packed = copy.deepcopy(plain)
    count = pack_linears(packed)
    if count == 0:
        pytest.skip("oneDNN has no bfloat16 linear on this CPU: the engine keeps plain weights here")
    assert count == 2 * 7 + 1  # seven projections per layer and the output layer
    for a, b in zip(greedy_logits(plain), greedy_logits(packed)):
        assert torch.equal(a, b)


def test_packed_layers_leave_gradients_to_the_plain_weights():
    from practicum.agents.backends.packed_linear import pack_linears

    model = tiny_gqa_llama("bfloat16")
    if pack_linears(model) == 0:
        pytest.skip("oneDNN has no bfloat16 linear on this CPU")
    ids, mask = padded_batch()
    model(input_ids=ids, attention_mask=mask, labels=ids).loss.backward()
    grad = model.model.layers[0].mlp.up_proj.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def attention_case(batch=3, heads=4, kv_heads=2, length=40, dtype=torch.bfloat16):
    torch.manual_seed(2)
    query = torch.randn(batch, heads, 1, 16).to(dtype)
    key = torch.randn(batch, kv_heads, length, 16).to(dtype)
    value = torch.randn(batch, kv_heads, length, 16).to(dtype)
    mask = torch.ones(batch, 1, 1, length, dtype=torch.bool)
    mask[1, ..., :7] = False  # a left-padded row
    mask[2, ..., :30] = False
    return query, key, value, mask


class FakeAttention(torch.nn.Module):
    num_key_value_groups = 2
    is_causal = True


def float32_reference(query, key, value, mask):
    groups = query.shape[1] // key.shape[1]
    key = key.float().repeat_interleave(groups, dim=1)
    value = value.float().repeat_interleave(groups, dim=1)
    scores = query.float() @ key.transpose(-1, -2) / 4.0
    scores = scores.masked_fill(~mask, float("-inf"))
    return (scores.softmax(-1) @ value).transpose(1, 2)


def test_decode_attention_is_at_least_as_close_to_float32_as_torchs_bfloat16_kernel():
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    from practicum.agents.backends.decode_attention import decode_attention

    query, key, value, mask = attention_case()
    reference = float32_reference(query, key, value, mask)
    ours, _ = decode_attention(FakeAttention().eval(), query, key, value, mask, scaling=0.25)
    stock, _ = sdpa_attention_forward(FakeAttention().eval(), query, key, value, mask, scaling=0.25)
    assert ours.shape == stock.shape == reference.shape
    ours_error = (ours.float() - reference).abs().max().item()
    stock_error = (stock.float() - reference).abs().max().item()
    assert ours_error <= stock_error + 1e-6
    assert ours_error < 0.02
    # An additive float mask means the same as the boolean one.
    additive = torch.zeros(mask.shape).masked_fill(~mask, float("-inf")).to(torch.bfloat16)
    again, _ = decode_attention(FakeAttention().eval(), query, key, value, additive, scaling=0.25)
    assert torch.equal(again, ours)


def test_decode_attention_leaves_prefill_and_float32_to_sdpa():
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    from practicum.agents.backends.decode_attention import decode_attention

    _, key, value, _ = attention_case()
    torch.manual_seed(3)
    prefill = torch.randn(3, 4, 40, 16).to(torch.bfloat16)  # 40 query tokens: causal prefill
    ours, _ = decode_attention(FakeAttention().eval(), prefill, key, value, None, scaling=0.25)
    stock, _ = sdpa_attention_forward(FakeAttention().eval(), prefill, key, value, None, scaling=0.25)
    assert torch.equal(ours, stock)
    query, key, value, mask = attention_case(dtype=torch.float32)
    ours, _ = decode_attention(FakeAttention().eval(), query, key, value, mask, scaling=0.25)
    stock, _ = sdpa_attention_forward(FakeAttention().eval(), query, key, value, mask, scaling=0.25)
    assert torch.equal(ours, stock)


def test_a_bfloat16_model_with_decode_attention_decodes_like_sdpa_and_prefills_identically():
    from practicum.agents.backends.decode_attention import NAME, use_decode_attention

    stock = tiny_gqa_llama("bfloat16")
    ours = copy.deepcopy(stock)
    assert use_decode_attention(ours) and ours.config._attn_implementation == NAME
    reference = greedy_logits(tiny_gqa_llama("float32"))
    stock_logits, our_logits = greedy_logits(stock), greedy_logits(ours)
    assert torch.equal(stock_logits[0], our_logits[0])  # prefill: sdpa itself
    for ref, a, b in zip(reference[1:], stock_logits[1:], our_logits[1:]):
        assert (b - ref).abs().max() <= (a - ref).abs().max() + 0.05


def two_adapter_model(dtype="float32"):
    from peft import LoraConfig, get_peft_model

    base = tiny_gqa_llama(dtype)
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    torch.manual_seed(4)
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=targets, init_lora_weights=False),
                           adapter_name="first")
    model.add_adapter("second", LoraConfig(r=2, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                           init_lora_weights=False))
    return model.eval()


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_lean_lora_gives_peft_numbers_for_each_adapter_and_with_adapters_off(dtype):
    from practicum.agents.backends.lean_lora import make_lean

    stock = two_adapter_model(dtype)
    lean = copy.deepcopy(stock)
    assert make_lean(lean) == 2 * 7
    for name in ("first", "second"):
        for model in (stock, lean):
            model.base_model.set_adapter(name)
            model.base_model.enable_adapter_layers()
        assert all(torch.equal(a, b) for a, b in zip(greedy_logits(stock), greedy_logits(lean)))
    first = greedy_logits(lean)
    for model in (stock, lean):
        model.base_model.disable_adapter_layers()
    off = greedy_logits(lean)
    assert all(torch.equal(a, b) for a, b in zip(greedy_logits(stock), off))
    assert not torch.equal(first[0], off[0])  # the adapters do change the output


def test_lean_lora_leaves_training_to_peft():
    from practicum.agents.backends.lean_lora import make_lean

    model = two_adapter_model()
    make_lean(model)
    model.base_model.set_adapter("first")
    model.train()
    ids, mask = padded_batch()
    model(input_ids=ids, attention_mask=mask, labels=ids).loss.backward()
    layer = model.base_model.model.model.layers[0].self_attn.q_proj
    assert layer.lora_B["first"].weight.grad is not None and layer.lora_B["first"].weight.grad.abs().sum() > 0


def engine_model(fast: bool, adapters: bool = False):
    """The tiny model as the engine prepares a bfloat16 model: packed, decode attention, fused layers or not."""
    from practicum.agents.backends.decode_attention import use_decode_attention
    from practicum.agents.backends.fast_decode_layer import make_fast
    from practicum.agents.backends.lean_lora import make_lean
    from practicum.agents.backends.packed_linear import pack_linears

    model = two_adapter_model("bfloat16") if adapters else tiny_gqa_llama("bfloat16")
    base = model.base_model.model if adapters else model
    if pack_linears(base) == 0:
        pytest.skip("oneDNN has no bfloat16 linear on this CPU: the engine keeps plain weights here")
    assert use_decode_attention(base)
    if adapters:
        make_lean(model)
    if fast:
        assert make_fast(base) == 2
    return model


def assert_same_decoding(a: list, b: list):
    for x, y in zip(a, b):
        assert torch.equal(x.argmax(-1), y.argmax(-1))
        assert torch.allclose(x, y, atol=1e-2, rtol=0)


def test_fused_decode_layers_decode_like_the_stock_layers():
    assert_same_decoding(greedy_logits(engine_model(fast=False)), greedy_logits(engine_model(fast=True)))


def test_fused_decode_layers_add_each_adapter_as_peft_does():
    stock, fast = engine_model(fast=False, adapters=True), engine_model(fast=True, adapters=True)
    for name in ("first", "second"):
        for model in (stock, fast):
            model.base_model.set_adapter(name)
            model.base_model.enable_adapter_layers()
        assert_same_decoding(greedy_logits(stock), greedy_logits(fast))
    with_adapter = greedy_logits(fast)
    for model in (stock, fast):
        model.base_model.disable_adapter_layers()
    without = greedy_logits(fast)
    assert_same_decoding(greedy_logits(stock), without)
    assert not torch.allclose(with_adapter[1], without[1], atol=1e-2)


def test_weights_changed_in_place_after_packing_are_the_ones_used():
    stock, fast = engine_model(fast=False), engine_model(fast=True)
    plain = tiny_gqa_llama("bfloat16")
    with torch.no_grad():
        for model in (stock, fast, plain):
            model.model.layers[1].mlp.up_proj.weight.mul_(3.0)
            model.model.layers[0].self_attn.k_proj.weight.add_(0.05)
    expected = greedy_logits(plain)
    assert_same_decoding(expected, greedy_logits(stock))
    assert_same_decoding(expected, greedy_logits(fast))


def test_shared_lora_adds_what_each_projection_adds_and_follows_weight_changes():
    from practicum.agents.backends.lean_lora import active_lora, add_lora, add_shared_lora

    model = two_adapter_model("bfloat16")
    attn = model.base_model.model.model.layers[0].self_attn
    group = [attn.q_proj, attn.k_proj, attn.v_proj]
    torch.manual_seed(5)
    x = torch.randn(2, 1, 64).to(torch.bfloat16)
    kept: dict = {}

    def separate():
        return torch.cat([add_lora(m.base_layer(x), m, x, active_lora(m)) for m in group], dim=-1)

    def shared():
        base = torch.cat([m.base_layer(x) for m in group], dim=-1)
        return add_shared_lora(base, group, x, [active_lora(m) for m in group], kept)

    with torch.inference_mode():
        model.base_model.set_adapter("first")
        assert torch.allclose(shared().float(), separate().float(), atol=2e-2, rtol=0)
        before = shared()
        with torch.no_grad():
            attn.k_proj.lora_B["first"].weight.mul_(3.0)  # in place: the stacked copy must follow
        after = shared()
        assert torch.allclose(after.float(), separate().float(), atol=2e-2, rtol=0)
        assert not torch.allclose(after.float(), before.float(), atol=2e-2)
        model.base_model.set_adapter("second")  # on q and v only: not one adapter common to the group
        assert add_shared_lora(torch.cat([m.base_layer(x) for m in group], -1), group, x,
                               [active_lora(m) for m in group], kept) is None
