"""Watch: an agent teacher and an agent student tutor each other; turns appear as they are generated.

The session runs in a thread worker through the same SessionRunner as `practicum simulate`,
with speakers from the app's SpeakerBuilder (so `program=` loads the compiled program), storing
each turn as it comes. Cancelling takes effect between turns; a cancelled or failed session stays
stored with status interrupted or failed (a session cancelled before its first turn leaves none).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, LoadingIndicator, Static
from textual.worker import get_current_worker

from practicum.records import Turn
from practicum.scenarios.model import Scenario
from practicum.tui.widgets.scenario_panel import ScenarioPanel, opening_text
from practicum.tui.widgets.turn_card import TurnCard


@dataclass
class WatchStarted(Message):
    """The session row exists."""

    session_id: int


@dataclass
class TurnArrived(Message):
    """One more stored turn."""

    turn: Turn


@dataclass
class WatchEnded(Message):
    """The worker stopped: completed, interrupted (cancelled) or failed."""

    status: str
    stop_reason: str
    error: str = ""


class WatchScreen(Screen):
    """Set the backends and turn budget, Enter starts, Esc cancels (or leaves), r rates the result."""

    BINDINGS = [
        Binding("escape", "stop", "Cancel / back", tooltip="Cancel a running session, or go back"),
        Binding("r", "rate", "Rate", tooltip="Review and rate the finished session"),
        Binding("ctrl+t", "toggle_panel", "Scenario", tooltip="Show or hide the scenario panel"),
    ]

    def __init__(self, scenario: Scenario):
        """Watch a session on `scenario`."""
        super().__init__()
        self.scenario = scenario
        self.session_id: int | None = None
        self.running = False
        self.finished = False

    def compose(self) -> ComposeResult:
        """Setup fields, the live transcript, and a status line."""
        yield Header()
        with Horizontal(id="watch-setup"):
            yield Label("teacher", classes="field-label")
            yield Input(value=self.app.teacher_spec, id="w-teacher")
            yield Label("student", classes="field-label")
            yield Input(value=self.app.student_spec, id="w-student")
            yield Label("turns", classes="field-label")
            yield Input(value="8", id="w-turns", type="integer")
        with Horizontal(id="watch-body"):
            with VerticalScroll(id="chat"):
                yield self.opening()
            yield ScenarioPanel(self.scenario, id="side")
        with Horizontal(id="watch-status", classes="thinking"):
            yield LoadingIndicator()
            yield Label("Enter in a field starts the session.", id="watch-status-text")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        """Focus the first field."""
        self.sub_title = f"watch · {self.scenario.title}"
        self.query_one("#chat").can_focus = False
        self.query_one("#side").display = self.app.size.width >= 110
        self.query_one(LoadingIndicator).display = False
        self.query_one("#w-teacher", Input).focus()

    def opening(self) -> Static:
        """The problem and the student's attempt, on top of the live transcript."""
        note = "Agents play both roles (the opening line is part of the prompt, never stored)."
        return Static(opening_text(self.scenario, note), id="opening")

    def status(self, text: str, busy: bool = False) -> None:
        """Update the status line (and its spinner)."""
        self.query_one("#watch-status-text", Label).update(text)
        self.query_one(LoadingIndicator).display = busy

    @on(Input.Submitted)
    async def _start(self, event: Input.Submitted) -> None:
        event.stop()
        if self.running:
            self.notify("A session is already running; Esc cancels it.", severity="warning")
            return
        teacher = self.query_one("#w-teacher", Input).value.strip()
        student = self.query_one("#w-student", Input).value.strip()
        turns_text = self.query_one("#w-turns", Input).value.strip()
        if not teacher or not student:
            self.notify("Give both a teacher and a student backend spec (e.g. local, scripted).", severity="warning")
            return
        if "human" in (teacher, student):
            self.notify("Watch runs two agents; to play the teacher yourself, use practice (p).", severity="warning")
            return
        if not turns_text.isdigit() or not 1 <= int(turns_text) <= 200:
            self.notify("Turns must be a number from 1 to 200.", severity="warning")
            return
        self.running, self.finished, self.session_id = True, False, None
        chat = self.query_one("#chat", VerticalScroll)
        await chat.remove_children()
        await chat.mount(self.opening())
        self.set_focus(None)
        self.status(f"Starting: teacher {teacher}, student {student}…", busy=True)
        self.run_session(teacher, student, int(turns_text))

    @work(thread=True, exclusive=True, group="watch")
    def run_session(self, teacher_spec: str, student_spec: str, max_turns: int) -> None:
        """Generate and store the session turn by turn; check for cancellation between turns."""
        from practicum.agents.runner import SessionRunner
        from practicum.agents.session import SessionOptions

        worker = get_current_worker()
        builder = self.app.speaker_builder()
        try:
            options = SessionOptions(max_turns=max_turns, seed=0)
            runner = SessionRunner(
                self.app.store, self.scenario, builder.speaker("teacher", teacher_spec, options.teacher_options),
                builder.speaker("student", student_spec, options.student_options), options, source="simulated",
                extra_options={"via": "tui"}, on_created=lambda session_id: self.post_message(WatchStarted(session_id)),
            )
            for turn in runner.play(cancelled=lambda: worker.is_cancelled):
                self.post_message(TurnArrived(turn))
            outcome = runner.outcome
            self.post_message(WatchEnded(outcome.status, outcome.reason, outcome.error))
        except Exception as exc:  # a failing backend fails this session (the runner stored it), never the app
            self.post_message(WatchEnded("failed", "error", str(exc) or type(exc).__name__))
        finally:
            builder.close()

    @on(WatchStarted)
    def _started(self, message: WatchStarted) -> None:
        self.session_id = message.session_id
        self.status(f"Session {message.session_id} running…", busy=True)

    @on(TurnArrived)
    def _turn(self, message: TurnArrived) -> None:
        turn = message.turn
        chat = self.query_one("#chat", VerticalScroll)
        chat.mount(TurnCard({**turn.__dict__, "latency_ms": turn.latency * 1000}, self.scenario.student_profile.name))
        chat.scroll_end(animate=False)
        self.status(f"Session {self.session_id}: {turn.idx + 1} turns so far…", busy=True)

    @on(WatchEnded)
    def _ended(self, message: WatchEnded) -> None:
        self.running = False
        self.finished = self.session_id is not None
        where = f"Session {self.session_id}" if self.session_id is not None else "The session"
        if message.status == "failed":
            self.notify(message.error, title="The session failed", severity="error", timeout=10)
            self.status(f"{where} failed: {message.error}" + (" (stored; r reviews it)" if self.finished else ""))
        elif message.status == "interrupted":
            self.notify(f"{where} cancelled; the turns so far are stored.")
            self.status(f"{where} cancelled · r review · Esc back")
        else:
            self.status(f"{where} ended: {message.stop_reason} · r rate · Enter again · Esc back")

    def action_stop(self) -> None:
        """Cancel a running session (after the turn in flight), or go back."""
        if self.running:
            self.workers.cancel_group(self, "watch")
            self.status("Cancelling after the current turn…", busy=True)
            return
        self.app.pop_screen()

    def action_rate(self) -> None:
        """Open the finished session for review."""
        if self.running:
            self.notify("Wait for the session to end (or Esc to cancel it).", severity="warning")
        elif self.session_id is None:
            self.notify("Run a session first: Enter in a field starts one.", severity="warning")
        else:
            self.app.open_review(self.session_id)

    def action_toggle_panel(self) -> None:
        """Show or hide the scenario panel."""
        side = self.query_one("#side")
        side.display = not side.display
