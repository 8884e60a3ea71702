"""LoRA training on a tiny local Llama: it learns, leaves the base alone, saves what reloads, resumes exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("peft")

from practicum.tuning.lora import LoraTrainConfig, train_lora  # noqa: E402

SYSTEM = {"role": "system", "content": "You are a patient math teacher."}


@pytest.fixture
def runs_db():
    """The database the runs are recorded in, passed explicitly (library code never opens one itself)."""
    from practicum.storage.store import Store

    store = Store()
    yield store
    store.close()


def teacher_rows(n=12):
    return [{"prompt": [SYSTEM, {"role": "user", "content": f"What is {i} plus 4? I think it is {i * 4}."}],
             "completion": [{"role": "assistant", "content": "Can you tell me how you got that? Let us add one by one."}]}
            for i in range(n)]


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def config(tmp_path, tiny_llama_dir, **overrides) -> LoraTrainConfig:
    data = tmp_path / "train.jsonl"
    if not data.exists():
        write_jsonl(data, teacher_rows())
    settings = dict(data=str(data), base=str(tiny_llama_dir), r=4, alpha=8, dropout=0.1, lr=2e-2,
                    target_modules="q_proj,v_proj,up_proj,down_proj,lm_head", batch_size=4, epochs=2,
                    progress=False, seed=3, dtype="float32")  # the exact-arithmetic claims below are float32's
    settings.update(overrides)
    return LoraTrainConfig(**settings)


def base_params(model) -> dict:
    """The base weights inside a peft model, under the plain model's names."""
    out = {}
    for name, param in model.named_parameters():
        if "lora_" not in name:
            out[name.replace("base_model.model.", "", 1).replace(".base_layer", "")] = param.detach().clone()
    return out


def adapter_params(model) -> dict:
    return {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" in n}


def test_training_changes_the_adapter_only_and_lowers_the_loss(tmp_path, tiny_llama_dir, runs_db):
    import torch
    from transformers import AutoModelForCausalLM

    from practicum.tuning.lora.model import wrap_with_lora

    cfg = config(tmp_path, tiny_llama_dir, epochs=6, val_fraction=0.25)
    snapshot = {k: v.clone() for k, v in AutoModelForCausalLM.from_pretrained(str(tiny_llama_dir)).state_dict().items()}
    initial = adapter_params(wrap_with_lora(AutoModelForCausalLM.from_pretrained(str(tiny_llama_dir)), cfg))

    result = train_lora(cfg, store=runs_db)

    trained_base = base_params(result.model)
    assert trained_base.keys() == snapshot.keys()
    assert all(torch.equal(trained_base[k], snapshot[k]) for k in snapshot), "base weights changed"
    trained = adapter_params(result.model)
    assert trained.keys() == initial.keys()
    changed = [k for k in trained if not torch.equal(trained[k], initial[k])]
    assert len(changed) == len(trained), "some LoRA matrices did not move"
    curve = [loss for _, loss in result.metrics["train_loss"]]
    assert len(curve) == result.metrics["steps"] == 18  # 9 training rows, batches of 4, 6 epochs
    assert sum(curve[-3:]) / 3 < sum(curve[:3]) / 3 - 1.0
    assert result.metrics["best_val_loss"] < result.metrics["initial_val_loss"]
    assert [step for step, _ in result.metrics["val_loss"]] == [3, 6, 9, 12, 15, 18]  # once per epoch


def test_saved_adapter_reloads_to_identical_logits(tmp_path, tiny_llama_dir, runs_db):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    result = train_lora(config(tmp_path, tiny_llama_dir, epochs=2), store=runs_db)
    folder = result.adapter_path
    assert (folder / "adapter_config.json").is_file() and (folder / "adapter_model.safetensors").is_file()
    assert (folder / "tokenizer.json").is_file() and (folder / "manifest.json").is_file()
    reloaded = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(tiny_llama_dir)), str(folder)).eval()
    ids = torch.tensor([result.tokenizer("What is 3 plus 4? Count up.")["input_ids"]])
    with torch.no_grad():
        expected = result.model(input_ids=ids).logits
        got = reloaded(input_ids=ids).logits
        plain = AutoModelForCausalLM.from_pretrained(str(tiny_llama_dir))(input_ids=ids).logits
    assert torch.equal(got, expected)
    assert not torch.allclose(got, plain), "the adapter makes no difference"


