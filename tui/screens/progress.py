"""The trainee's progress: each scorecard measure over their practice sessions as a sparkline, and their sessions.

The numbers are `evaluation.progress.trainee_progress` (computed in a worker: missing session
metrics are computed first), the same that `practicum progress` prints and charts.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, Static

from practicum.evaluation.progress import TraineeProgress, sparkline, weakest


@dataclass
class ProgressReady(Message):
    """The worker collected the progress (or failed with `error`)."""

    progress: TraineeProgress | None
    error: str = ""


def progress_table(progress: TraineeProgress, reference: dict | None) -> Table:
    """Measure, sparkline oldest to newest, first, last, MathDial's teachers."""
    ref = {name: item["mean"] for name, item in (reference or {}).get("measures", {}).items()}
    table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False)
    table.add_column("measure")  # wraps on narrow screens; the trend and the numbers never do
    table.add_column("trend", no_wrap=True, style="cyan")
    table.add_column("first", justify="right", no_wrap=True)
    table.add_column("last", justify="right", no_wrap=True)
    table.add_column("MathDial", justify="right", no_wrap=True)
    for measure in progress.measures():
        values = progress.series[measure.name]
        seen = [v for v in values if v is not None]
        direction = {True: "↑", False: "↓", None: " "}[measure.higher_is_better]
        table.add_row(f"{direction} {measure.label}", sparkline(values[-40:]), f"{seen[0]:.0%}", f"{seen[-1]:.0%}",
                      f"{ref[measure.name]:.0%}" if measure.name in ref else "–")
    return table


class ProgressScreen(Screen):
    """Sparklines per measure above the list of the trainee's practice sessions (Enter opens one)."""

    BINDINGS = [
        Binding("enter", "open", "Open session", show=False, tooltip="Open the highlighted session in review"),
        Binding("g", "reload", "Reload", tooltip="Read the database again"),
        Binding("escape,q", "back", "Back", tooltip="Back to the browser"),
    ]

    def __init__(self, trainee: str):
        """The progress of `trainee` (the name on their practice sessions)."""
        super().__init__()
        self.trainee = trainee
        self.progress: TraineeProgress | None = None

    def compose(self) -> ComposeResult:
        """The measures table, what to work on, the sessions."""
        yield Header()
        with VerticalScroll(id="progress-top"):
            yield Static("Collecting your sessions…", id="progress-table")
            yield Static("", id="progress-need")
        yield Label("Your practice sessions (Enter opens one)", classes="section-title")
        yield DataTable(id="progress-sessions", cursor_type="row", zebra_stripes=True)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        """Start collecting."""
        self.sub_title = f"progress · {self.trainee}"
        self.query_one("#progress-top").can_focus = False
        self.action_reload()

    def action_reload(self) -> None:
        """Collect the progress again."""
        self.collect()

    @work(thread=True, exclusive=True, group="progress")
    def collect(self) -> None:
        """Compute missing metrics and read the measures (off the UI thread)."""
        from practicum.evaluation.progress import trainee_progress

        try:
            _, classifier, _ = self.app.feedback_tools()
            result = trainee_progress(self.app.store, self.trainee, classifier=classifier, rubric=self.app.rubric)
        except Exception as exc:
            self.post_message(ProgressReady(None, str(exc) or type(exc).__name__))
        else:
            self.post_message(ProgressReady(result))

    @on(ProgressReady)
    def _ready(self, message: ProgressReady) -> None:
        top = self.query_one("#progress-table", Static)
        if message.progress is None:
            top.update(Text(f"Could not collect your progress: {message.error}", style="red"))
            return
        progress = self.progress = message.progress
        reference = self.app.reference()
        table = self.query_one("#progress-sessions", DataTable)
        table.clear(columns=True)
        if not progress.sessions:
            top.update(Text(f"No finished practice sessions by {self.trainee} yet: press p in the browser to "
                            "practise.", style="dim"))
            self.query_one("#progress-need", Static).update("")
            table.display = False
            return
        table.display = True
        top.update(progress_table(progress, reference))
        need = weakest(progress, reference)
        lines = [f"{len(progress.sessions)} sessions, trend oldest to newest. ↑ higher is better, ↓ lower is better. "
                 "MathDial: real human teachers, measured the same way."]
        if need is not None:
            lines.append(f"Most to gain: {need.describe()}. In the practice picker, ctrl+n sorts by it.")
        lines += progress.notes
        self.query_one("#progress-need", Static).update(Text("\n".join(lines), style="dim"))
        table.add_columns("#", "session", "scenario", "started (UTC)", "branch of")
        for number, point in enumerate(reversed(progress.sessions), 1):
            branch = f"{point.parent_session_id} @ turn {point.branch_turn_idx}" if point.parent_session_id else ""
            table.add_row(str(len(progress.sessions) - number + 1), str(point.session_id), point.scenario_title,
                          (point.started or "")[:16].replace("T", " "), branch, key=str(point.session_id))
        table.focus()

    @on(DataTable.RowSelected, "#progress-sessions")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.app.open_review(int(event.row_key.value))

    def action_open(self) -> None:
        """Open the highlighted session."""
        table = self.query_one("#progress-sessions", DataTable)
        if self.progress is None or not self.progress.sessions:
            self.notify("No session to open.", severity="warning")
            return
        row_key, _ = table.coordinate_to_cell_key((table.cursor_row, 0))
        self.app.open_review(int(row_key.value))

    def action_back(self) -> None:
        """Back."""
        self.app.pop_screen()
