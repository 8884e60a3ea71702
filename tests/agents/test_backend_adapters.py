"""`local:adapter=` takes a LoRA run id (looked up in the Store the caller passes) or a path (no database opened)."""

from __future__ import annotations

import json

import pytest

from practicum.agents.backends.adapters import resolve_adapter
from practicum.errors import BackendError


def make_adapter_dir(folder, base=None):
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}")
    if base is not None:
        (folder / "manifest.json").write_text(json.dumps({"base_model": base}))
    return folder


def test_a_path_never_opens_the_database(tmp_path, monkeypatch):
    from practicum.storage import store as store_module

    def refuse(*args, **kwargs):
        raise AssertionError("a path must not open the database")

    monkeypatch.setattr(store_module.Store, "__init__", refuse)
    folder = make_adapter_dir(tmp_path / "adapter", base={"path": "/models/tiny", "embedded": False})
    resolved = resolve_adapter(str(folder))
    assert resolved.path == str(folder) and resolved.base == "/models/tiny"
    embedded = make_adapter_dir(tmp_path / "adapter2", base={"path": "/cache/smollm2", "embedded": True})
    assert resolve_adapter(str(embedded)).base is None


def test_run_ids_resolve_through_the_given_store(tmp_path, store):
    from practicum.storage.tuning_runs import create_tuning_run, update_tuning_run

    folder = make_adapter_dir(tmp_path / "run")
    lora = create_tuning_run(store, tuner="lora", config={}, status="running")
    other = create_tuning_run(store, tuner="dspy", config={}, status="succeeded")
    missing = create_tuning_run(store, tuner="lora", config={}, status="succeeded")
    update_tuning_run(store, missing, artifact_path=str(tmp_path / "gone"))

    with pytest.raises(BackendError, match=f"LoRA run {lora} is running, it has no adapter yet"):
        resolve_adapter(str(lora), store)
    with pytest.raises(BackendError, match=f"tuning run {other} is a dspy run, not a LoRA adapter"):
        resolve_adapter(str(other), store)
    with pytest.raises(BackendError, match=f"the adapter of run {missing} is missing"):
        resolve_adapter(str(missing), store)
    with pytest.raises(BackendError, match="no tuning run with id 99"):
        resolve_adapter("99", store)
    update_tuning_run(store, lora, status="succeeded", artifact_path=str(folder))
    assert resolve_adapter(str(lora), store).path == str(folder)


def test_a_run_id_without_a_store_is_refused_not_looked_up_in_a_default_database(tmp_path, monkeypatch):
    from practicum.storage import store as store_module

    monkeypatch.setattr(store_module.Store, "__init__", lambda *a, **k: (_ for _ in ()).throw(AssertionError("opened")))
    with pytest.raises(BackendError, match="adapter=3 names a tuning run, but no database was given"):
        resolve_adapter("3")


def test_make_backend_passes_the_resolved_adapter(tmp_path):
    from practicum.agents.backends.spec import make_backend

    folder = make_adapter_dir(tmp_path / "adapter", base={"path": "/models/tiny", "embedded": False})
    backend = make_backend(f"local:adapter={folder}")
    assert backend.adapter == str(folder) and backend.model_path == "/models/tiny"
    explicit = make_backend(f"local:adapter={folder},model=/models/other")
    assert explicit.model_path == "/models/other"
    assert make_backend("local").adapter is None


def test_tuning_lora_keeps_its_import_path():
    from practicum.tuning.lora import adapters

    assert adapters.resolve_adapter is resolve_adapter
