"""`practicum tune student-adapter`: train the packaged student adapter on MathDial's real student turns."""

from __future__ import annotations

from pathlib import Path

import click

from practicum.commands.common import console, err_console, print_json

PACKAGED = Path(__file__).resolve().parents[1] / "agents" / "artifacts" / "student_adapter"


@click.command("student-adapter")
@click.option("--input", "input_path", required=True, type=click.Path(dir_okay=False, exists=True),
              help="MathDial JSONL whose student turns are learned (a fifth of the problems are held out).")
@click.option("--out", "output", type=click.Path(file_okay=False), default=str(PACKAGED), show_default=True,
              help="Where the adapter, its config and manifest.json go (the default is the packaged one).")
@click.option("--steps", type=click.IntRange(min=1), default=16, show_default=True, help="Optimizer steps.")
@click.option("--batch-size", type=click.IntRange(min=1), default=2, show_default=True, help="Rows per step.")
@click.option("--examples", type=click.IntRange(min=0), default=0,
              help="Rows sampled from the training turns (0: steps x batch size, each seen once).")
@click.option("--lr", type=float, default=5e-4, show_default=True, help="Peak learning rate.")
@click.option("--rank", "r", type=click.IntRange(min=1, max=64), default=8, show_default=True, help="LoRA rank.")
@click.option("--threads", type=click.IntRange(min=0), default=0,
              help="CPU threads for torch (0: chosen from the cores and the load).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the sample and the adapter.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def student_adapter(input_path, output, steps, batch_size, examples, lr, r, threads, seed, as_json):
    """Train the student LoRA adapter that a `local` student runs with by default.

    Each row's prompt is exactly what the running Student sends (bounded prompt, knowledge-state
    directive from the real history) and its completion is the real student's turn. The run uses
    the project's LoRA tuner (as `practicum tune lora --role student` does on an hf-sft export); the
    adapter is stored in float16 with a manifest (data sha256, qids, losses, attribution). Measure
    it with `practicum eval fidelity --input FILE --held-out`.
    """
    from practicum.tuning.student_adapter import train_student_adapter

    manifest = train_student_adapter(input_path, output, steps=steps, batch_size=batch_size, max_examples=examples,
                                     lr=lr, r=r, threads=threads, seed=seed, console=err_console)
    if as_json:
        print_json(manifest)
        return
    losses = manifest["training"]["train_loss"]
    console.print(f"student adapter: {manifest['training']['steps']} steps on {manifest['data']['examples']} rows "
                  f"({manifest['data']['train_dialogues']} dialogues; {len(manifest['data']['held_out_qids'])} "
                  f"problems held out) in {manifest['training']['wall_time_s']:.0f} s")
    if losses:
        console.print(f"train loss {losses[0][1]:.3f} -> {losses[-1][1]:.3f}")
    console.print(f"adapter: {output}")
