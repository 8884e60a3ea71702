"""One base model in memory for every LoRA adapter on it, and one prefill for prompts asked for several times.

A teacher on the raw embedded model and a student with its packaged adapter used to load the model
twice. Here an adapter is loaded beside the base (peft keeps several adapters on one model), its
layers are switched on only while its backend generates, under one lock per base, and are off
otherwise, so the base still answers as the raw model for everyone else.

The fidelity gate asks for the same prompt k times in one batch; `shared_hits` looks each distinct
prompt up in the prefix cache once and, when a repeated prompt is not cached, prefills it once
(all but its last token), so the k candidates decode from the same states instead of prefilling k
copies. Prompts of unequal uncached lengths in one batch are prefilled one by one as well: left
padding made 23% of the prefilled tokens of 8 concurrent sessions padding (7,471 against 5,768), and
a prompt of hundreds of tokens fills the matrix products on its own.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

PADDING_ALONE = 0.1  # prefill a batch's prompts one by one once a padded prefill would be this much padding
_registry_lock = threading.Lock()
_wrappers: dict[int, object] = {}  # id(base model) -> its PeftModel wrapper
_locks: dict[int, threading.RLock] = {}


def model_lock(base) -> threading.RLock:
    """The lock every backend generating with `base` (with or without an adapter) holds."""
    with _registry_lock:
        return _locks.setdefault(id(base), threading.RLock())


def adapter_name(path: str | Path) -> str:
    """A stable adapter name for a directory."""
    return "a" + hashlib.sha1(str(Path(path).expanduser().resolve()).encode()).hexdigest()[:12]


def attach_adapter(base, path: str | Path) -> str:
    """Load the adapter at `path` beside `base` (once); its layers stay off until `adapter_scope` turns them on."""
    from peft import PeftModel

    from practicum.agents.backends.lean_lora import make_lean

    name = adapter_name(path)
    with model_lock(base), _registry_lock:
        wrapper = _wrappers.get(id(base))
        if wrapper is None:
            with warnings.catch_warnings():
                # peft 0.21 asks transformers 5 a deprecated question; nothing for the user to act on.
                warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
                wrapper = PeftModel.from_pretrained(base, str(path), adapter_name=name)
            _wrappers[id(base)] = wrapper
        elif name not in wrapper.peft_config:
            wrapper.load_adapter(str(path), adapter_name=name)
        wrapper.eval()
        wrapper.base_model.disable_adapter_layers()
        make_lean(wrapper)
    return name


@contextmanager
def adapter_scope(base, name: str | None):
    """Generate with adapter `name` on (None: the raw base); hold `model_lock(base)` around it."""
    wrapper = _wrappers.get(id(base)) if name else None
    if wrapper is None:
        yield
        return
    wrapper.base_model.set_adapter(name)
    wrapper.base_model.enable_adapter_layers()
    try:
        yield
    finally:
        wrapper.base_model.disable_adapter_layers()


def shared_hits(prefix_cache, model, ids: list[list[int]], counters: dict | None = None) -> list:
    """Prefix-cache entries for each row: one lookup per distinct prompt; a repeated, uncached prompt prefilled once.

    `counters` (when given) gets the tokens prefilled here ("shared_prefill_tokens") and the same summed over
    the rows that start from them ("shared_prefill_row_tokens"): computed once, not reused from the cache.
    """
    from practicum.agents.backends.prefix_cache import Entry

    counts = Counter(tuple(row) for row in ids)
    found: dict[tuple, object] = {}
    for row in ids:
        key = tuple(row)
        if key not in found:
            found[key] = prefix_cache.take(row)
    alone = _padding_share(counts, found) >= PADDING_ALONE  # prompts of unequal fresh lengths: no padded prefill
    for key, n in counts.items():
        hit = found[key]
        if (n > 1 or alone) and len(key) > 1 and (hit is None or len(hit.ids) < len(key) - 1):
            keys, values = _prefill(model, list(key[:-1]), hit)
            if counters is not None:
                fresh = len(key) - 1 - (len(hit.ids) if hit is not None else 0)
                counters["shared_prefill_tokens"] = counters.get("shared_prefill_tokens", 0) + fresh
                counters["shared_prefill_row_tokens"] = counters.get("shared_prefill_row_tokens", 0) + fresh * n
            found[key] = Entry(key[:-1], keys, values)
    return [found[tuple(row)] for row in ids]


def _padding_share(counts: Counter, found: dict) -> float:
    """The share of a padded batch prefill that would be padding: every row prefills as many tokens as the row with
    the most uncached tokens (a repeated prompt counts once, as it is prefilled once)."""
    fresh = [len(key) - (len(found[key].ids) if found[key] is not None else 0) for key in counts]
    if len(fresh) < 2 or max(fresh) <= 1:
        return 0.0
    return 1 - sum(fresh) / (len(fresh) * max(fresh))


def _prefill(model, ids: list[int], hit=None):
    """Per-layer key/value states ([heads, tokens, dim]) of one prompt, continuing a cached prefix when given."""
    import torch

    from practicum.agents.backends.kv_buffer import GrowingCache

    start = len(hit.ids) if hit is not None else 0
    past = GrowingCache([(k.unsqueeze(0), v.unsqueeze(0)) for k, v in zip(hit.keys, hit.values)]) if hit else GrowingCache()
    out = model(input_ids=torch.tensor([ids[start:]]), cache=past, use_cache=True, logits_to_keep=1)
    layers = (getattr(out, "cache", None) or out.past_key_values).layers
    return [layer.keys[0].clone() for layer in layers], [layer.values[0].clone() for layer in layers]
