"""How an OpenAI fine-tuning run looks in the terminal: a live panel, or plain lines when piped."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.console import Group
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from practicum.commands.common import console

STATUS_STYLE = {"succeeded": "bold green", "failed": "bold red", "cancelled": "yellow", "running": "bold cyan"}
SPARK = "▁▂▃▄▅▆▇█"
SHOWN_EVENTS = 8


def sparkline(values: list[float], width: int = 40) -> str:
    """The last `width` values as a row of block characters, lowest to highest."""
    values = [v for v in values if v is not None][-width:]
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(SPARK[int((v - low) / span * (len(SPARK) - 1))] for v in values)


def when(timestamp) -> str:
    """A Unix timestamp as local HH:MM:SS ('' for none)."""
    if not timestamp:
        return ""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).astimezone().strftime("%H:%M:%S")


def status_text(status: str) -> Text:
    """The status word, coloured."""
    return Text(status, style=STATUS_STYLE.get(status, "bold"))


def render_run(row: dict, progress: dict) -> Panel:
    """The live panel: the job, its status and files, step progress, losses and the latest events."""
    details = row["details"]
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim")
    facts.add_column()
    facts.add_row("job", f"{row['external_id'] or '-'} (run {row['id']}, {details.get('method', 'supervised')})")
    facts.add_row("status", status_text(row["status"]))
    facts.add_row("model", row["base_model"] + (f" -> {row['result_model']}" if row["result_model"] else ""))
    files = [details.get("training_file_id"), details.get("validation_file_id")]
    facts.add_row("files", ", ".join(f for f in files if f) or "-")
    if details.get("hyperparameters"):
        facts.add_row("hyperparameters", ", ".join(f"{k}={v}" for k, v in sorted(details["hyperparameters"].items())))
    if details.get("trained_tokens"):
        facts.add_row("trained tokens", f"{details['trained_tokens']:,}")
    if row["error"]:
        facts.add_row("error", Text(row["error"], style="red"))
    parts: list = [facts]
    if progress.get("total_steps"):
        step, total = progress.get("step", 0), progress["total_steps"]
        bar = Table.grid(padding=(0, 1))
        bar.add_row(ProgressBar(total=total, completed=step, width=40), f"step {step}/{total}")
        parts.append(bar)
    losses = details.get("metrics") or []
    if losses:
        line = Text()
        for key, label in (("train_loss", "train loss"), ("valid_loss", "valid loss")):
            series = [p.get(key) for p in losses if p.get(key) is not None]
            if series:
                line.append(f"{label} {series[-1]:.4f} ", style="bold")
                line.append(sparkline(series, 30) + "   ", style="cyan")
        parts.append(line)
    events = details.get("recent_events") or []
    if events:
        table = Table("time", "event", box=None, show_header=False, padding=(0, 1))
        for event in events[-SHOWN_EVENTS:]:
            style = "red" if event.get("level") == "error" else ("yellow" if event.get("level") == "warn" else "")
            table.add_row(when(event.get("at")), Text(event.get("message") or "", style=style))
        parts.append(table)
    return Panel(Group(*parts), title="OpenAI fine-tuning", expand=False)


class LinePrinter:
    """For logs and pipes: one line per status change and per new event, nothing redrawn."""

    def __init__(self, row: dict | None = None):
        self.status = row["status"] if row else None
        self.seen = (row["details"].get("events_seen", 0) if row else 0)

    def __call__(self, row: dict) -> None:
        """Print what changed since the last call: new events, then the status if it changed."""
        seen = row["details"].get("events_seen", 0)
        events = row["details"].get("recent_events") or []
        for event in events[max(0, len(events) - (seen - self.seen)):] if seen > self.seen else []:
            console.print(f"  {when(event.get('at'))} {event.get('message')}", markup=False)
        self.seen = seen
        if row["status"] != self.status:
            self.status = row["status"]
            console.print(f"run {row['id']} job {row['external_id']}: {row['status']}", markup=False)
