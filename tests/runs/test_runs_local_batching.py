"""LocalBackend batching on a tiny random Llama: prefix-cache reuse gives the same output as a full prefill."""

from __future__ import annotations

import pytest

from practicum.agents.backends.base import GenerationOptions
from practicum.agents.backends.prefix_cache import Entry, PrefixCache

GREEDY = GenerationOptions(max_tokens=6, temperature=0)
SYSTEM = "You are a patient math teacher. Ask one question at a time."


def conversation(*lines):
    messages = [{"role": "system", "content": SYSTEM}]
    for i, line in enumerate(lines):
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": line})
    return messages


def test_prefix_cache_takes_the_longest_prefix_and_evicts_by_bytes():
    import torch

    def entry(ids):
        return Entry(tuple(ids), [torch.zeros(1, len(ids), 2)], [torch.zeros(1, len(ids), 2)])

    cache = PrefixCache(max_bytes=10_000)
    base = list(range(40))
    cache.put(entry(base))
    cache.put(entry(base + [1, 2]))
    assert cache.take(base + [1, 2, 3]).ids == tuple(base + [1, 2])  # the longest match, then gone
    assert cache.take(base + [1, 2, 3]).ids == tuple(base)
    assert cache.take(base + [9]) is None and cache.misses == 1
    assert cache.take(base) is None  # a prompt is never its own prefix: one new token must remain
    small = PrefixCache(max_bytes=entry(base + [0]).nbytes * 2)
    for extra in range(3):
        small.put(entry(base + [extra]))
    assert len(small.entries) == 2 and all(e.ids != tuple(base + [0]) for e in small.entries.values())  # evicted
    shared = small.take(base + [0, 5])  # no whole prefix left, but 40 shared tokens: cut to them and reused
    assert shared.ids == tuple(base) and shared.keys[0].shape[1] == 40 and small.partial_hits == 1
    assert small.take(list(range(50, 90))) is None  # nothing shares the first HEAD tokens


def test_a_prompt_sharing_only_a_head_reuses_it(tiny_llama_dir):
    """A bounded prompt whose window moved on shares the system prompt only; reusing that part changes nothing."""
    from practicum.agents.backends.local import LocalBackend

    cached = LocalBackend(model_path=str(tiny_llama_dir))
    plain = LocalBackend(model_path=str(tiny_llama_dir))
    plain.prefix_cache.max_bytes = 0
    cached.complete(conversation("What is 3 plus 4? I think it is 12 because I multiplied."), GREEDY)
    moved = conversation("Fractions with unlike denominators need a common denominator first.")
    reused, again = cached.complete(moved, GREEDY), plain.complete(moved, GREEDY)
    assert cached.prefix_cache.partial_hits == 1 and cached.counters["reused_prompt_tokens"] >= 32
    assert reused.text == again.text and reused.usage.prompt_tokens == again.usage.prompt_tokens


def test_reused_prefix_generates_what_a_full_prefill_does(tiny_llama_dir):
    from practicum.agents.backends.local import LocalBackend

    cached = LocalBackend(model_path=str(tiny_llama_dir))
    plain = LocalBackend(model_path=str(tiny_llama_dir))
    plain.prefix_cache.max_bytes = 0
    openings = ["What is 3 plus 4? I think it is 12 because I multiplied.",
                "Fractions with unlike denominators need a common denominator first."]
    first = cached.complete_batch([conversation(o) for o in openings], GREEDY)
    assert cached.prefix_cache.hits == 0 and len(cached.prefix_cache.entries) == 2
    follow_ups = [conversation(o, f.text or "Hmm.", "Can you tell me how you got that?") for o, f in zip(openings, first)]
    follow_ups.append(conversation("The answer is 7 because three plus four is seven."))  # a new conversation
    before = cached.counters["prefilled_real_tokens"]
    reused = cached.complete_batch(follow_ups, GREEDY)
    again = plain.complete_batch(follow_ups, GREEDY)
    assert cached.prefix_cache.hits == 2 and cached.counters["reused_prompt_tokens"] > 0
    assert [r.text for r in reused] == [a.text for a in again]
    assert [r.usage.prompt_tokens for r in reused] == [a.usage.prompt_tokens for a in again]
    assert cached.counters["prefilled_real_tokens"] - before < plain.counters["prefilled_real_tokens"]


