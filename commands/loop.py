"""`practicum loop`: held-out simulate -> evaluate -> train -> simulate again -> compare, with each step's wall time."""

from __future__ import annotations

import contextlib
import math

import click
from rich.table import Table

from practicum.commands.common import console, err_console, open_store, print_json
from practicum.tuning.loop_config import LoopConfig, LoopUI


class RichLoopUI(LoopUI):
    """Step headers and times on stderr; a spinner for stages; the generation and LoRA bars as their own."""

    def __init__(self):
        """Nothing is drawn until the first step."""
        self.console = err_console
        self._progress = None
        self._task = None
        self._description = None

    def _stop(self) -> None:
        # rich allows one live display at a time: the run and LoRA bars need the stage spinner gone.
        if self._progress is not None:
            self._progress.stop()
            self._progress = self._task = self._description = None

    def step_started(self, name: str) -> None:
        """Print the step's header."""
        self._stop()
        err_console.rule(f"[bold]{name}[/bold]")

    def step_finished(self, name: str, seconds: float, note: str = "") -> None:
        """Print the step's wall time."""
        self._stop()
        err_console.print(f"[green]done[/green] {name}: [bold]{seconds:.1f} s[/bold]" + (f" ({note})" if note else ""))

    def stage(self, name: str, done: int | None = None, total: int | None = None) -> None:
        """Spinner with the stage name, and a count when there is one."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        if self._progress is None:
            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                      MofNCompleteColumn(), TimeElapsedColumn(), console=err_console, transient=True)
            self._progress.start()
        if name != self._description:
            self._task = self._progress.add_task(name, total=total)
            self._description = name
        self._progress.update(self._task, completed=done or 0, total=total)

    @contextlib.contextmanager
    def generation(self, run_id: int):
        """The generation run's own progress bar."""
        from practicum.commands.run_progress import RunProgress

        self._stop()
        with RunProgress(run_id) as progress:
            yield progress.start, progress.update


def _num(value: float) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def outcome_table(outcome, base_run_id: int) -> Table:
    """Before/after with 95% CIs for the headline metrics, paired difference, p and verdict."""
    from practicum.tuning.loop_report import headline_rows

    comparison = outcome.comparison
    table = Table("metric", "base mean [95% CI]", f"{outcome.tuner} mean [95% CI]", "difference [95% CI]", "p",
                  "pairs", "verdict",
                  title=f"{outcome.tuner}: run {base_run_id} (base) vs run {outcome.run_id} ({outcome.teacher_spec}); "
                        f"{comparison.pairing}")
    for row, verdict in headline_rows(comparison):
        style = {"better": "green", "worse": "red"}.get(verdict, "yellow")
        table.add_row(row.name, f"{_num(row.mean_a)} [{_num(row.ci_a[0])}, {_num(row.ci_a[1])}]",
                      f"{_num(row.mean_b)} [{_num(row.ci_b[0])}, {_num(row.ci_b[1])}]",
                      f"{row.difference:+.3f} [{row.ci_low:+.3f}, {row.ci_high:+.3f}]", _num(row.p_value),
                      str(row.n_pairs), f"[{style}]{verdict}[/{style}]")
    return table


def training_line(outcome) -> str:
    """What the tuner itself measured."""
    t = outcome.training
    if outcome.tuner == "lora":
        return (f"LoRA run {outcome.tuning_run_id}: {t['steps']} steps in {t['wall_time_s']:.0f} s; train loss "
                f"{_num(t['train_loss_first'])} -> {_num(t['train_loss_last'])}; validation loss "
                f"{_num(t['val_loss_before'])} -> {_num(t['val_loss_best'])}")
    return (f"DSPy run {outcome.tuning_run_id}: objective on {t['validation_examples']} validation turns "
            f"{_num(t['objective_before'])} -> {_num(t['objective_after'])}; demos {t['demos_before']} -> "
            f"{t['demos_after']}; instructions {'rewritten' if t['instructions_changed'] else 'unchanged'}")


@click.command("loop")
@click.option("--data", required=True, type=click.Path(exists=True, dir_okay=False),
              help="MathDial .jsonl (e.g. ../shared/data/mathdial/dev.jsonl): held-out scenarios and the good "
                   "teaching to train on.")
@click.option("--tuner", type=click.Choice(["lora", "dspy", "both"]), default="dspy", show_default=True,
              help="Which tuner closes the loop (both: one base run, two tuned runs).")
@click.option("--scenarios", type=click.IntRange(1), default=10, show_default=True,
              help="Held-out MathDial problems to simulate on (never trained on).")
