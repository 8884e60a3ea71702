"""Where an OpenAI API key comes from: $OPENAI_API_KEY, else a private key file under PRACTICUM_HOME.

A key on disk is only as safe as its permissions, so a key file that other users can read is
refused rather than used. The key is returned to the caller that builds the SDK client and is
never stored, logged or put into a message here.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from practicum.config import practicum_home
from practicum.errors import ConfigError

KEY_FILE_NAME = "openai_api_key"


def key_file_path() -> Path:
    """The key file: $PRACTICUM_HOME/openai_api_key (one line, the key; mode 600)."""
    return practicum_home() / KEY_FILE_NAME


def find_api_key() -> str | None:
    """The API key from $OPENAI_API_KEY or the key file; None when neither has one."""
    key = (os.environ.get("OPENAI_API_KEY") or "").strip()
    if key:
        return key
    path = key_file_path()
    if not path.exists():
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if os.name == "posix" and mode & 0o077:
        raise ConfigError(
            f"{path} has permissions {mode:o}, so other users can read the API key; "
            f"run `chmod 600 {path}` and try again"
        )
    try:
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the API key file ({type(exc).__name__})") from None
    return key or None


def missing_key_message(where: str) -> str:
    """The one-line error for a call that needs a key and has none."""
    return (
        f"no OpenAI API key for {where}: set OPENAI_API_KEY or put the key in {key_file_path()} "
        "(chmod 600)"
    )
