"""Prompts prefilled before the batched generate: repeated ones once, unequal ones one by one (no padding)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")


def tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=200, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, pad_token_id=0)
    torch.manual_seed(0)
    return LlamaForCausalLM(config).eval()


def prompts(*lengths):
    generator = torch.Generator().manual_seed(1)
    return [torch.randint(1, 200, (n,), generator=generator).tolist() for n in lengths]


def hits_for(ids):
    from practicum.agents.backends.adapter_sharing import shared_hits
    from practicum.agents.backends.prefix_cache import PrefixCache

    model, counters = tiny_llama(), {}
    with torch.inference_mode():
        hits = shared_hits(PrefixCache(1 << 30), model, ids, counters)
    return model, hits, counters


def test_prompts_of_unequal_length_are_prefilled_alone_with_their_own_states():
    from practicum.agents.backends.kv_buffer import GrowingCache

    ids = prompts(12, 40, 40)
    ids[2] = list(ids[1])  # a repeated prompt (a gate's two candidates) next to a shorter one
    model, hits, counters = hits_for(ids)
    assert [len(h.ids) for h in hits] == [11, 39, 39] and hits[1] is hits[2]
    assert counters == {"shared_prefill_tokens": 11 + 39, "shared_prefill_row_tokens": 11 + 2 * 39}
    with torch.inference_mode():  # the states are the prompt's own, as an unpadded prefill computes them
        alone = model(input_ids=torch.tensor([ids[0][:-1]]), cache=GrowingCache(), use_cache=True).past_key_values
    assert all(torch.allclose(layer.keys[0], keys, atol=1e-6) for layer, keys in zip(alone.layers, hits[0].keys))


def test_prompts_of_equal_length_are_left_to_the_batched_prefill():
    _, hits, counters = hits_for(prompts(30, 30, 29))  # 1 token of padding in 3 rows: not worth a prefill each
    assert hits == [None, None, None] and not counters

