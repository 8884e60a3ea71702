"""Where practicum keeps its files: everything hangs off PRACTICUM_HOME so tests never touch ~."""

from __future__ import annotations

import json
import os
from pathlib import Path

from practicum.errors import ConfigError


def practicum_home() -> Path:
    """Return the data directory ($PRACTICUM_HOME, default ~/.practicum), creating it."""
    home = Path(os.environ.get("PRACTICUM_HOME") or Path.home() / ".practicum").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


def default_db_path() -> Path:
    """Return the default SQLite database path."""
    return practicum_home() / "practicum.db"


def model_cache_dir() -> Path:
    """Return the directory for converted model checkpoints ($PRACTICUM_MODEL_CACHE overrides)."""
    override = os.environ.get("PRACTICUM_MODEL_CACHE")
    path = Path(override).expanduser() if override else practicum_home() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def settings_path() -> Path:
    """Return the path of the user settings file."""
    return practicum_home() / "config.json"


def load_settings() -> dict:
    """Read user settings; a missing file means no settings."""
    path = settings_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object")
    return data


def save_setting(key: str, value) -> None:
    """Store one user setting, keeping the others; the file is private to the user."""
    data = load_settings()
    data[key] = value
    path = settings_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)
