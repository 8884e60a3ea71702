"""`practicum tune dspy`: optimize the Teacher or Student module with DSPy; options are DspyTuneConfig's fields."""

from __future__ import annotations

import click
from rich.table import Table

from practicum.commands.config_options import dataclass_options
from practicum.commands.common import console, err_console, print_json
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


def summary_table(result, optimizer: str) -> Table:
    """Before/after objective on the validation examples."""
    table = Table("on the validation examples", "base program", "tuned program", "change",
                  title=f"DSPy {optimizer}: {result.before.get('n', 0)} validation examples, same seeds")
    names = [("objective", "objective (mean)"), ("guiding", "guiding (focus+probing)"),
             ("move.telling", "telling"), ("move.generic", "generic"), ("states_answer", "states the answer"),
             ("empty", "empty reply")]
    for key, label in names:
        if key in result.before or key in result.after:
            a, b = result.before.get(key), result.after.get(key)
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
    from practicum.tuning.dspy_tuner import tune_dspy
    from practicum.tuning.dspy_tuner.tuner import speaker_name

    from practicum.tuning.dspy_tuner.data import export_role

    config = DspyTuneConfig(**options, db=(ctx.obj or {}).get("db_path"))
    export_role(config.check().data)  # a wrong file is one error line, before any progress is drawn
    with StageProgress(enabled=not as_json) as progress:
        result = tune_dspy(config, on_stage=progress)
    if as_json:
        print_json({"run_id": result.run_id, "program": str(result.program_path), "before": result.before,
                    "after": result.after, "changes": result.changes, "stage_seconds": result.stage_seconds,
                    "examples": result.examples})
        return
    console.print(summary_table(result, config.optimizer))
    changes = result.changes
    console.print(f"demos {changes['demos_before']} -> {changes['demos_after']} "
                  f"({changes['augmented_demos']} bootstrapped); instructions "
                  f"{'rewritten' if changes['instructions_changed'] else 'unchanged'}; "
                  f"{result.examples['train']} training / {result.examples['val']} validation examples "
                  f"({result.examples['val_source']})")
    console.print("stage times: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.stage_seconds.items()))
    ref = result.run_id if result.run_id is not None else result.program_path
    label = f"DSPy run {result.run_id}" if result.run_id is not None else "DSPy program (not recorded)"
    console.print(f"[bold]{label}[/]: {result.program_path}")
    flag = speaker_name(config.role)
    console.print(f"use it: practicum simulate --scenario ID {flag} local:program={ref}\n"
                  f"        practicum generate --scenarios ... {flag} local:program={ref}")
