"""Transformers on the embedded model (or a local model path), batching requests in one generate call.

A batch is left-padded and runs as one `generate`. Between turns each conversation's prompt
states are kept (prefix_cache.py), so the next turn prefills only its new tokens; set
PRACTICUM_PREFIX_CACHE_MB=0 to turn that off. Decoding appends to a key/value buffer allocated
with room for a turn's reply (kv_buffer.py), instead of concatenating the history at every token. Threads come from threads.py (idle cores, PRACTICUM_THREADS overrides), the weight
dtype from the CPU (`auto`: bfloat16 where the CPU has AMX or AVX512-BF16, float32 elsewhere),
and both are printed once when the model loads. `engine=llamacpp` runs the same GGUF file in
llama.cpp instead (llamacpp.py).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
from pathlib import Path

from practicum.agents.backends.base import Completion, GenerationOptions, Message, Usage
from practicum.agents.backends.prefix_cache import PrefixCache
from practicum.agents.backends.sentence_stop import cut_sentences
from practicum.errors import BackendError, ModelMissingError

PREFIX_CACHE_ENV = "PRACTICUM_PREFIX_CACHE_MB"
PLAIN_KERNELS_ENV = "PRACTICUM_PLAIN_KERNELS"  # 1: no packed weights, decode attention or fused layers (comparisons)
DEFAULT_PREFIX_CACHE_MB = 1024
REPETITION_PENALTY = 1.15
ENGINES = ("transformers", "llamacpp")

_models: dict[tuple[str, str, str], tuple[object, object]] = {}
_models_lock = threading.Lock()
_announced: set[str] = set()


DTYPES = ("auto", "float32", "bfloat16")
FAST_BF16_FLAGS = ("amx_bf16", "avx512_bf16")


def fast_bfloat16_flags(cpuinfo: str | None = None) -> list[str]:
    """The CPU flags (from /proc/cpuinfo) that make bfloat16 matrix products fast here; [] when none."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            return []
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            present = set(line.partition(":")[2].split())
            return [flag for flag in FAST_BF16_FLAGS if flag in present]
    return []


def default_dtype() -> str:
    """bfloat16 on CPUs with AMX or AVX512-BF16 (batched products several times faster), float32 elsewhere."""
    return "bfloat16" if fast_bfloat16_flags() else "float32"


def check_dtype(dtype: str | None) -> str:
    """The weight dtype name to load ('auto'/None: `default_dtype()`); BackendError for anything else."""
    name = dtype or "auto"
    if name not in DTYPES:
        raise BackendError(f"local backend: dtype must be one of {', '.join(DTYPES)}, got '{dtype}'")
    return default_dtype() if name == "auto" else name


def dtype_reason(dtype: str) -> str:
    """Why this dtype: the CPU flags that make bfloat16 fast, or their absence."""
    flags = fast_bfloat16_flags()
    if flags:
        return f"CPU has {', '.join(flags)}"
    return "no AMX or AVX512-BF16 on this CPU" if dtype == "float32" else "asked for"


def announce(key: str, text: str) -> None:
    """Print a one-line notice to stderr once per process (the engine, dtype and threads chosen)."""
    if key in _announced:
        return
    _announced.add(key)
    print(text, file=sys.stderr, flush=True)


def load_model(model_path: str | None = None, adapter: str | None = None, dtype: str | None = None):
    """Load (once per process) the tokenizer and model, with an optional LoRA adapter applied.

    Every backend and role asking for the same (model, adapter, dtype) shares one loaded model.
    bfloat16 halves the weights and, on CPUs with AMX or AVX512-BF16, makes batched matrix
    products several times faster; float32 keeps greedy output identical to llama.cpp on the GGUF.
    """
    dtype = check_dtype(dtype)
    key = (model_path or "", adapter or "", dtype)
    with _models_lock:
        if key in _models:
            return _models[key]
        try:
            import torch
            import transformers
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise ModelMissingError('torch and transformers are needed; run: pip install -e ".[local]"') from None
        from practicum.agents.backends.threads import apply_threads

        threads = apply_threads()
        transformers.utils.logging.disable_progress_bar()
        if model_path:
            path = Path(model_path).expanduser()
            if not path.exists():
                raise BackendError(f"local model path does not exist: {path}")
        else:
            from practicum.agents.backends.embedded_model import ensure_checkpoint

            path = ensure_checkpoint()
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=getattr(torch, dtype))
        if adapter:
            adapter_path = Path(adapter).expanduser()
            if not (adapter_path / "adapter_config.json").exists():
                raise BackendError(f"no LoRA adapter at {adapter_path} (adapter_config.json missing)")
            from peft import PeftModel

            with warnings.catch_warnings():  # peft 0.21 asks transformers 5 a deprecated question
                warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
                model = PeftModel.from_pretrained(model, str(adapter_path))
            from practicum.agents.backends.lean_lora import make_lean

            make_lean(model)
        model.eval()
        speedups = _cpu_speedups(model, dtype)
        announce(f"transformers:{dtype}", f"local model: transformers, {dtype} weights ({dtype_reason(dtype)}), "
                                          f"{threads.describe()}{speedups}")
        _models[key] = (tokenizer, model)
        return tokenizer, model


