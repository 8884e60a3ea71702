"""`practicum tune lora` end to end on the tiny Llama, its one-line errors, and quantization that never hides."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pytest

pytest.importorskip("peft")

from practicum.cli import main  # noqa: E402
from practicum.errors import InputError  # noqa: E402
from practicum.tuning.lora import LoraTrainConfig, train_lora  # noqa: E402

SYSTEM = {"role": "system", "content": "You are a curious student."}


def run_main(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    """The real entry point in this process: exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["practicum", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def train_file(tmp_path):
    rows = [{"messages": [SYSTEM, {"role": "user", "content": f"What is {i} plus 4?"},
                          {"role": "assistant", "content": f"I think it is {i * 4} because I multiplied."}]}
            for i in range(8)]
    path = tmp_path / "student.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_cli_trains_records_and_prints_the_manifest(monkeypatch, capsys, tmp_path, tiny_llama_dir, train_file):
    db = tmp_path / "runs.db"
    code, out, err = run_main(monkeypatch, capsys, "--db", str(db), "tune", "lora", "--data", str(train_file),
                              "--base", str(tiny_llama_dir), "--role", "student", "--max-steps", "3",
                              "--batch-size", "2", "--r", "2", "--lr", "0.01", "--no-progress", "--json")
    assert code == 0, err
    manifest = json.loads(out)
    assert manifest["role"] == "student" and manifest["metrics"]["steps"] == 3 and manifest["config"]["r"] == 2
    from practicum.storage.store import Store
    from practicum.storage.tuning_runs import get_tuning_run

    store = Store(db)
    row = get_tuning_run(store, manifest["run_id"])
    store.close()
    assert row["role"] == "student" and row["status"] == "succeeded"


def test_cli_summary_says_how_to_use_the_adapter(monkeypatch, capsys, tiny_llama_dir, train_file):
    code, out, err = run_main(monkeypatch, capsys, "tune", "lora", "-d", str(train_file), "--base", str(tiny_llama_dir),
                              "--max-steps", "1", "--val-fraction", "0", "--no-progress")
    assert code == 0, err
    assert "1 steps in" in out and "use it: practicum simulate --scenario ID --teacher local:adapter=1" in out


def test_bad_data_line_is_one_error_line(monkeypatch, capsys, tmp_path, tiny_llama_dir, train_file):
    lines = train_file.read_text().splitlines()
    lines[2] = '{"messages": [{"role": "user", "content": "hi"}'
    train_file.write_text("\n".join(lines) + "\n")
    code, out, err = run_main(monkeypatch, capsys, "tune", "lora", "--data", str(train_file),
                              "--base", str(tiny_llama_dir), "--no-progress")
    assert code == 1 and err.startswith(f"Error: {train_file}:3: invalid JSON") and err.count("\n") == 1


def test_missing_base_and_bad_targets_are_named(tmp_path, tiny_llama_dir, train_file):
    with pytest.raises(InputError, match="not a transformers model directory"):
        train_lora(LoraTrainConfig(data=str(train_file), base=str(tmp_path), progress=False, register=False))
    with pytest.raises(InputError, match="target_modules 'nothing_here'"):
        train_lora(LoraTrainConfig(data=str(train_file), base=str(tiny_llama_dir), target_modules="nothing_here",
                                   progress=False, register=False, output=str(tmp_path / "out")))
    with pytest.raises(InputError, match="val_fraction"):
        LoraTrainConfig(data="x", val_fraction=1.5).check()


def test_quantize_without_bitsandbytes_says_so(monkeypatch, tmp_path, tiny_llama_dir, train_file):
    monkeypatch.setitem(sys.modules, "bitsandbytes", None)  # import bitsandbytes -> ImportError
    with pytest.raises(InputError, match="--quantize 4bit needs bitsandbytes, which is not installed; run: pip install"):
        train_lora(LoraTrainConfig(data=str(train_file), base=str(tiny_llama_dir), quantize="4bit", progress=False,
                                   register=False, output=str(tmp_path / "out")))


def test_cuda_requested_without_cuda_is_an_error(tiny_llama_dir, train_file, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(InputError, match="device cuda: CUDA is not available"):
        train_lora(LoraTrainConfig(data=str(train_file), base=str(tiny_llama_dir), device="cuda", progress=False,
                                   register=False, output=str(tmp_path / "out")))


@pytest.mark.parametrize("mode", ["8bit", "4bit"])
def test_quantized_base_trains_on_the_cpu_and_says_so(tmp_path, train_file, mode):
    import torch

    pytest.importorskip("bitsandbytes")
    if torch.cuda.is_available():
        pytest.skip("checks the CPU path")
    from tests.fakes.tiny_llama import build_tiny_llama

    base = build_tiny_llama(tmp_path / "tiny64", hidden=64)  # bitsandbytes' CPU 4-bit kernel wants widths of 64
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # validation runs before training; it must not switch 4-bit layers to their inference-only packing
        result = train_lora(LoraTrainConfig(data=str(train_file), base=str(base), quantize=mode, max_steps=2,
                                            batch_size=2, lr=1e-2, val_fraction=0.25, progress=False,
                                            register=False, output=str(tmp_path / "out")))
    assert not [w for w in caught if "autograd kernel was not registered" in str(w.message)]
    assert result.metrics["initial_val_loss"] is not None
    layer = result.model.base_model.model.model.layers[0].self_attn.q_proj.base_layer
    assert type(layer).__name__ == ("Linear8bitLt" if mode == "8bit" else "Linear4bit")
    assert result.manifest["quantize"] == mode and "bitsandbytes' CPU backend" in result.manifest["notice"]
    assert result.metrics["steps"] == 2 and all(loss == loss for _, loss in result.metrics["train_loss"])


def test_cpu_4bit_with_odd_widths_is_refused_clearly(tmp_path, tiny_llama_dir, train_file):
    import torch

    pytest.importorskip("bitsandbytes")
    if torch.cuda.is_available():
        pytest.skip("checks the CPU path")
    with pytest.raises(InputError, match="4bit on the CPU needs layers of 64k inputs and 32k outputs"):
        train_lora(LoraTrainConfig(data=str(train_file), base=str(tiny_llama_dir), quantize="4bit", progress=False,
                                   register=False, output=str(tmp_path / "out")))


def test_resume_by_relative_path_continues_the_same_run(monkeypatch, capsys, tmp_path, tiny_llama_dir, train_file):
    monkeypatch.chdir(tmp_path)
    common = ["--no-progress", "--json"]
    code, out, err = run_main(monkeypatch, capsys, "tune", "lora", "-d", str(train_file), "--base", str(tiny_llama_dir),
                              "--max-steps", "4", "--batch-size", "2", "--save-every", "2", *common)
    assert code == 0, err
    first = json.loads(out)
    run_dir = Path("home") / "adapters" / str(first["run_id"])  # PRACTICUM_HOME is tmp_path/home, the cwd tmp_path
    assert (tmp_path / run_dir).is_dir()
    code, out, err = run_main(monkeypatch, capsys, "tune", "lora", "--resume", str(run_dir / "checkpoints" / "step-000002"),
                              *common)
    assert code == 0, err
    again = json.loads(out)
    assert again["run_id"] == first["run_id"] and again["metrics"]["resumed_from_step"] == 2
    assert again["metrics"]["train_loss"] == first["metrics"]["train_loss"]
