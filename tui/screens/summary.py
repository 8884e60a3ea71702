"""After a practice or watched session: how it ended, what it cost, its metrics, and an offer to rate it."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from practicum.storage.rating_queries import session_metrics


def session_stats(session: dict) -> list[tuple[str, str]]:
    """Basic numbers every session has: status, why it stopped, turns per role, tokens, latency."""
    turns = session["turns"]
    by_role = {role: [t for t in turns if t["role"] == role] for role in ("teacher", "student")}
    prompt = sum(t["prompt_tokens"] or 0 for t in turns)
    completion = sum(t["completion_tokens"] or 0 for t in turns)
    timed = [t["latency_ms"] for t in turns if t["latency_ms"] and t["model"] != "human"]
    rows = [
        ("status", session["status"] + (f" ({session['stop_reason']})" if session["stop_reason"] else "")),
        ("turns", f"{len(turns)} ({len(by_role['teacher'])} teacher, {len(by_role['student'])} student)"),
        ("tokens", f"{prompt + completion} ({prompt} prompt, {completion} completion)"),
    ]
    if timed:
        rows.append(("model latency", f"{sum(timed) / len(timed) / 1000:.2f}s mean over {len(timed)} "
                     + ("reply" if len(timed) == 1 else "replies")))
    if session.get("error"):
        rows.append(("error", session["error"]))
    return rows


class SummaryScreen(ModalScreen[str | None]):
    """Returns 'rate' when the user wants to rate the session now, else None."""

    BINDINGS = [Binding("r", "rate", "Rate now"), Binding("escape,q", "close", "Close")]

    def __init__(self, session_id: int):
        """Summarize a stored session."""
        super().__init__()
        self.session_id = session_id

    def compose(self) -> ComposeResult:
        """Stats table, metrics table (when the metrics table exists), and the keys."""
        store = self.app.store
        session = store.get_session(self.session_id)
        stats = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
        stats.add_column(style="bold")
        stats.add_column()
        for label, value in session_stats(session):
            stats.add_row(label, value)
        metrics = session_metrics(store, self.session_id)
        with Vertical(classes="dialog summary-dialog"):
            yield Label(f"Session {self.session_id} ended", classes="dialog-title")
            with VerticalScroll():
                yield Static(stats)
                if metrics:
                    table = Table("metric", "version", "value", "detail", box=None, padding=(0, 2, 0, 0))
                    for row in metrics:
                        value = row.get("value")
                        detail = str(row.get("detail") or "")
                        table.add_row(str(row.get("name", "")), str(row.get("version", "") or ""),
                                      f"{value:.3g}" if isinstance(value, float) else str(value),
                                      "" if detail in ("{}", "[]", "null") else detail[:60])
                    yield Static(table, classes="summary-metrics")
                elif metrics is None:
                    yield Static("No metrics table in this database yet: basic statistics only.",
                                 classes="dialog-hint")
                else:
                    yield Static("No metrics computed for this session yet.", classes="dialog-hint")
            yield Label("r rate it now · Esc close", classes="dialog-hint")

    def action_rate(self) -> None:
        """Close and ask the caller to open the review."""
        self.dismiss("rate")

    def action_close(self) -> None:
        """Close."""
        self.dismiss(None)