def test_run_is_recorded_and_usable_as_a_backend(tmp_path, tiny_llama_dir, practicum_home, runs_db):
    from practicum.agents.backends.base import GenerationOptions
    from practicum.agents.backends.spec import make_backend
    from practicum.storage.store import Store
    from practicum.storage.tuning_runs import get_tuning_run

    result = train_lora(config(tmp_path, tiny_llama_dir, epochs=1), store=runs_db)
    assert result.adapter_path == practicum_home / "adapters" / str(result.run_id)
    store = Store()
    row = get_tuning_run(store, result.run_id)
    store.close()
    manifest = json.loads((result.adapter_path / "manifest.json").read_text())
    assert row["tuner"] == "lora" and row["status"] == "succeeded" and row["role"] == "teacher"
    assert row["artifact_path"] == str(result.adapter_path) and row["base_model"] == str(tiny_llama_dir.resolve())
    assert row["data_hash"] == manifest["data"]["sha256"] == result.manifest["data"]["sha256"]
    assert row["details"]["train_loss"] == manifest["metrics"]["train_loss"] != []
    assert row["metrics_after"]["val_loss"] == manifest["metrics"]["best_val_loss"]
    assert manifest["config"]["r"] == 4 and manifest["base_model"]["embedded"] is False
    assert manifest["metrics"]["adapter_bytes"] == (result.adapter_path / "adapter_model.safetensors").stat().st_size

    backend = make_backend(f"local:adapter={result.run_id}", store=runs_db)
    # the run id resolves to the adapter, and the manifest to the base it was trained on
    assert backend.adapter == str(result.adapter_path) and backend.model_path == str(tiny_llama_dir.resolve())
    reply = backend.complete([SYSTEM, {"role": "user", "content": "What is 3 plus 4?"}],
                             GenerationOptions(max_tokens=4, temperature=0.0))
    assert reply.usage.completion_tokens > 0


def test_resume_continues_at_the_checkpoint_and_matches_an_uninterrupted_run(tmp_path, tiny_llama_dir, runs_db):
    import torch
    from safetensors.torch import load_file

    cfg = config(tmp_path, tiny_llama_dir, epochs=3, batch_size=2, save_every=2, keep_checkpoints=0,
                 val_fraction=0.25, patience=0)
    full = train_lora(cfg, store=runs_db)
    assert full.metrics["steps"] == 15  # 9 rows in batches of 2: 5 steps an epoch
    weights = load_file(str(full.adapter_path / "adapter_model.safetensors"))
    curve = full.metrics["train_loss"]
    checkpoint = full.adapter_path / "checkpoints" / "step-000006"  # mid-epoch 2
    assert checkpoint.is_dir()

    resumed = train_lora(LoraTrainConfig(resume=str(checkpoint), progress=False), store=runs_db)
    assert resumed.run_id == full.run_id and resumed.adapter_path == full.adapter_path
    assert resumed.metrics["resumed_from_step"] == 6 and resumed.metrics["steps"] == 15
    assert [step for step, _ in resumed.metrics["train_loss"]] == list(range(1, 16))
    assert resumed.metrics["train_loss"] == curve
    again = load_file(str(resumed.adapter_path / "adapter_model.safetensors"))
    assert all(torch.equal(again[k], weights[k]) for k in weights)


def test_resume_refuses_changed_settings_or_data(tmp_path, tiny_llama_dir, runs_db):
    from practicum.errors import InputError

    result = train_lora(config(tmp_path, tiny_llama_dir, epochs=1), store=runs_db)
    with pytest.raises(InputError, match="lr is 0.02 in the checkpoint, 0.5 was given"):
        train_lora(LoraTrainConfig(resume=str(result.adapter_path), lr=0.5, progress=False), store=runs_db)
    write_jsonl(tmp_path / "train.jsonl", teacher_rows(5))
    with pytest.raises(InputError, match="the data changed since the checkpoint"):
        train_lora(LoraTrainConfig(resume=str(result.adapter_path), progress=False), store=runs_db)


