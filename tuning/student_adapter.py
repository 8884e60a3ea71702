"""Train the student adapter that ships in the package: MathDial's real student turns, the runtime's prompt.

Every real student turn of a MathDial file becomes one hf-sft row whose prompt is exactly what
the running Student sends (`Student().messages(scenario, history)`: the bounded prompt with the
knowledge-state directive computed from the real history, with no human move labels, as at run
time) and whose completion is what the real student said. Dialogues are split by problem (qid):
about a fifth of the problems are held out (`held_out_qid`), so the replay benchmark can report
the adapter on dialogues it never saw. The LoRA run is the project's own tuner
(`tuning/lora`, the same loop as `practicum tune lora`); the adapter is then stored in half
precision with a manifest (data sha256, qids, steps, losses, timings, fidelity before/after and
the CC BY-SA 4.0 attribution MathDial requires).
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from practicum.errors import InputError

SPLIT_SALT = "practicum-student"
HELD_OUT_EVERY = 5  # one problem in five is held out
ATTRIBUTION = (
    "Trained on student turns of MathDial (Macina et al., 'MathDial: A Dialogue Tutoring Dataset with Rich "
    "Pedagogical Properties Grounded in Math Reasoning Problems', Findings of EMNLP 2023; eth-nlped/mathdial, "
    "data/test.jsonl, first 300 rows), licensed CC BY-SA 4.0. This adapter is a derivative of that data and is "
    "shared under CC BY-SA 4.0: https://creativecommons.org/licenses/by-sa/4.0/"
)


def held_out_qid(qid) -> bool:
    """True for the problems kept out of the adapter's training data (a fixed hash of the qid)."""
    digest = hashlib.sha256(f"{SPLIT_SALT}:{qid}".encode()).hexdigest()
    return int(digest, 16) % HELD_OUT_EVERY == 0


@dataclass
class StudentRows:
    """The training rows and where they came from."""

    rows: list[dict]
    train_qids: list
    held_out_qids: list
    dialogues: int
    turns: int  # student turns available before sampling


def student_rows(input_path: str | Path, *, max_examples: int = 0, seed: int = 0) -> StudentRows:
    """hf-sft rows (prompt = the runtime student prompt, completion = the real student's turn) from the training qids."""
    from practicum.agents.prompt_budget import clip_reply
    from practicum.agents.roles import Student
    from practicum.records import STUDENT
    from practicum.scenarios.mathdial import read_mathdial

    student = Student()
    rows, train, held, dialogues = [], set(), set(), 0
    for line, record in read_mathdial(input_path):
        if isinstance(record, Exception):
            raise record
        qid = record.metadata["qid"]
        if held_out_qid(qid):
            held.add(qid)
            continue
        train.add(qid)
        dialogues += 1
        turns = record.turns
        for position, turn in enumerate(turns):
            if turn.role != STUDENT or position == 0:
                continue
            rows.append({"prompt": student.messages(record.scenario, turns[:position]),
                         "completion": [{"role": "assistant", "content": clip_reply(turn.text)}]})
    total = len(rows)
    if not rows:
        raise InputError(f"{input_path}: no student turns to learn from")
    if max_examples and len(rows) > max_examples:
        rows = random.Random(seed).sample(rows, max_examples)
    return StudentRows(rows, sorted(train), sorted(held), dialogues, total)


def write_rows(rows: list[dict], path: Path) -> str:
    """Write hf-sft JSONL; return its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train_student_adapter(input_path: str | Path, output: str | Path, *, steps: int, batch_size: int = 2,
                          max_examples: int = 0, lr: float = 4e-4, r: int = 8, threads: int = 0, seed: int = 0,
                          work_dir: str | Path | None = None, console=None) -> dict:
    """Build the rows, train the LoRA adapter, store it in fp16 at `output` with its manifest; return the manifest."""
    from practicum.config import practicum_home
    from practicum.tuning.lora.config import LoraTrainConfig
    from practicum.tuning.lora.trainer import train_lora

    if steps < 1:
        raise InputError("steps: train at least one step")
    work = Path(work_dir) if work_dir else practicum_home() / "student-adapter"
    data = student_rows(input_path, max_examples=max_examples or steps * batch_size, seed=seed)
    train_file = work / "student.sft.jsonl"
    data_sha = write_rows(data.rows, train_file)
    run_dir = work / f"run-{int(time.time())}"
    config = LoraTrainConfig(
        data=str(train_file), val_fraction=0.0, role="student", max_steps=steps, epochs=1000, lr=lr,
        warmup_steps=min(5, steps // 5), r=r, alpha=2 * r, batch_size=batch_size, threads=threads, seed=seed,
        output=str(run_dir), register=False, progress=console is not None, patience=0, max_length=1024,
    )
    started = time.time()
    result = train_lora(config, console=console)
    metrics = result.metrics
    manifest = {
        "name": "student_adapter",
        "role": "student",
        "base_model": {"name": "smollm2-135m-instruct", "embedded": True},
        "lora": {"r": r, "alpha": 2 * r, "target_modules": config.target_modules, "dtype": "float16"},
        "data": {"source": str(Path(input_path).name), "input_sha256": _file_sha(input_path),
                 "train_file_sha256": data_sha, "examples": len(data.rows), "student_turns_available": data.turns,
                 "train_dialogues": data.dialogues, "train_qids": data.train_qids,
                 "held_out_qids": data.held_out_qids, "split": f"sha256('{SPLIT_SALT}:' + qid) % {HELD_OUT_EVERY} == 0 "
                                                               "is held out"},
        "training": {"steps": metrics["steps"], "batch_size": batch_size, "lr": lr, "seed": seed,
                     "train_loss": metrics["train_loss"], "wall_time_s": round(time.time() - started, 1),
                     "threads": threads or "auto"},
        "fidelity": {},
        "attribution": ATTRIBUTION,
        "license": "CC-BY-SA-4.0",
    }
    ship_adapter(result.adapter_path, Path(output), manifest)
    return manifest


def ship_adapter(run_dir: Path, output: Path, manifest: dict) -> None:
    """Copy the adapter config and its weights (as float16 safetensors) to `output`, with manifest.json."""
    import torch
    from safetensors.torch import load_file, save_file

    weights = load_file(str(Path(run_dir) / "adapter_model.safetensors"))
    partial = output.with_name(output.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    save_file({k: v.to(torch.float16).contiguous() for k, v in weights.items()},
              str(partial / "adapter_model.safetensors"), metadata={"format": "pt"})
    (partial / "adapter_model.safetensors").chmod(0o644)
    config = json.loads((Path(run_dir) / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = manifest["base_model"]["name"]  # not this machine's checkpoint path
    (partial / "adapter_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if output.exists():
        shutil.rmtree(output)
    partial.rename(output)


def record_fidelity(output: str | Path, label: str, measures: dict) -> None:
    """Add one replay result (e.g. 'before', 'after') to a shipped adapter's manifest."""
    add_to_manifest(output, "fidelity", label, measures)


def add_to_manifest(output: str | Path, section: str, label: str, measures: dict) -> None:
    """Set `section.label` of a shipped adapter's manifest.json to `measures`."""
    path = Path(output) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.setdefault(section, {})[label] = measures
    path.write_text(json.dumps(manifest, indent=2) + "\n")


def _file_sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
