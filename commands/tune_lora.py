"""`practicum tune lora`: train a LoRA adapter on an export; its options are LoraTrainConfig's fields."""

from __future__ import annotations

from contextlib import contextmanager
import click

from practicum.commands.config_options import dataclass_options
from practicum.commands.common import console, err_console, open_store, print_json
from practicum.tuning.lora.config import LoraTrainConfig

# Options given a short or friendlier spelling than the field name.
OPTION_NAMES = {"data": ["--data", "-d"], "load_best": ["--load-best/--keep-last"]}
PATH_FIELDS = {"data", "val", "base", "output", "resume"}


config_options = dataclass_options(LoraTrainConfig, option_names=OPTION_NAMES, path_fields=PATH_FIELDS, dir_fields={"base", "output", "resume"})


@click.command("lora")
@config_options
@click.option("--json", "as_json", is_flag=True, help="Print the run's manifest as JSON instead of a summary.")
@click.pass_context
def lora(ctx, as_json, **options):
    """Train a LoRA adapter (peft) on an hf-sft or hf-dpo export for the teacher or the student.

    The loss covers the assistant turns only. The adapter, its tokenizer and manifest.json go to
    $PRACTICUM_HOME/adapters/<run id>/ and the run is recorded in tuning_runs; use it at once with
    `practicum simulate --teacher local:adapter=<run id>`.
    """
    from practicum.tuning.lora.tuner import LoraTuner

    config = LoraTrainConfig(**options)
    store = open_store(ctx) if config.register else None
    with _sigterm_as_interrupt():
        artifact = LoraTuner(store, console=err_console).run(config)
    if as_json:
        print_json(artifact.manifest)
        return
    _summary(artifact)


@contextmanager
def _sigterm_as_interrupt():
    """Treat `kill` like Ctrl-C while training, so the run is marked failed with the checkpoint to resume from."""
    import signal
    import threading

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _summary(artifact) -> None:
    metrics = artifact.manifest["metrics"]
    train = metrics["train_loss"]
    first, last = (train[0][1], train[-1][1]) if train else (None, None)
    console.print(f"[bold]LoRA run {artifact.run_id if artifact.run_id is not None else '(not recorded)'}[/]: "
                  f"{metrics['steps']} steps in {metrics['wall_time_s']:.1f} s "
                  f"({metrics['steps_per_s'] or 0:.2f} steps/s)")
    if first is not None:
        console.print(f"train loss {first:.3f} -> {last:.3f}")
    if metrics["best_val_loss"] is not None:
        initial = metrics["initial_val_loss"]
        before = f"{initial:.3f} -> " if initial is not None else ""
        early = ", stopped early" if metrics["stopped_early"] else ""
        console.print(f"val loss {before}{metrics['best_val_loss']:.3f} (best at step {metrics['best_step']}{early})")
    if artifact.manifest.get("notice"):
        console.print(f"[yellow]{artifact.manifest['notice']}[/]")
    console.print(f"adapter: {artifact.path} ({metrics['adapter_bytes'] / 1e6:.1f} MB)")
    flag = "--teacher" if artifact.role == "teacher" else "--student"
    console.print(f"use it: practicum simulate --scenario ID {flag} {artifact.backend_spec('local')}")
