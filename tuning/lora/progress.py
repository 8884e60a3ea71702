"""The progress bar of a LoRA run: steps, train loss, last validation loss, elapsed time and ETA."""

from __future__ import annotations


class TrainingProgress:
    """A rich progress bar on stderr (or nothing, when disabled) that the loop updates each step."""

    def __init__(self, enabled: bool, total: int, completed: int, console=None):
        """Prepare a bar for `total` steps of which `completed` are done (a resumed run)."""
        self.enabled = enabled
        self.total = total
        self.completed = completed
        self.console = console
        self._progress = None
        self._task = None

    def __enter__(self) -> "TrainingProgress":
        if not self.enabled:
            return self
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
            TimeRemainingColumn

        console = self.console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("[bold]LoRA[/] epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"), TextColumn("val {task.fields[val]}"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
        )
        self._progress.__enter__()
        self._task = self._progress.add_task(
            "train", total=self.total, completed=self.completed, epoch=1, loss="-", val="-"
        )
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def step(self, step: int, epoch: int, loss: float) -> None:
        """Show a finished optimizer step."""
        if self._progress is not None:
            self._progress.update(self._task, completed=step, epoch=epoch + 1, loss=f"{loss:.3f}")

    def validated(self, loss: float) -> None:
        """Show the latest validation loss."""
        if self._progress is not None:
            self._progress.update(self._task, val=f"{loss:.3f}")

    def note(self, message: str) -> None:
        """Print a line above the bar (or nowhere, when disabled)."""
        if self._progress is not None:
            self._progress.console.print(message, markup=False, highlight=False)
