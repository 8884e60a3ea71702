"""`practicum tune teacher-adapter`'s library half: the loop's good teaching without the held-out problems, a real
LoRA run (a tiny Llama here), a float16 adapter and a manifest that says where it came from."""

from __future__ import annotations

import json

from practicum.tuning.loop_data import choose_held_out
from practicum.tuning.teacher_adapter import record_evaluation, train_teacher_adapter


def test_teacher_adapter_trains_ships_and_records_its_held_out_problems(tmp_path, store, mathdial_path, tiny_llama_dir):
    subset = tmp_path / "mathdial40.jsonl"
    subset.write_text("".join(mathdial_path.read_text(encoding="utf-8").splitlines(keepends=True)[:40]))
    out = tmp_path / "teacher_adapter"
    manifest = train_teacher_adapter(store, subset, out, steps=2, schedule_steps=6, batch_size=1, held_out=4, val_rows=2,
                                     threads=1, work_dir=tmp_path / "work", base=str(tiny_llama_dir))
    assert {"adapter_config.json", "adapter_model.safetensors", "manifest.json"} <= {p.name for p in out.iterdir()}
    stored = json.loads((out / "manifest.json").read_text())
    assert stored == manifest and manifest["training"]["steps"] == 2 and manifest["training"]["schedule_steps"] == 6
    assert manifest["data"]["held_out_scenarios"] == choose_held_out(subset, 4, 0).scenario_ids
    assert manifest["license"] == "CC-BY-SA-4.0" and "MathDial" in manifest["attribution"]
    rows = [json.loads(x) for x in (tmp_path / "work" / "train" / "good-teaching.sft.jsonl").read_text().splitlines()]
    assert len(rows) == manifest["data"]["rows"] > 0
    record_evaluation(out, "held_out", {"pairs": 30})
    assert json.loads((out / "manifest.json").read_text())["evaluation"] == {"held_out": {"pairs": 30}}
