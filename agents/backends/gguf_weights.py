"""The GGUF llama.cpp runs: the embedded Q4_1 file's weights rewritten once as float16 (cached).

The embedded model ships as a Q4_1 GGUF. llama.cpp has no fast batched kernel for Q4_1 on the CPUs
measured here, so prefilling a practice prompt's changed tail took most of each reply (151 prompt
tokens/s on one thread); the same weights as float16 prefill about twice as fast and decode at least
as fast (README, "Speed on a laptop CPU"). The conversion is exact up to float16 rounding of values
that are already 4-bit steps, it is what the transformers engine computes with too (it dequantizes the
same file), and it takes about a second: done once into the model cache, keyed by the source file.
`local:engine=llamacpp,weights=gguf` runs the file as it is.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
from pathlib import Path

from practicum.errors import BackendError

WEIGHTS = ("f16", "gguf")  # the `weights=` option of engine=llamacpp; f16 is the default
QUANTIZED = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ4_NL"}


def check_weights(weights: str | None) -> str:
    """The `weights=` option's value ('f16' when not given); BackendError naming the choices otherwise."""
    name = weights or "f16"
    if name not in WEIGHTS:
        raise BackendError(f"engine=llamacpp: weights must be one of {', '.join(WEIGHTS)}, got '{weights}'")
    return name


def quantized_tensor_types(path: Path) -> set[str]:
    """The quantized types among the file's 2-D weight tensors (empty when it is already float)."""
    from gguf import GGUFReader

    reader = GGUFReader(str(path))
    return {t.tensor_type.name for t in reader.tensors if len(t.shape) > 1 and t.tensor_type.name in QUANTIZED}


def weights_for(source: Path, weights: str) -> Path:
    """The GGUF to load: `source` itself (weights=gguf, or already float), else its cached float16 copy."""
    if check_weights(weights) == "gguf":
        return source
    from practicum.config import model_cache_dir

    stat = source.stat()
    key = hashlib.sha256(f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:20]
    target = model_cache_dir() / "gguf-f16" / f"{source.stem}-{key}.gguf"
    if target.is_file():
        return target
    if not quantized_tensor_types(source):
        return source
    to_float16(source, target)
    return target


def to_float16(source: Path, target: Path) -> None:
    """Rewrite every quantized weight of `source` as float16 into `target` (written whole, then renamed)."""
    import llama_cpp
    from llama_cpp._logger import set_verbose

    set_verbose(False)  # llama.cpp would print a line per tensor
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_F16
    params.allow_requantize = True
    params.nthread = max(1, min(2, os.cpu_count() or 1))
    try:
        failed = llama_cpp.llama_model_quantize(str(source).encode(), str(partial).encode(), ctypes.byref(params))
        if failed or not partial.is_file():
            raise BackendError(f"engine=llamacpp: could not rewrite {source.name} as float16 into {target.parent} "
                               f"(llama.cpp returned {failed}); run it as it is with weights=gguf")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