def test_cached_layout_gives_the_same_logits(tiny_llama_dir):
    import torch

    from practicum.agents.backends.local import _layout, _past, load_model

    tokenizer, model = load_model(str(tiny_llama_dir))
    texts = [tokenizer.apply_chat_template(conversation(*lines), tokenize=False, add_generation_prompt=True)
             for lines in (["What is 3 plus 4?", "Let us add.", "I think it is 12."], ["The answer is 7."])]
    ids = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    with torch.inference_mode():
        full_ids, full_mask, _ = _layout(ids, [None, None], tokenizer.pad_token_id)
        full = model(input_ids=full_ids, attention_mask=full_mask).logits[:, -1]
        # cache the first 20 tokens of row 0 from a single-row forward, then run the batch on top of it
        prefix = ids[0][:20]
        out = model(input_ids=torch.tensor([prefix]), use_cache=True)
        layers = out.cache.layers
        hit = Entry(tuple(prefix), [layer.keys[0] for layer in layers], [layer.values[0] for layer in layers])
        input_ids, mask, cached = _layout(ids, [hit, None], tokenizer.pad_token_id)
        assert cached == 20 and input_ids.shape[1] == 20 + max(len(ids[0]) - 20, len(ids[1]))
        logits = model(input_ids=input_ids[:, cached:], attention_mask=mask, cache=_past([hit, None], cached),
                       position_ids=(mask.cumsum(-1) - 1).clamp(min=0)[:, cached:]).logits[:, -1]
    assert torch.allclose(full, logits, atol=1e-4)


def test_growing_cache_decodes_exactly_like_the_dynamic_cache(tiny_llama_dir):
    import torch

    from practicum.agents.backends.kv_buffer import RESERVE, GrowingCache
    from practicum.agents.backends.local import load_model

    tokenizer, model = load_model(str(tiny_llama_dir))
    texts = [tokenizer.apply_chat_template(conversation(line), tokenize=False, add_generation_prompt=True)
             for line in ("What is 3 plus 4?", "Fractions with unlike denominators need a common denominator first.")]
    batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    settings = dict(max_new_tokens=RESERVE + 40, min_new_tokens=RESERVE + 40, do_sample=False,
                    pad_token_id=tokenizer.pad_token_id)  # long enough that the buffer has to grow once
    with torch.inference_mode():
        plain = model.generate(**batch, **settings)
        cache = GrowingCache()
        grown = model.generate(**batch, cache=cache, **settings)
    assert torch.equal(plain, grown)
    layer = cache.layers[0]
    assert layer.keys.shape[-2] == plain.shape[1] - 1 and layer._keys_buffer.shape[-2] > layer.keys.shape[-2]


def test_dtype_is_a_local_spec_option():
    from practicum.agents.backends.spec import make_backend
    from practicum.errors import BackendError

    from practicum.agents.backends.local import default_dtype

    assert make_backend("local:dtype=bfloat16").dtype == "bfloat16"
    assert make_backend("local").dtype == make_backend("local:dtype=auto").dtype == default_dtype()
    assert make_backend("local:dtype=float32").dtype == "float32"
    with pytest.raises(BackendError, match="dtype must be one of auto, float32, bfloat16"):
        make_backend("local:dtype=fp16")


def test_a_prompt_prefilled_once_for_its_candidates_counts_as_prefilled_not_reused(tiny_llama_dir):
    """The gate's k copies of one prompt start from one shared prefill: computed once, reused from nothing."""
    from practicum.agents.backends.local import LocalBackend

    backend = LocalBackend(model_path=str(tiny_llama_dir))
    backend.prefix_cache.max_bytes = 0
    prompt = conversation("What is 3 plus 4? I think it is 12 because I multiplied.")
    backend.complete_batch([prompt, prompt, prompt], GREEDY)
    c = backend.counters
    assert c["reused_prompt_tokens"] == 0
    length = c["prompt_tokens"] // 3
    # the shared prefill (all but the last token) once, then each row's last token
    assert c["prefilled_real_tokens"] == (length - 1) + 3
