"""The progress of a LoRA run: steps, train loss, last validation loss, elapsed time and ETA.

On a terminal it is a rich progress bar. Redirected to a file (a long run under nohup or a CI log)
a live bar shows nothing until the end, so there it is a plain line per step, at most one every
`LINE_EVERY_S` seconds, plus every validation and the last step.
"""

from __future__ import annotations

import time

LINE_EVERY_S = 30.0


class TrainingProgress:
    """A progress bar on stderr (plain lines when stderr is not a terminal, or nothing) updated each step."""

    def __init__(self, enabled: bool, total: int, completed: int, console=None):
        """Prepare a bar for `total` steps of which `completed` are done (a resumed run)."""
        self.enabled = enabled
        self.total = total
        self.completed = completed
        self.console = console
        self._progress = None
        self._task = None
        self._lines = None  # the console plain lines go to, when not a terminal
        self._started = 0.0
        self._last_line = 0.0
        self._val = "-"
        self._first = None  # (step, time) of the first step seen: the ETA's rate is measured from there

    def __enter__(self) -> "TrainingProgress":
        if not self.enabled:
            return self
        from rich.console import Console

        console = self.console or Console(stderr=True)
        self._started = self._last_line = time.monotonic()
        if not console.is_terminal:
            self._lines = console
            return self
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
            TimeRemainingColumn

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
        elif self._lines is not None:
            now = time.monotonic()
            if now - self._last_line >= LINE_EVERY_S or step >= self.total or step == self.completed + 1:
                self._line(f"step {step}/{self.total} epoch {epoch + 1} loss {loss:.3f} val {self._val}"
                           f"{self._eta(step, now)}")

    def validated(self, loss: float) -> None:
        """Show the latest validation loss."""
        self._val = f"{loss:.3f}"
        if self._progress is not None:
            self._progress.update(self._task, val=self._val)
        elif self._lines is not None:
            self._line(f"validation loss {self._val}")

    def note(self, message: str) -> None:
        """Print a line above the bar (or nowhere, when disabled)."""
        console = self._progress.console if self._progress is not None else self._lines
        if console is not None:
            console.print(message, markup=False, highlight=False)

    def _eta(self, step: int, now: float) -> str:
        """Elapsed since the bar opened; the ETA from the pace since the first step (not the initial validation)."""
        if self._first is None:
            self._first = (step, now)
        first_step, first_time = self._first
        eta = "-"
        if step > first_step:
            eta = _clock((self.total - step) * (now - first_time) / (step - first_step))
        return f", {_clock(now - self._started)} elapsed, ETA {eta}"

    def _line(self, text: str) -> None:
        self._last_line = time.monotonic()
        self._lines.print(f"LoRA {text}", markup=False, highlight=False)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