def _cpu_speedups(model, dtype: str) -> str:
    """Packed bfloat16 weights, float32 decode attention and fused decode layers for a bfloat16 model; says which."""
    if dtype == "float32" or os.environ.get(PLAIN_KERNELS_ENV, "").strip() in ("1", "true", "yes"):
        return ""
    from practicum.agents.backends.decode_attention import use_decode_attention
    from practicum.agents.backends.fast_decode_layer import make_fast
    from practicum.agents.backends.packed_linear import pack_linears

    done = []
    packed = dtype == "bfloat16" and pack_linears(model) > 0
    if packed:
        done.append("packed weights")
    if use_decode_attention(model):
        done.append("decode attention")
        if packed and make_fast(model):
            done.append("fused decode layers")
    return f", {' and '.join(done)}" if done else ""


def local_backend(model_path: str | None = None, adapter: str | None = None, spec: str = "local",
                  dtype: str | None = None, engine: str | None = None, weights: str | None = None):
    """The backend `local:` names: transformers (default) or `engine=llamacpp` on the same GGUF (`weights=`:
    f16, the default, runs its cached float16 rewrite; gguf runs the file as it is)."""
    name = engine or "transformers"
    if name not in ENGINES:
        raise BackendError(f"local backend: engine must be one of {', '.join(ENGINES)}, got '{engine}'")
    if name == "llamacpp":
        if dtype not in (None, "auto"):
            raise BackendError("local backend: dtype= is a transformers option; engine=llamacpp takes weights=f16|gguf")
        from practicum.agents.backends.llamacpp import LlamaCppBackend

        return LlamaCppBackend(model_path=model_path, adapter=adapter, spec=spec, weights=weights)
    if weights is not None:
        raise BackendError("local backend: weights= is an engine=llamacpp option; transformers uses dtype=")
    return LocalBackend(model_path=model_path, adapter=adapter, spec=spec, dtype=dtype)


def _cache_budget() -> int:
    """Bytes for prompt states kept between turns ($PRACTICUM_PREFIX_CACHE_MB; 0 turns the cache off)."""
    text = os.environ.get(PREFIX_CACHE_ENV, "")
    try:
        megabytes = float(text) if text.strip() else DEFAULT_PREFIX_CACHE_MB
    except ValueError:
        raise BackendError(f"{PREFIX_CACHE_ENV} must be a number of megabytes, got '{text}'") from None
    return int(max(0.0, megabytes) * 1024 * 1024)


