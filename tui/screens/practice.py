"""Practice: you type as the teacher, a simulated student answers from a background worker.

A SessionRunner owns the stored session: it is created with your first turn, every turn is
stored the moment it exists (yours on Enter, the student's when it arrives), so ending, quitting
or a failing backend never loses what was said. The student is built from the student spec by
the app's SpeakerBuilder, so a `program=` in it loads the compiled program.
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

from practicum.agents.session import HUMAN_END, Reply, SessionOptions
from practicum.scenarios.answers import states_answer
from practicum.scenarios.model import Scenario
from practicum.tui.widgets.scenario_panel import ScenarioPanel, opening_text
from practicum.tui.widgets.turn_card import TurnCard

MAX_TURNS = 60


@dataclass
class StudentReady(Message):
    """The session runner, with the student role and backend built (or `error` says why not)."""

    runner: object | None
    error: str = ""


@dataclass
class StudentReplied(Message):
    """The student worker finished one reply (or failed with `error`)."""

    reply: Reply | None
    error: str = ""


class PracticeScreen(Screen):
    """A live session with a human teacher and a simulated student."""

    BINDINGS = [
        Binding("escape", "end", "End session", tooltip="End the session (it stays stored) and see its summary"),
        Binding("ctrl+t", "toggle_panel", "Scenario", tooltip="Show or hide the scenario and student profile"),
    ]

    def __init__(self, scenario: Scenario, student_spec: str):
        """Practise on `scenario` against a student on `student_spec`."""
        super().__init__()
        self.scenario = scenario
        self.student_spec = student_spec
        self.options = SessionOptions(max_turns=MAX_TURNS, seed=0, stop_on_answer=False)
        self.runner = None  # a SessionRunner once the student is ready
        self.thinking = False
        self.ended = False
        self.answered = False

    def compose(self) -> ComposeResult:
        """Chat and scenario side by side, the thinking line and your input below."""
        yield Header()
        with Horizontal(id="practice-body"):
            with VerticalScroll(id="chat"):
                name = self.scenario.student_profile.name
                note = (f"You are the teacher. Help {name} without giving the answer away. "
                        f"Enter sends · Esc or {HUMAN_END} ends.")
                yield Static(opening_text(self.scenario, note), id="opening")
            yield ScenarioPanel(self.scenario, id="side")
        with Horizontal(id="thinking", classes="thinking"):
            yield LoadingIndicator()
            yield Label(f"{self.scenario.student_profile.name} is thinking…")
        yield Input(placeholder="Your reply as the teacher (Enter sends)", id="reply")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        """Prepare the student off the UI thread (importing the role modules takes a moment)."""
        self.sub_title = f"practice · {self.scenario.title} · student {self.student_spec}"
        self.query_one("#chat").can_focus = False
        self.query_one("#side").display = self.app.size.width >= 110
        self.show_thinking(f"Getting {self.scenario.student_profile.name} ready…")
        self.query_one("#reply", Input).focus()
        self.prepare_student()

    def show_thinking(self, text: str | None) -> None:
        """Show the busy line with `text`, or hide it (None)."""
        self.query_one("#thinking").display = text is not None
        if text is not None:
            self.query_one("#thinking Label", Label).update(text)

    @property
    def session_id(self) -> int | None:
        """The stored session's id (None until the first turn)."""
        return None if self.runner is None else self.runner.session_id

    @work(thread=True, exclusive=True, group="student")
    def prepare_student(self) -> None:
        """Build the student (role, compiled program, backend) and the session runner; a bad spec is reported."""
        try:
            from practicum.agents.runner import SessionRunner
            from practicum.agents.session import HumanSpeaker

            student = self.app.speaker_builder().speaker("student", self.student_spec, self.options.student_options)
            runner = SessionRunner(self.app.store, self.scenario, HumanSpeaker("teacher"), student, self.options,
                                   source="practice", extra_options={"via": "tui"})
        except Exception as exc:  # a bad spec or a backend bug must not crash the app
            self.post_message(StudentReady(None, str(exc) or type(exc).__name__))
        else:
            self.post_message(StudentReady(runner))

    @on(StudentReady)
    def _student_ready(self, message: StudentReady) -> None:
        if message.runner is None:
            self.notify(message.error, title="Cannot start the student", severity="error", timeout=8)
            self.app.pop_screen()
            return
        self.runner = message.runner
        self.show_thinking(None)

    @on(Input.Submitted, "#reply")
    def _send(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if self.ended:
            self.notify("This session has ended; press Esc to leave.", severity="warning")
            return
        if text.lower() == HUMAN_END:
            event.input.value = ""
            self.action_end()
            return
        if not text:
            self.notify("Type a reply first (or Esc to end the session).", severity="warning")
            return
        if self.thinking or self.runner is None:
            self.notify(f"Wait for {self.scenario.student_profile.name} to answer.", severity="warning")
            return
        event.input.value = ""
        self.add_turn(Reply(text=text, model="human"))
        if self.runner.state.done:
            self.finish("completed", self.runner.state.stop_reason)
            return
        self.thinking = True
        self.show_thinking(f"{self.scenario.student_profile.name} is thinking…")
        self.ask_student([*self.runner.state.turns], self.runner.state.turn_seed())

    def add_turn(self, reply: Reply) -> None:
        """Append a reply to the session (the runner stores it) and show it."""
        turn = self.runner.add(reply)
        if turn is None:
            return
        row = {**turn.__dict__, "latency_ms": turn.latency * 1000}
        chat = self.query_one("#chat", VerticalScroll)
        chat.mount(TurnCard(row, self.scenario.student_profile.name))
        chat.scroll_end(animate=False)

    @work(thread=True, exclusive=True, group="student")
    def ask_student(self, history: list, seed: int | None) -> None:
        """Ask the student backend (slow: a model call) off the UI thread; post the reply back."""
        try:
            reply = self.runner.speakers["student"].reply(self.scenario, history, seed)
        except Exception as exc:  # any backend failure ends the session as failed, never the app
            self.post_message(StudentReplied(None, str(exc) or type(exc).__name__))
        else:
            self.post_message(StudentReplied(reply))

    @on(StudentReplied)
    def _student_replied(self, message: StudentReplied) -> None:
        self.thinking = False
        self.show_thinking(None)
        if self.ended:
            return  # the session was ended while the student was thinking
        if message.reply is None:
            self.notify(message.error, title="The student backend failed", severity="error", timeout=10)
            self.finish("failed", "error", message.error)
            return
        self.add_turn(message.reply)
        turn = self.runner.state.turns[-1]
        if turn.role == "student" and not self.answered and states_answer(turn.text, self.scenario.answer):
            self.answered = True
            self.notify(f"{self.scenario.student_profile.name} stated the correct answer. Esc ends the session.")
        if self.runner.state.done:
            self.finish("completed", self.runner.state.stop_reason)

    def finish(self, status: str, stop_reason: str, error: str = "") -> None:
        """Mark the stored session ended and show its summary."""
        self.ended = True
        reply = self.query_one("#reply", Input)
        reply.disabled = True
        if self.session_id is None:  # no turn yet: nothing was stored, nothing to sum up
            self.app.pop_screen()
            return
        if status == "failed":
            self.runner.fail(error, stop_reason)
        else:
            self.runner.finish(stop_reason)
        session_id = self.session_id

        def after(choice: str | None) -> None:
            self.app.pop_screen()
            if choice == "rate":
                self.app.open_review(session_id)

        from practicum.tui.screens.summary import SummaryScreen

        self.app.push_screen(SummaryScreen(session_id), after)

    def action_end(self) -> None:
        """End the session now (a reply in flight is dropped); leave if it already ended."""
        if self.ended:
            self.app.pop_screen()
            return
        self.workers.cancel_group(self, "student")
        reason = "student_answered" if self.answered else "teacher_ended"
        self.finish("completed" if self.session_id is not None else "", reason)

    def action_toggle_panel(self) -> None:
        """Show or hide the scenario panel."""
        side = self.query_one("#side")
        side.display = not side.display
