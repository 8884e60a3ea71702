"""Train the teacher adapter that ships in the package: MathDial's human focus/probing turns, the runtime's prompt.

The training rows are the loop's (tuning/loop_data.py): the MathDial file is imported into a work
database, `held_out` problems are chosen by the loop's seeded hash and kept out whole, and every
human teacher turn labelled focus or probing on the other problems becomes one hf-sft row whose
prompt is exactly what the running Teacher sends for that turn. The LoRA run is the project's own
tuner (`tuning/lora`, as `practicum tune lora`). The adapter is stored in float16 with a manifest
(data sha256, held-out scenario ids, settings, losses, attribution); the before/after comparison
on the held-out problems is added to it with `record_evaluation`.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from practicum.errors import InputError
from practicum.tuning.student_adapter import add_to_manifest, ship_adapter

MOVES = ("focus", "probing")
ATTRIBUTION = (
    "Trained on teacher turns labelled focus or probing in MathDial (Macina et al., 'MathDial: A Dialogue Tutoring "
    "Dataset with Rich Pedagogical Properties Grounded in Math Reasoning Problems', Findings of EMNLP 2023; "
    "eth-nlped/mathdial, data/test.jsonl, first 300 rows), licensed CC BY-SA 4.0. This adapter is a derivative of "
    "that data and is shared under CC BY-SA 4.0: https://creativecommons.org/licenses/by-sa/4.0/"
)


def teacher_files(store, input_path: str | Path, work: Path, held_out: int, seed: int, val_rows: int):
    """(TrainingFiles, HeldOut, validation file): the loop's good-teaching rows without the held-out problems.

    The MathDial file is imported into `store` (as `practicum loop` does; records already there are skipped)."""
    from practicum.tuning.loop_data import build_training_files, choose_held_out, import_mathdial

    work.mkdir(parents=True, exist_ok=True)
    import_mathdial(store, input_path)
    held = choose_held_out(input_path, held_out, seed)
    files = build_training_files(store, work / "train", held, MOVES, seed)
    val = work / "train" / f"val{val_rows}.jsonl"
    lines = files.sft_val.read_text(encoding="utf-8").splitlines(keepends=True)[:val_rows]
    val.write_text("".join(lines), encoding="utf-8")
    return files, held, val


def train_teacher_adapter(store, input_path: str | Path, output: str | Path, *, steps: int, schedule_steps: int = 0,
                          batch_size: int = 4, lr: float = 4e-4, r: int = 16, held_out: int = 30, val_rows: int = 24,
                          threads: int = 0, seed: int = 0, work_dir: str | Path | None = None, console=None,
                          base: str | None = None) -> dict:
    """Build the rows, train the LoRA adapter, store it in fp16 at `output` with its manifest; return the manifest."""
    from practicum.config import practicum_home
    from practicum.tuning.lora.config import LoraTrainConfig
    from practicum.tuning.lora.trainer import train_lora

    if steps < 1:
        raise InputError("steps: train at least one step")
    if schedule_steps and schedule_steps < steps:
        raise InputError(f"schedule-steps: {schedule_steps} is shorter than the {steps} steps to train")
    work = Path(work_dir) if work_dir else practicum_home() / "teacher-adapter"
    files, held, val = teacher_files(store, input_path, work, held_out, seed, val_rows)
    run_dir = work / f"run-{int(time.time())}"
    config = LoraTrainConfig(
        data=str(files.sft_train), val=str(val), role="teacher", base=base, max_steps=steps, schedule_steps=schedule_steps,
        epochs=1000, lr=lr, warmup_steps=5, r=r, alpha=2 * r, target_modules="all-linear", batch_size=batch_size,
        threads=threads, seed=seed, output=str(run_dir), register=False, progress=console is not None, patience=0,
        eval_every=25, save_every=25, keep_checkpoints=0, max_length=1024,
    )
    started = time.time()
    result = train_lora(config, console=console)
    metrics = result.metrics
    manifest = {
        "name": "teacher_adapter",
        "role": "teacher",
        "base_model": {"name": Path(base).name if base else "smollm2-135m-instruct", "embedded": base is None},
        "lora": {"r": r, "alpha": 2 * r, "target_modules": "all-linear", "dtype": "float16"},
        "data": {"source": Path(input_path).name, "input_sha256": _sha(input_path),
                 "train_file_sha256": _sha(files.sft_train), "val_file_sha256": _sha(val),
                 "rows": files.counts["train"], "validation_rows": val_rows, "moves": list(MOVES),
                 "held_out_scenarios": held.scenario_ids,
                 "split": f"practicum loop --scenarios {held_out} --seed {seed}: the same held-out problems, kept "
                          "out whole"},
        "training": {"steps": metrics["steps"], "schedule_steps": schedule_steps or steps, "batch_size": batch_size,
                     "lr": lr, "warmup_steps": 5, "seed": seed, "train_loss": metrics["train_loss"],
                     "val_loss": metrics.get("val_loss"), "initial_val_loss": metrics.get("initial_val_loss"),
                     "adapter_step": metrics.get("adapter_step"), "wall_time_s": round(time.time() - started, 1),
                     "threads": threads or "auto"},
        "evaluation": {},
        "rebuild": (f"practicum tune teacher-adapter --input {Path(input_path).name} --steps {steps} "
                    f"--schedule-steps {schedule_steps or steps} --held-out {held_out} --seed {seed}"),
        "attribution": ATTRIBUTION,
        "license": "CC-BY-SA-4.0",
    }
    ship_adapter(result.adapter_path, Path(output), manifest)
    return manifest


def record_evaluation(output: str | Path, label: str, measures: dict) -> None:
    """Add one evaluation (e.g. the before/after comparison on the held-out problems) to the adapter's manifest."""
    add_to_manifest(output, "evaluation", label, measures)


def _sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