def test_early_stopping_keeps_the_best_adapter(tmp_path, tiny_llama_dir, runs_db):
    from safetensors.torch import load_file

    # min_delta 100: no validation after the first counts as better, so patience 1 stops at the second
    result = train_lora(config(tmp_path, tiny_llama_dir, epochs=5, eval_every=1, patience=1, min_delta=100.0,
                               save_every=1, keep_checkpoints=0, val_fraction=0.25), store=runs_db)
    metrics = result.metrics
    assert metrics["stopped_early"] and metrics["steps"] == 2 and metrics["planned_steps"] == 15
    assert metrics["best_step"] == 1 and metrics["adapter_step"] == 1
    final = load_file(str(result.adapter_path / "adapter_model.safetensors"))
    at_best = load_file(str(result.adapter_path / "checkpoints" / "step-000001" / "adapter_model.safetensors"))
    at_last = load_file(str(result.adapter_path / "checkpoints" / "step-000002" / "adapter_model.safetensors"))
    assert all((final[k] == at_best[k]).all() for k in final)
    assert any((final[k] != at_last[k]).any() for k in final)


def test_dpo_prefers_the_chosen_reply(tmp_path, tiny_llama_dir, runs_db):
    rows = [{"prompt": [SYSTEM, {"role": "user", "content": f"What is {i} plus 4?"}],
             "chosen": [{"role": "assistant", "content": "Can you tell me how you got that?"}],
             "rejected": [{"role": "assistant", "content": f"The answer is {i + 4}."}]} for i in range(12)]
    data = write_jsonl(tmp_path / "pairs.jsonl", rows)
    result = train_lora(config(tmp_path, tiny_llama_dir, data=str(data), epochs=4, lr=5e-2, dpo_beta=0.5,
                               val_fraction=0.25), store=runs_db)
    metrics = result.metrics
    assert result.manifest["objective"] == "dpo"
    # policy == reference before training, so the first DPO loss is log 2
    assert metrics["initial_val_loss"] == pytest.approx(0.6931, abs=1e-3)
    assert metrics["best_val_loss"] < 0.6
    assert metrics["val_accuracy"][-1][1] == 1.0


def test_validation_file_beside_the_export_is_used(tmp_path, tiny_llama_dir, runs_db):
    write_jsonl(tmp_path / "train.val.jsonl", teacher_rows(3))
    result = train_lora(config(tmp_path, tiny_llama_dir, epochs=1), store=runs_db)
    data = result.manifest["data"]
    assert data["validation"] == f"file {tmp_path / 'train.val.jsonl'}"
    assert data["train_examples"] == 12 and data["val_examples"] == 3


def test_failed_run_is_marked_failed(tmp_path, tiny_llama_dir, monkeypatch, runs_db):
    from practicum.storage.store import Store
    from practicum.storage.tuning_runs import list_tuning_runs
    from practicum.tuning.lora import trainer

    def boom(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(trainer, "_train_step", boom)
    with pytest.raises(RuntimeError):
        train_lora(config(tmp_path, tiny_llama_dir), store=runs_db)
    store = Store()
    [row] = list_tuning_runs(store, tuner="lora")
    store.close()
    assert row["status"] == "failed" and "RuntimeError: out of memory at step 0" in row["error"]


def test_loss_on_kept_positions_equals_the_models_own_masked_loss(tiny_llama_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from practicum.tuning.lora.data import read_training_file
    from practicum.tuning.lora.encoding import collate, encode_rows
    from practicum.tuning.lora.objectives import sft_loss_sum

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_llama_dir))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_llama_dir)).eval()
    rows = [{"messages": [SYSTEM, {"role": "user", "content": "3 plus 4?"}, {"role": "assistant", "content": "Count up."},
                          {"role": "user", "content": "12"}, {"role": "assistant", "content": "How did you get 12?"}]},
            {"prompt": [SYSTEM, {"role": "user", "content": "What is 3 plus 4? I think it is 12."}],
             "completion": [{"role": "assistant", "content": "Let us add one by one."}]}]
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        data = read_training_file(write_jsonl(Path(folder) / "t.jsonl", rows))
    items, _ = encode_rows(tokenizer, data.rows, 512)
    batch = collate(items, tokenizer.pad_token_id)  # rows of different lengths: right padding is exercised
    with torch.no_grad():
        total, n = sft_loss_sum(model, items, tokenizer.pad_token_id)
        reference = model(**batch).loss  # transformers' own shifted, -100-masked mean
    assert n == sum(item.n_learned for item in items)
    assert float(total) / n == pytest.approx(float(reference), rel=1e-5)


