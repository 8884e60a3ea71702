"""How a generation run looks in the terminal: a live progress bar and the final summary."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from practicum.commands.common import console, err_console


class RunProgress:
    """A rich progress bar over a run's sessions: done/total, failed, turns, tokens/s, ETA (on stderr)."""

    def __init__(self, run_id: int):
        """Prepare the bar; it appears when the run starts."""
        self.run_id = run_id
        self.progress = Progress(
            TextColumn(f"[bold]run {run_id}[/bold]"), BarColumn(), MofNCompleteColumn(),
            TextColumn("sessions, [red]{task.fields[failed]} failed[/red], {task.fields[turns]} turns, "
                       "{task.fields[tps]:.1f} tok/s"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=err_console, transient=False,
        )
        self.task = None
        self.already = 0

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def start(self, config, open_sessions: int, total: int) -> None:
        """Called once the run is claimed: `total` sessions, of which `open_sessions` remain."""
        self.already = total - open_sessions
        self.task = self.progress.add_task("generate", total=total, completed=self.already, failed=0, turns=0, tps=0.0)

    def update(self, stats) -> None:
        """Show the driver's latest counters."""
        if self.task is None:
            return
        self.progress.update(self.task, completed=self.already + stats.completed + stats.failed, failed=stats.failed,
                             turns=stats.turns, tps=stats.tokens_per_s)


def print_summary(summary) -> None:
    """Print a run's final summary: sessions, turns, tokens, wall time, duplicates, failures by reason."""
    s = summary
    attempt = s.attempt or {}
    console.print(f"[bold]Run {s.run_id} {s.status}[/bold]: {s.sessions} sessions ({s.completed} completed, "
                  f"{s.failed} failed" + (f", {s.open} not finished" if s.open else "") + f"), {s.turns} turns stored")
    tps = attempt.get("tokens_per_s", 0.0)
    console.print(f"tokens: {s.prompt_tokens:,} prompt + {s.completion_tokens:,} generated; "
                  f"{attempt.get('completion_tokens', 0):,} generated this attempt at {tps:.1f} tok/s")
    http = f" ({s.backend_requests} HTTP requests, {s.retries} retries)" if s.backend_requests else ""
    console.print(f"requests: {s.requests:,}{http}; wall time {s.wall_s:.1f} s"
                  + (f" over {s.attempts} attempts (this one {attempt.get('wall_s', 0):.1f} s)" if s.attempts > 1 else ""))
    console.print(f"near duplicates marked: {s.near_duplicates}")
    if getattr(s, "batch_fallbacks", 0):
        console.print(f"[yellow]batch fallbacks[/yellow]: {s.batch_fallbacks} batches failed and were re-asked one "
                      "request at a time (see: practicum runs show)")
    for failure in s.failures:
        console.print(f"[red]failed[/red] {failure['count']} x {failure['reason']}: ", end="")
        console.print(failure["example"], markup=False)
    if s.open:
        console.print(f"Continue with: practicum generate --resume {s.run_id}")
    else:
        console.print(f"Details: practicum runs show {s.run_id} --sessions")