class LocalBackend:
    """Chat completions from a local transformers model; `complete_batch` pads left and runs one generate."""

    batches_in_one_pass = True  # drivers send many sessions' turns in one complete_batch (agents/runs/driver.py)

    def __init__(self, model_path: str | None = None, adapter: str | None = None, spec: str = "local",
                 dtype: str | None = None):
        """Remember what to load (weights in `dtype`, `auto` by default); the model loads on first use."""
        self.model_path = model_path
        self.adapter = adapter
        self.dtype = check_dtype(dtype)
        self.spec = spec
        self._lock = threading.Lock()
        self.prefix_cache = PrefixCache(_cache_budget())
        # What batching cost: prompt tokens reused from the prefix cache or prefilled (with padding), and
        # decode slots spent on rows that had already finished.
        self.counters = {"batches": 0, "rows": 0, "prompt_tokens": 0, "reused_prompt_tokens": 0,
                         "prefilled_tokens": 0, "prefilled_real_tokens": 0, "generated_tokens": 0,
                         "decode_slots": 0, "generate_seconds": 0.0}

    def _loaded(self):
        if not self.adapter:
            return load_model(self.model_path, None, self.dtype)
        # One base per model and dtype, each adapter beside it (agents/backends/adapter_sharing.py).
        from practicum.agents.backends.adapter_sharing import attach_adapter

        tokenizer, model = load_model(self.model_path, None, self.dtype)
        adapter = Path(self.adapter).expanduser()
        if not (adapter / "adapter_config.json").exists():
            raise BackendError(f"no LoRA adapter at {adapter} (adapter_config.json missing)")
        self._adapter_name = attach_adapter(model, adapter)
        return tokenizer, model

    def complete(self, messages: list[Message], options: GenerationOptions | None = None) -> Completion:
        """Answer one conversation."""
        return self.complete_batch([messages], options)[0]

    def complete_batch(
        self, requests: list[list[Message]], options: GenerationOptions | list[GenerationOptions] | None = None
    ) -> list[Completion]:
        """Answer several conversations in one forward pass (requests sharing options are batched together)."""
        if not requests:
            return []
        per_request = options if isinstance(options, list) else [options or GenerationOptions()] * len(requests)
        per_request = [o or GenerationOptions() for o in per_request]
        groups: dict[str, list[int]] = {}
        for i, opts in enumerate(per_request):
            key = opts.model_copy(update={"seed": None}).model_dump_json()
            groups.setdefault(key, []).append(i)
        results: list[Completion | None] = [None] * len(requests)
        for indices in groups.values():
            batch = [requests[i] for i in indices]
            for i, completion in zip(indices, self._generate(batch, [per_request[i] for i in indices])):
                results[i] = completion
        return results  # type: ignore[return-value]

    def _generate(self, batch: list[list[Message]], options: list[GenerationOptions]) -> list[Completion]:
        import torch

        tokenizer, model = self._loaded()
        opts = options[0]
        prompts = [tokenizer.apply_chat_template(m, tokenize=False, add_generation_prompt=True) for m in batch]
        ids = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
        kwargs = dict(max_new_tokens=opts.max_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id,
                      return_dict_in_generate=True)
        if opts.temperature > 0:
            # transformers' sampling distribution drawn on its top-k candidates only (top_sampling.py): greedy search
            # then takes the drawn token.
            from transformers import LogitsProcessorList

            from practicum.agents.backends.top_sampling import TopSampler

            kwargs["logits_processor"] = LogitsProcessorList([
                TopSampler(opts.temperature, opts.top_p, REPETITION_PENALTY)])
        else:
            kwargs["repetition_penalty"] = REPETITION_PENALTY
        seeds = [o.seed for o in options if o.seed is not None]
        start = time.perf_counter()
        from practicum.agents.backends.adapter_sharing import adapter_scope, model_lock, shared_hits

        with model_lock(model), adapter_scope(model, getattr(self, "_adapter_name", None)), torch.inference_mode():
            shared = {"shared_prefill_tokens": 0, "shared_prefill_row_tokens": 0}
            hits = shared_hits(self.prefix_cache, model, ids, shared)  # gate candidates (one prompt, k rows) prefill once
            input_ids, attention_mask, cached = _layout(ids, hits, tokenizer.pad_token_id)
            kwargs["cache"] = _past(hits, cached)
            if opts.max_sentences:
                from practicum.agents.backends.sentence_stop import transformers_criteria

                kwargs["stopping_criteria"] = transformers_criteria(tokenizer, input_ids.shape[1], opts.max_sentences,
                                                                    [o.accept for o in options])
            if seeds:
                # One generator per batch: reproducible for the same batch composition and seeds.
                torch.manual_seed(sum(seeds) % (2**63))
            result = model.generate(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
            self._keep_prompts(ids, attention_mask, result.cache)
        output = result.sequences
        elapsed = time.perf_counter() - start
        prompt_len = input_ids.shape[1]
        completions = []
        generated = 0
        for row, opt in enumerate(options):
            new_tokens = output[row, prompt_len:]
            row_ids = [t for t in new_tokens.tolist() if t not in (tokenizer.pad_token_id, tokenizer.eos_token_id)]
            generated += len(row_ids) + (len(row_ids) < len(new_tokens))  # the EOS that ended the row was computed
            text = tokenizer.decode(row_ids, skip_special_tokens=True)
            for stop in opt.stop:
                if stop and stop in text:
                    text = text[: text.index(stop)]
            text = cut_sentences(text, opt.max_sentences, opt.accept)
            completions.append(
                Completion(
                    text=text.strip(),
                    usage=Usage(prompt_tokens=len(ids[row]), completion_tokens=len(row_ids)),
                    model=self.spec,
                    latency=elapsed / len(options),
                )
            )
        # Rows starting from one shared prefill computed those tokens once: they count as prefilled, not reused.
        reused = sum(len(h.ids) for h in hits if h is not None) - shared["shared_prefill_row_tokens"]
        self._count(attention_mask, cached, reused, output.shape[1] - prompt_len, generated, elapsed)
        self.counters["prefilled_real_tokens"] += shared["shared_prefill_tokens"]
        return completions

    def _keep_prompts(self, ids: list[list[int]], attention_mask, cache) -> None:
        """Cache each row's prompt states (the real tokens of the prompt, not padding or the reply)."""
        if not self.prefix_cache.enabled or cache is None:
            return
        from practicum.agents.backends.prefix_cache import Entry

        width = attention_mask.shape[1]
        layers = [(layer.keys[:, :, :width], layer.values[:, :, :width]) for layer in cache.layers]
        kept = set()
        for row, row_ids in enumerate(ids):
            if tuple(row_ids) in kept:
                continue  # one entry per distinct prompt (the gate's candidates share theirs)
            kept.add(tuple(row_ids))
            real = attention_mask[row].bool()
            self.prefix_cache.put(Entry(
                tuple(row_ids), [k[row][:, real].clone() for k, _ in layers], [v[row][:, real].clone() for _, v in layers]
            ))

    def _count(self, attention_mask, cached: int, reused: int, steps: int, generated: int, elapsed: float) -> None:
        rows, width = attention_mask.shape
        c = self.counters
        c["batches"] += 1
        c["rows"] += rows
        c["prompt_tokens"] += int(attention_mask.sum())
        c["reused_prompt_tokens"] += reused
        c["prefilled_tokens"] += rows * (width - cached)
        c["prefilled_real_tokens"] += int(attention_mask[:, cached:].sum())
        c["generated_tokens"] += generated
        c["decode_slots"] += rows * steps
        c["generate_seconds"] += elapsed


def _layout(ids: list[list[int]], hits: list, pad_id: int):
    """Input ids and mask for a batch whose rows may continue cached prefixes.

    Each row is [pad, cached prefix | pad, new tokens]: the cached parts end together at column
    `cached` (the width of the past states) and the new parts end together at the right edge, as
    left padding does. Positions come from the mask, so padding in the middle shifts nothing.
    """
    import torch

    prefix = [len(h.ids) if h is not None else 0 for h in hits]
    cached = max(prefix)
    fresh = max(len(row) - n for row, n in zip(ids, prefix))
    input_ids = torch.full((len(ids), cached + fresh), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), cached + fresh), dtype=torch.long)
    for i, (row, n) in enumerate(zip(ids, prefix)):
        if n:
            input_ids[i, cached - n : cached] = torch.tensor(row[:n])
            mask[i, cached - n : cached] = 1
        tail = row[n:]
        input_ids[i, cached + fresh - len(tail) :] = torch.tensor(tail)
        mask[i, cached + fresh - len(tail) :] = 1
    return input_ids, mask, cached


def _past(hits: list, cached: int):
    """A GrowingCache holding each hit's states right-aligned at column `cached` (zeros elsewhere, masked)."""
    import torch

    from practicum.agents.backends.kv_buffer import GrowingCache

    if not cached:
        return GrowingCache()
    sample = next(h for h in hits if h is not None)
    layers = []
    for layer in range(len(sample.keys)):
        heads, _, dim = sample.keys[layer].shape
        keys = torch.zeros((len(hits), heads, cached, dim), dtype=sample.keys[layer].dtype)
        values = torch.zeros_like(keys)
        for i, hit in enumerate(hits):
            if hit is not None:
                n = len(hit.ids)
                keys[i, :, cached - n :] = hit.keys[layer]
                values[i, :, cached - n :] = hit.values[layer]
        layers.append((keys, values))
    return GrowingCache(layers)