def test_an_interrupted_run_names_its_checkpoint_and_resumes_from_it(tmp_path, tiny_llama_dir, monkeypatch, runs_db):
    import torch
    from safetensors.torch import load_file

    from practicum.storage.store import Store
    from practicum.storage.tuning_runs import get_tuning_run
    from practicum.tuning.lora import trainer

    cfg = config(tmp_path, tiny_llama_dir, epochs=2, batch_size=2, save_every=2, val_fraction=0)
    reference = train_lora(cfg, store=runs_db)
    expected = load_file(str(reference.adapter_path / "adapter_model.safetensors"))

    real_step, calls = trainer._train_step, []

    def interrupted_at_the_fifth(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    monkeypatch.setattr(trainer, "_train_step", interrupted_at_the_fifth)
    with pytest.raises(KeyboardInterrupt):
        train_lora(cfg, store=runs_db)
    monkeypatch.setattr(trainer, "_train_step", real_step)
    store = Store()
    row = get_tuning_run(store, reference.run_id + 1)
    store.close()
    assert row["status"] == "failed" and row["error"].startswith("interrupted at step 4; resume with --resume ")
    checkpoint = row["error"].split("--resume ", 1)[1]
    assert checkpoint.endswith("step-000004")

    resumed = train_lora(LoraTrainConfig(resume=checkpoint, progress=False), store=runs_db)
    assert resumed.run_id == reference.run_id + 1 and resumed.metrics["steps"] == reference.metrics["steps"]
    got = load_file(str(resumed.adapter_path / "adapter_model.safetensors"))
    assert all(torch.equal(got[k], expected[k]) for k in expected)


@pytest.mark.parametrize("flags,expected", [(["avx512_bf16"], "bfloat16"), ([], "float32")])
def test_auto_dtype_on_the_cpu_is_bfloat16_only_where_the_cpu_has_fast_bfloat16(monkeypatch, flags, expected):
    import torch

    from practicum.agents.backends import local
    from practicum.tuning.lora.model import pick_dtype

    monkeypatch.setattr(local, "fast_bfloat16_flags", lambda cpuinfo=None: flags)
    assert pick_dtype("auto", "cpu") == getattr(torch, expected)
    assert pick_dtype("float32", "cpu") == torch.float32  # asked for: kept


def test_bfloat16_training_keeps_the_base_and_trains_float32_lora_weights(tmp_path, tiny_llama_dir, runs_db):
    import torch
    from transformers import AutoModelForCausalLM

    cfg = config(tmp_path, tiny_llama_dir, epochs=6, val_fraction=0.25, dtype="bfloat16")
    snapshot = AutoModelForCausalLM.from_pretrained(str(tiny_llama_dir), dtype=torch.bfloat16).state_dict()

    result = train_lora(cfg, store=runs_db)

    trained_base = base_params(result.model)
    assert all(trained_base[k].dtype == torch.bfloat16 and torch.equal(trained_base[k], snapshot[k]) for k in snapshot)
    lora = [p for n, p in result.model.named_parameters() if "lora_" in n]
    assert lora and all(p.dtype == torch.float32 for p in lora)
    assert result.manifest["dtype"] == "bfloat16"
    assert result.metrics["best_val_loss"] < result.metrics["initial_val_loss"]
