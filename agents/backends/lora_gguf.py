"""Write a peft LoRA adapter (Llama family) as a GGUF LoRA file that llama.cpp loads beside its base.

llama.cpp reads adapters only as GGUF (`general.type = adapter`, `adapter.type = lora`,
`adapter.lora.alpha`, tensors `blk.N.<name>.weight.lora_a|lora_b`). Its own converter,
`convert_lora_to_gguf.py`, lives in the llama.cpp repository and is not in the llama-cpp-python
wheel, so this module does the same for the adapters practicum trains, with the `gguf` package
that the local extra already installs. As in llama.cpp's HF converter, the rows of the query and
key projections are permuted for its rotary layout; for W = B @ A that is a permutation of B's rows.
Anything else (DoRA, rsLoRA scaling, biases, embedding or output-layer adapters) is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from practicum.errors import BackendError

# Hugging Face Llama module -> llama.cpp tensor name (gguf's TensorNameMap, for the modules LoRA targets).
MODULES = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
KEY = re.compile(r"^(?:base_model\.model\.)?model\.layers\.(\d+)\.(.+)\.lora_([AB])\.weight$")


def permute_rows(weights, n_head: int):
    """llama.cpp's q/k row order (convert_hf_to_gguf's `permute`), applied to a [rows, cols] matrix."""
    rows = weights.shape[0]
    return weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(weights.shape)


def _config(adapter: Path) -> dict:
    try:
        config = json.loads((adapter / "adapter_config.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackendError(f"{adapter}: cannot read adapter_config.json ({exc})") from None
    for flag, what in (("use_dora", "DoRA"), ("use_rslora", "rsLoRA scaling")):
        if config.get(flag):
            raise BackendError(f"{adapter}: {what} adapters cannot run in llama.cpp; use the transformers engine")
    if config.get("bias", "none") != "none":
        raise BackendError(f"{adapter}: LoRA biases cannot run in llama.cpp; use the transformers engine")
    return config


def convert_adapter(adapter: str | Path, out: str | Path, n_head: int, n_head_kv: int) -> Path:
    """Write `adapter` (a peft directory) as a GGUF LoRA file at `out`; BackendError if llama.cpp cannot run it."""
    import gguf
    import numpy as np
    from safetensors.numpy import load_file

    adapter, out = Path(adapter), Path(out)
    config = _config(adapter)
    weights_file = adapter / "adapter_model.safetensors"
    if not weights_file.is_file():
        raise BackendError(f"{adapter}: adapter_model.safetensors missing (only safetensors adapters convert)")
    pairs: dict[str, dict[str, np.ndarray]] = {}
    for key, value in load_file(str(weights_file)).items():
        match = KEY.match(key)
        if not match or match.group(2) not in MODULES:
            raise BackendError(f"{adapter}: tensor {key} has no llama.cpp counterpart; use the transformers engine")
        layer, module, side = match.groups()
        name = f"blk.{layer}.{MODULES[module]}.weight"
        value = value.astype(np.float32)
        if side == "B" and module in ("self_attn.q_proj", "self_attn.k_proj"):
            value = permute_rows(value, n_head if module == "self_attn.q_proj" else n_head_kv)
        pairs.setdefault(name, {})[side] = value
    if not pairs:
        raise BackendError(f"{adapter}: no LoRA weights found")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    writer = gguf.GGUFWriter(str(partial), "llama")
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config.get("lora_alpha", config.get("r", 8))))
    for name in sorted(pairs):
        sides = pairs[name]
        if set(sides) != {"A", "B"}:
            raise BackendError(f"{adapter}: {name} has only lora_{''.join(sides)}")
        writer.add_tensor(name + ".lora_a", np.ascontiguousarray(sides["A"]))
        writer.add_tensor(name + ".lora_b", np.ascontiguousarray(sides["B"]))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    partial.replace(out)
    return out


def cached_gguf_adapter(adapter: str | Path, n_head: int, n_head_kv: int) -> Path:
    """The GGUF form of a peft adapter, converted once into the model cache (keyed by the adapter's bytes)."""
    from practicum.config import model_cache_dir

    adapter = Path(adapter).expanduser()
    digest = hashlib.sha256()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        path = adapter / name
        if not path.is_file():
            raise BackendError(f"no LoRA adapter at {adapter} ({name} missing)")
        digest.update(path.read_bytes())
    target = model_cache_dir() / "lora-gguf" / f"{digest.hexdigest()[:20]}.gguf"
    if not target.is_file():
        convert_adapter(adapter, target, n_head, n_head_kv)
    return target
