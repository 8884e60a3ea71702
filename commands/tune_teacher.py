"""`practicum tune teacher-adapter`: train the packaged teacher adapter on MathDial's focus/probing teacher turns."""

from __future__ import annotations

from pathlib import Path

import click

from practicum.commands.common import console, err_console, open_store, print_json

PACKAGED = Path(__file__).resolve().parents[1] / "agents" / "artifacts" / "teacher_adapter"


@click.command("teacher-adapter")
@click.option("--input", "input_path", required=True, type=click.Path(dir_okay=False, exists=True),
              help="MathDial JSONL whose focus/probing teacher turns are learned.")
@click.option("--out", "output", type=click.Path(file_okay=False), default=str(PACKAGED), show_default=True,
              help="Where the adapter, its config and manifest.json go (the default is the packaged one).")
@click.option("--steps", type=click.IntRange(min=1), default=50, show_default=True, help="Optimizer steps.")
@click.option("--schedule-steps", type=click.IntRange(min=0), default=150, show_default=True,
              help="Length of the learning-rate schedule (linear decay to 0 at this step; 0: --steps).")
@click.option("--batch-size", type=click.IntRange(min=1), default=4, show_default=True, help="Rows per step.")
@click.option("--lr", type=float, default=4e-4, show_default=True, help="Peak learning rate.")
@click.option("--rank", "r", type=click.IntRange(min=1, max=64), default=16, show_default=True,
              help="LoRA rank (every linear layer is adapted; alpha is twice the rank).")
@click.option("--held-out", type=click.IntRange(min=1), default=30, show_default=True,
              help="MathDial problems kept out of training, chosen as `practicum loop --scenarios N` chooses them.")
@click.option("--threads", type=click.IntRange(min=0), default=0,
              help="CPU threads for torch (0: chosen from the cores and the load).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the held-out set, data order, adapter.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@click.pass_context
def teacher_adapter(ctx, input_path, output, steps, schedule_steps, batch_size, lr, r, held_out, threads, seed, as_json):
    """Train the teacher LoRA adapter that a `local` teacher runs with by default.

    The rows are the loop's good teaching: MathDial's human teacher turns labelled focus or probing,
    outside the held-out problems, each with exactly the prompt the running Teacher sends. The run
    uses the project's LoRA tuner (the MathDial records are imported into --db, as `practicum loop`
    does); the adapter is stored in float16 with a manifest (data sha256,
    held-out scenarios, settings, losses, attribution). About 40 s a step on a quiet 2-core CPU.
    Measure it before and after on the held-out problems as README "The teacher" shows.
    """
    from practicum.tuning.teacher_adapter import train_teacher_adapter

    manifest = train_teacher_adapter(open_store(ctx), input_path, output, steps=steps, schedule_steps=schedule_steps,
                                     batch_size=batch_size, lr=lr, r=r, held_out=held_out, threads=threads, seed=seed,
                                     console=err_console)
    if as_json:
        print_json(manifest)
        return
    training = manifest["training"]
    console.print(f"teacher adapter: {training['steps']} steps of {batch_size} rows from {manifest['data']['rows']} "
                  f"({held_out} problems held out) in {training['wall_time_s']:.0f} s")
    if training["train_loss"]:
        console.print(f"train loss {training['train_loss'][0][1]:.3f} -> {training['train_loss'][-1][1]:.3f}")
    console.print(f"adapter: {output}")
