"""`practicum tune dspy`: optimize the Teacher or Student module with DSPy; options are DspyTuneConfig's fields."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from practicum.commands.config_options import dataclass_options
from practicum.commands.common import console, err_console, open_store, print_json
from practicum.tuning.dspy_tuner.config import DspyTuneConfig

OPTION_NAMES = {"data": ["--data", "-d"]}
PATH_FIELDS = {"data", "val", "output"}


config_options = dataclass_options(DspyTuneConfig, option_names=OPTION_NAMES, path_fields=PATH_FIELDS, dir_fields=())


class StageProgress:
    """A spinner naming the current stage (a bar when it counts something); each finished stage is logged with its time.

    DSPy's own output (its bootstrapping bar, its notes) scrolls above the spinner.
    """

    def __init__(self, enabled: bool = True):
        """Draw on stderr unless disabled."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=err_console, transient=True, disable=not enabled)
        self.enabled = enabled
        self.task = None
        self.name = ""
        self.started = 0.0

    def __enter__(self):
        """Start drawing."""
        self.progress.__enter__()
        return self

    def __exit__(self, exc_type, *exc):
        """Log the last stage (unless it failed) and stop drawing."""
        if exc_type is None:
            self._finish()
        return self.progress.__exit__(exc_type, *exc)

    def _finish(self) -> None:
        import time

        if self.task is not None and self.enabled:
            self.progress.console.print(f"[green]done[/green] {self.name} ({time.perf_counter() - self.started:.1f} s)")
            self.progress.remove_task(self.task)
        self.task = None

    def __call__(self, name: str, done: int | None = None, total: int | None = None) -> None:
        """Show stage `name`; `done` of `total` when the stage counts something."""
        import time

        if self.task is None or name != self.name:
            self._finish()
            self.name, self.started = name, time.perf_counter()
            self.task = self.progress.add_task(name, total=total)
        self.progress.update(self.task, completed=done or 0, total=total)


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def summary_table(before: dict, after: dict, optimizer: str) -> Table:
    """Before/after objective on the validation examples."""
    table = Table("on the validation examples", "base program", "tuned program", "change",
                  title=f"DSPy {optimizer}: {before.get('n', 0)} validation examples, same seeds")
    names = [("objective", "objective (mean)"), ("guiding", "guiding (focus+probing)"),
             ("move.telling", "telling"), ("move.generic", "generic"), ("states_answer", "states the answer"),
             ("empty", "empty reply")]
    for key, label in names:
        if key in before or key in after:
            a, b = before.get(key), after.get(key)
            change = f"{b - a:+.3f}" if a is not None and b is not None else "-"
            table.add_row(label, _fmt(a), _fmt(b), change)
    return table


@click.command("dspy")
@config_options
@click.option("--json", "as_json", is_flag=True, help="Print the run's numbers as JSON instead of a summary.")
@click.pass_context
def dspy_command(ctx, as_json, **options):
    """Optimize the running Teacher or Student module with DSPy (BootstrapFewShot, MIPROv2 or GEPA).

    The objective is the evaluation's: teacher replies scored by the trained move classifier
    (guiding high, telling low, 0 for stating the answer); student replies by fidelity. The
    program is saved as JSON to $PRACTICUM_HOME/programs/<run id>/program.json and recorded in
    tuning_runs; use it with `practicum simulate --teacher local:program=<run id>`.
    """
    from practicum.tuning.dspy_tuner.data import validation_file
    from practicum.tuning.dspy_tuner.tuner import DspyTuner, speaker_name
    from practicum.tuning.tuner import TrainingSet

    config = DspyTuneConfig(**options)
    config.check()
    store = open_store(ctx) if config.register else None
    tuner = DspyTuner(store)
    # A wrong file is one error line, before any progress is drawn.
    tuner.prepare(TrainingSet("dspy", Path(config.data).expanduser(), Path(config.val).expanduser() if config.val
                              else validation_file(Path(config.data).expanduser())))
    with StageProgress(enabled=not as_json) as progress:
        tuner.on_stage = progress
        artifact = tuner.run(config)
    m = artifact.manifest
    if as_json:
        print_json({"run_id": artifact.run_id, "program": m["program"], "before": m["before"], "after": m["after"],
                    "changes": m["changes"], "stage_seconds": m["stage_seconds"], "examples": m["examples"]})
        return
    console.print(summary_table(m["before"], m["after"], config.optimizer))
    changes, examples = m["changes"], m["examples"]
    console.print(f"demos {changes['demos_before']} -> {changes['demos_after']} "
                  f"({changes['augmented_demos']} bootstrapped); instructions "
                  f"{'rewritten' if changes['instructions_changed'] else 'unchanged'}; "
                  f"{examples['train']} training / {examples['val']} validation examples "
                  f"({examples['val_source']})")
    console.print("stage times: " + ", ".join(f"{k} {v:.1f} s" for k, v in m["stage_seconds"].items()))
    label = f"DSPy run {artifact.run_id}" if artifact.run_id is not None else "DSPy program (not recorded)"
    console.print(f"[bold]{label}[/]: {artifact.path}")
    flag, spec = speaker_name(config.role), artifact.backend_spec("local")
    console.print(f"use it: practicum simulate --scenario ID {flag} {spec}\n"
                  f"        practicum generate --scenarios ... {flag} {spec}")
