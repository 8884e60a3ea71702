"""Token counts with OpenAI's tokenizer (tiktoken), offline.

tiktoken downloads its BPE files on first use, which fails without network. It also reads a
cache directory, and litellm (installed with dspy) ships the cl100k_base, o200k_base and
p50k_base files in that cache layout (`litellm/litellm_core_utils/tokenizers/`, named by the
SHA-1 of the download URL; tiktoken still checks each file's SHA-256). So the encoding is loaded
from the first of $TIKTOKEN_CACHE_DIR, $DATA_GYM_CACHE_DIR, tiktoken's default cache or
litellm's copy that holds the file. With none, counts fall back to an estimate of one token per
four characters (OpenAI's rule of thumb for English), and the tokenizer name says so.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

DEFAULT_ENCODING = "o200k_base"
CHARS_PER_TOKEN = 4
# OpenAI cookbook: every message costs 3 tokens of framing (4 with a name), and the reply is primed with 3.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_REPLY_PRIMING = 3

_env_lock = threading.Lock()


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens of text; `name` says which tokenizer (or that it is an estimate)."""

    name: str
    exact: bool
    _encode: Callable[[str], int]

    def count(self, text: str) -> int:
        """Tokens in `text`."""
        return self._encode(text or "")

    def count_messages(self, messages: list[dict]) -> int:
        """Tokens of a chat example the way the OpenAI cookbook counts them."""
        total = TOKENS_REPLY_PRIMING
        for message in messages:
            total += TOKENS_PER_MESSAGE
            for key, value in message.items():
                if isinstance(value, str):
                    total += self.count(value)
                    if key == "name":
                        total += TOKENS_PER_NAME
        return total


def encoding_name(model: str | None) -> str:
    """The tiktoken encoding a model uses (o200k_base when tiktoken does not know the model)."""
    import tiktoken

    try:
        return tiktoken.encoding_name_for_model(model) if model else DEFAULT_ENCODING
    except KeyError:
        return DEFAULT_ENCODING


def _cache_key(name: str) -> str:
    return hashlib.sha1(f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken".encode()).hexdigest()


def cache_dirs() -> list[Path]:
    """Directories searched for tiktoken's cached BPE files, in order."""
    dirs = [os.environ.get("TIKTOKEN_CACHE_DIR"), os.environ.get("DATA_GYM_CACHE_DIR"),
            str(Path(tempfile.gettempdir()) / "data-gym-cache")]
    spec = importlib.util.find_spec("litellm")
    if spec and spec.submodule_search_locations:
        dirs.append(str(Path(list(spec.submodule_search_locations)[0]) / "litellm_core_utils" / "tokenizers"))
    return [Path(d) for d in dirs if d]


@lru_cache(maxsize=8)
def token_counter(model: str | None = None) -> TokenCounter:
    """A counter for `model`'s encoding: tiktoken from a local cache, else the 4-characters estimate."""
    import tiktoken

    name = encoding_name(model)
    key = _cache_key(name)
    for directory in cache_dirs():
        if (directory / key).is_file():
            with _env_lock:
                saved = os.environ.get("TIKTOKEN_CACHE_DIR")
                os.environ["TIKTOKEN_CACHE_DIR"] = str(directory)
                try:
                    encoding = tiktoken.get_encoding(name)
                except Exception:  # a corrupt or mismatching cached file: try the next directory
                    continue
                finally:
                    if saved is None:
                        os.environ.pop("TIKTOKEN_CACHE_DIR", None)
                    else:
                        os.environ["TIKTOKEN_CACHE_DIR"] = saved
            return TokenCounter(f"tiktoken {name}", True, lambda text: len(encoding.encode(text, disallowed_special=())))
    return TokenCounter(
        f"estimate: 1 token per {CHARS_PER_TOKEN} characters (tiktoken's {name} file is not available offline; "
        "set TIKTOKEN_CACHE_DIR to a directory holding it)",
        False, lambda text: math.ceil(len(text) / CHARS_PER_TOKEN),
    )