@click.option("--seeds", type=click.IntRange(1), default=1, show_default=True,
              help="Sessions per held-out scenario, each with its own seed.")
@click.option("--turns", type=click.IntRange(2, 200), default=8, show_default=True, help="Maximum turns per session.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Run seed: the held-out set, the session seeds (same before and after) and training.")
@click.option("--steps", type=click.IntRange(1), default=50, show_default=True, help="LoRA: optimizer steps.")
@click.option("--max-length", type=click.IntRange(8), default=1024, show_default=True,
              help="LoRA: longest training sequence in tokens (a turn whose reply falls past it is dropped).")
@click.option("--optimizer", type=click.Choice(["bootstrap", "mipro", "gepa"]), default="bootstrap",
              show_default=True, help="DSPy optimizer.")
@click.option("--moves", default="focus,probing", show_default=True,
              help="Human move labels of the MathDial teacher turns to learn from.")
@click.option("--teacher", default="local", show_default=True, help="Base teacher backend spec.")
@click.option("--student", default="local", show_default=True, help="Student backend spec (the same before and after).")
@click.option("--judge", default="model", show_default=True,
              help="'model': the packaged judge trained on MRBench's human labels (offline), or a judge .npz; a "
                   "local spec reads the 135M model's yes/no probabilities; any other spec (openai:MODEL) runs the "
                   "JSON judge; 'none' skips.")
@click.option("--judge-turns", type=click.IntRange(1), default=2, show_default=True,
              help="Teacher turns judged per session.")
@click.option("--concurrency", type=click.IntRange(1, 512), default=10, show_default=True,
              help="Sessions generated together (the batch size on the local model).")
@click.option("--best-of", type=click.IntRange(0, 16), default=0, show_default=True,
              help="Collect: the base teacher samples this many candidates per turn on the --collect problems and "
                   "the judge keeps the best; every candidate is stored with its scores (0: no collection).")
@click.option("--collect", type=click.IntRange(0), default=0, show_default=True,
              help="Collect: training problems (never held-out ones) to simulate with --best-of; their judge-kept "
                   "turns join the SFT data and their candidate pairs are the DPO data.")
@click.option("--objective", type=click.Choice(["sft", "dpo"]), default="sft", show_default=True,
              help="LoRA: sft (MathDial focus/probing turns, plus the judge-kept turns when collecting) or dpo "
                   "(the collected chosen-vs-rejected pairs).")
@click.option("--max-train", type=click.IntRange(1), default=40, show_default=True,
              help="DSPy: training examples the optimizer draws demos from.")
@click.option("--workdir", type=click.Path(file_okay=False), default=None,
              help="Folder for the training files (default: $PRACTICUM_HOME/loops/<time>).")
@click.option("--out", default=None, type=click.Path(dir_okay=False),
              help="Report prefix: writes PREFIX-<tuner>.json and .png (default: $PRACTICUM_HOME/reports/loop-<time>).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_context
def loop(ctx, as_json, **options):
    """Close the loop on held-out scenarios: simulate the base teacher, evaluate, train on good teaching
    (the MathDial focus/probing teacher turns outside the held-out problems), simulate again with the
    same scenarios and seeds, and compare with 95% CIs (paired by scenario and seed).

    Prints each step's wall time and, per tuner, the before/after table; writes the comparison JSON and PNG.
    """
    from practicum.tuning.loop import run_loop

    config = LoopConfig(**options)
    store = open_store(ctx)
    result = run_loop(config, store, RichLoopUI())
    if as_json:
        print_json({"steps": result.steps, "held_out": result.held_out, "base_run_id": result.base_run_id,
                    "data": result.data, "outcomes": [
                        {"tuner": o.tuner, "tuning_run_id": o.tuning_run_id, "teacher": o.teacher_spec,
                         "run_id": o.run_id, "training": o.training, "summary": o.summary, "json": o.json_path,
                         "png": o.png_path, "comparison": o.comparison.to_dict()} for o in result.outcomes]})
        return
    steps = Table("step", "wall time", title="loop steps")
    for name, seconds in result.steps:
        steps.add_row(name, f"{seconds:.1f} s")
    steps.add_row("[bold]total[/bold]", f"[bold]{sum(s for _, s in result.steps):.1f} s[/bold]")
    console.print(steps)
    for outcome in result.outcomes:
        console.print(outcome_table(outcome, result.base_run_id))
        console.print(training_line(outcome))
        console.print(outcome.summary)
        for note in outcome.comparison.notes:
            console.print(f"[yellow]note:[/yellow] {note}")
        console.print(f"Wrote {outcome.json_path} and {outcome.png_path}.")
