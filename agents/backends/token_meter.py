"""Count and clip text in the embedded model's tokens, without loading the model.

Bounded prompts (agents/prompt_budget.py) state their limits in tokens of the embedded
SmolLM2 tokenizer, read with the `tokenizers` library from the converted checkpoint's
`tokenizer.json` (or, before the first conversion, extracted once from the GGUF into the model
cache). Where neither is possible (no embedded model installed) the meter counts UTF-8 bytes:
a byte-level BPE token always covers at least one byte, so that count is never below the true
one and every bound still holds, only more tightly than it needs to. `meter.name` says which.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

ELLIPSIS = "…"
TOKENIZER_DIR = "smollm2-135m-instruct-tokenizer"
BYTES_NAME = "utf-8 bytes (conservative: no embedded tokenizer here)"

_meters: dict[str, "TokenMeter"] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class TokenMeter:
    """Counts tokens of text and clips text to a number of tokens; `exact` is False for the byte count."""

    name: str
    exact: bool
    _count: Callable[[str], int]
    _prefix: Callable[[str, int], str]  # the longest prefix of whole tokens within n tokens
    _suffix: Callable[[str, int], str]  # the longest suffix of whole tokens within n tokens

    def count(self, text: str) -> int:
        """Tokens in `text`."""
        return self._count(text) if text else 0

    def clip(self, text: str, max_tokens: int, marker: str = ELLIPSIS) -> str:
        """`text` if it fits in `max_tokens`, else its start plus `marker`, the whole within `max_tokens`."""
        if max_tokens <= 0:
            return ""
        if self.count(text) <= max_tokens:
            return text
        room = max_tokens - self.count(marker)
        while room > 0:
            clipped = self._prefix(text, room).rstrip() + marker
            if self.count(clipped) <= max_tokens:
                return clipped
            room -= 1
        return self._prefix(text, max_tokens)

    def clip_start(self, text: str, max_tokens: int, marker: str = ELLIPSIS) -> str:
        """`text` if it fits, else `marker` plus its end (for summaries that keep the most recent part)."""
        if self.count(text) <= max_tokens:
            return text
        room = max_tokens - self.count(marker)
        while room > 0:
            clipped = marker + self._suffix(text, room).lstrip()
            if self.count(clipped) <= max_tokens:
                return clipped
            room -= 1
        return ""

    def clip_middle(self, text: str, max_tokens: int, marker: str = " … ") -> str:
        """`text` if it fits, else its start and its end (two thirds, one third) around `marker`."""
        if self.count(text) <= max_tokens:
            return text
        room = max_tokens - self.count(marker)
        while room > 1:
            head = self._prefix(text, room - room // 3).rstrip()
            tail = self._suffix(text[len(head):], room // 3).lstrip()
            clipped = head + marker + tail
            if self.count(clipped) <= max_tokens:
                return clipped
            room -= 1
        return self.clip(text, max_tokens)


def _bytes_meter() -> TokenMeter:
    def prefix(text: str, n: int) -> str:
        return text.encode("utf-8")[:n].decode("utf-8", "ignore")

    def suffix(text: str, n: int) -> str:
        data = text.encode("utf-8")
        return data[max(0, len(data) - n):].decode("utf-8", "ignore")

    return TokenMeter(BYTES_NAME, False, lambda text: len(text.encode("utf-8")), prefix, suffix)


def _tokenizer_meter(path: Path) -> TokenMeter:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))

    @lru_cache(maxsize=4096)
    def encode(text: str):
        return tokenizer.encode(text, add_special_tokens=False)

    def count(text: str) -> int:
        return len(encode(text).ids)

    def prefix(text: str, n: int) -> str:
        encoding = encode(text)
        if len(encoding.ids) <= n:
            return text
        return text[: encoding.offsets[n - 1][1]] if n > 0 else ""

    def suffix(text: str, n: int) -> str:
        encoding = encode(text)
        if len(encoding.ids) <= n:
            return text
        return text[encoding.offsets[len(encoding.ids) - n][0]:] if n > 0 else ""

    return TokenMeter(f"SmolLM2-135M tokenizer ({path.parent.name})", True, count, prefix, suffix)


def tokenizer_file() -> Path | None:
    """The embedded model's tokenizer.json: the converted checkpoint's, else one extracted from the GGUF."""
    from practicum.agents.backends.embedded_model import checkpoint_dir, embedded_available, gguf_path
    from practicum.config import model_cache_dir

    for folder in (checkpoint_dir(), model_cache_dir() / TOKENIZER_DIR):
        if (folder / "tokenizer.json").is_file():
            return folder / "tokenizer.json"
    if not embedded_available():
        return None
    try:
        import transformers
        from transformers import AutoTokenizer
    except ImportError:
        return None
    transformers.utils.logging.disable_progress_bar()
    source = gguf_path()
    target = model_cache_dir() / TOKENIZER_DIR
    partial = target.with_name(target.name + ".partial")
    try:
        AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name).save_pretrained(str(partial))
    except Exception:  # no gguf package, an unreadable file: the byte count still bounds every prompt
        return None
    if not target.exists():
        partial.rename(target)
    return target / "tokenizer.json"


def token_meter() -> TokenMeter:
    """The meter for prompt budgets: the embedded tokenizer when it can be had, else UTF-8 bytes (cached)."""
    from practicum.config import model_cache_dir

    key = str(model_cache_dir())
    with _lock:
        meter = _meters.get(key)
        if meter is None:
            path = tokenizer_file()
            meter = _tokenizer_meter(path) if path is not None else _bytes_meter()
            _meters[key] = meter
        return meter
