"""Practice: you type as the teacher, a simulated student answers from a background worker.

A SessionRunner owns the stored session: it is created with your first turn, every turn is
stored the moment it exists (yours on Enter, the student's when it arrives), so ending, quitting
or a failing backend never loses what was said. The student is built from the student spec by
the app's SpeakerBuilder, so a `program=` in it loads the compiled program.

Feedback: after each of your turns a second worker asks the move classifier and the judge about it
(`evaluation/turn_feedback.py`) and fills in the small line under it; the student's worker never
waits for it. A branch (`b` in review) starts from a stored session's turns before one teacher
turn, under the same seed, and you rewrite that turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, LoadingIndicator, Static

from practicum.agents.session import HUMAN_END, Reply, SessionOptions
from practicum.records import TEACHER, Turn
from practicum.scenarios.answers import states_answer
from practicum.scenarios.model import Scenario
from practicum.tui.widgets.feedback_line import FeedbackLine
from practicum.tui.widgets.scenario_panel import ScenarioPanel, opening_text
from practicum.tui.widgets.turn_card import TurnCard

MAX_TURNS = 60


@dataclass
class Branch:
    """Where a branch starts: the parent session, the teacher turn rewritten, the turns kept, the seed."""

    parent_id: int
    turn_idx: int
    turns: list[Turn]
    seed: int
    original_text: str
    original_student: str = ""
    copied_feedback: dict = field(default_factory=dict)

    @classmethod
    def of(cls, session: dict, turn_idx: int) -> "Branch":
        """The branch of a stored session (`Store.get_session` row) at one of its teacher turns."""
        from practicum.errors import InputError

        rows = session["turns"]
        found = [i for i, t in enumerate(rows) if t["idx"] == turn_idx]
        if not found or rows[found[0]]["role"] != TEACHER:
            raise InputError(f"turn {turn_idx} of session {session['id']} is not a teacher turn")
        position = found[0]
        turns = [Turn(t["idx"], t["role"], t["text"], move=t.get("move"), move_source=t.get("move_source"),
                      prompt_tokens=t.get("prompt_tokens") or 0, completion_tokens=t.get("completion_tokens") or 0,
                      latency=(t.get("latency_ms") or 0) / 1000, model=t.get("model") or "",
                      metadata=t.get("metadata") or {}) for t in rows[:position]]
        after = rows[position + 1]["text"] if position + 1 < len(rows) else ""
        seed = session["seed"] if session.get("seed") is not None else 0
        return cls(session["id"], turn_idx, turns, seed, rows[position]["text"], after)


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


@dataclass
class FeedbackReady(Message):
    """The feedback worker finished one teacher turn (`feedback` None: nothing to say, `note` says why)."""

    turn_idx: int
    feedback: object | None
    note: str = ""
    missing: bool = False  # no judge and no classifier here: the line goes away


class PracticeScreen(Screen):
    """A live session with a human teacher and a simulated student."""

    BINDINGS = [
        Binding("escape", "end", "End session", tooltip="End the session (it stays stored) and see its scorecard"),
        Binding("ctrl+t", "toggle_panel", "Scenario", tooltip="Show or hide the scenario and student profile"),
        Binding("ctrl+f", "toggle_feedback", "Feedback", priority=True,
                tooltip="Show or hide the feedback under your turns (it is still computed for the scorecard)"),
    ]

    def __init__(self, scenario: Scenario, student_spec: str, *, branch: Branch | None = None):
        """Practise on `scenario` against a student on `student_spec` (from a branch point when `branch` is given)."""
        super().__init__()
        self.scenario = scenario
        self.student_spec = student_spec
        self.branch = branch
        seed = branch.seed if branch is not None else 0
        self.options = SessionOptions(max_turns=MAX_TURNS, seed=seed, stop_on_answer=False)
        self.runner = None  # a SessionRunner once the student is ready
        self.thinking = False
        self.ended = False
        self.answered = False
        self.told_missing = False

    def compose(self) -> ComposeResult:
        """Chat and scenario side by side, the thinking line and your input below."""
        yield Header()
        with Horizontal(id="practice-body"):
            with VerticalScroll(id="chat"):
                name = self.scenario.student_profile.name
                note = (f"You are the teacher. Help {name} without giving the answer away. "
                        f"Enter sends · Esc or {HUMAN_END} ends · ctrl+f feedback on/off.")
                yield Static(opening_text(self.scenario, note), id="opening")
                if self.branch is not None:
                    yield from self.copied_turns()
            yield ScenarioPanel(self.scenario, id="side")
        with Horizontal(id="thinking", classes="thinking"):
            yield LoadingIndicator()
            yield Label(f"{self.scenario.student_profile.name} is thinking…")
        yield Input(value=self.branch.original_text if self.branch else "",
                    placeholder="Your reply as the teacher (Enter sends)", id="reply")
        yield Footer(show_command_palette=False)

    def copied_turns(self):
        """The branch's kept turns (dimmed, with their stored feedback) and a line saying what to do."""
        from practicum.evaluation.turn_feedback import stored_feedback

        branch = self.branch
        feedback = stored_feedback(self.app.store, branch.parent_id, rubric=self.app.rubric)
        for turn in branch.turns:
            card = TurnCard({**turn.__dict__, "latency_ms": turn.latency * 1000}, self.scenario.student_profile.name,
                            classes="-copied")
            yield card
            if turn.role == TEACHER and turn.idx in feedback:
                card.add_class("-with-feedback")
                line = FeedbackLine(turn.idx, feedback[turn.idx], classes="-copied")
                line.display = self.app.feedback_on
                yield line
        said = f" (the student answered: “{branch.original_student}”)" if branch.original_student else ""
        yield Static(f"Branch of session {branch.parent_id}: the turns above are kept. Rewrite turn "
                     f"{branch.turn_idx} below{said}; the student continues under the same seed ({branch.seed}).",
                     id="branch-note")

    def on_mount(self) -> None:
        """Prepare the student off the UI thread (importing the role modules takes a moment)."""
        what = f"branch of session {self.branch.parent_id} at turn {self.branch.turn_idx}" if self.branch else "practice"
        self.sub_title = f"{what} · {self.scenario.title} · student {self.student_spec}"
        chat = self.query_one("#chat", VerticalScroll)
        chat.can_focus = False
        self.query_one("#side").display = self.app.size.width >= 110
        self.show_thinking(f"Getting {self.scenario.student_profile.name} ready…")
        self.query_one("#reply", Input).focus()
        if self.branch is not None:
            chat.scroll_end(animate=False)
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
            from practicum.agents.session import HumanSpeaker, SessionState

            student = self.app.speaker_builder().speaker("student", self.student_spec, self.options.student_options)
            extra = {"via": "tui"} if self.branch is None else {"via": "tui", "branch": True}
            runner = SessionRunner(self.app.store, self.scenario, HumanSpeaker("teacher"), student, self.options,
                                   source="practice", extra_options=extra, on_created=self.created)
            if self.branch is not None:
                runner.state = SessionState(self.scenario, self.options, list(self.branch.turns))
        except Exception as exc:  # a bad spec or a backend bug must not crash the app
            self.post_message(StudentReady(None, str(exc) or type(exc).__name__))
        else:
            self.post_message(StudentReady(runner))

    def created(self, session_id: int) -> None:
        """The runner just stored the session row: record who practised."""
        from practicum.storage.practice_queries import set_session_metadata

        if self.app.rater:
            set_session_metadata(self.app.store, session_id, trainee=self.app.rater)

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

    def ensure_branch_row(self) -> None:
        """A branch's row (with its copied turns) is created with its first new turn, like any session's."""
        if self.branch is None or self.runner.session_id is not None:
            return
        from practicum.agents.runner import programs_of, stored_options
        from practicum.storage.practice_queries import fork_session

        runner = self.runner
        runner.session_id = fork_session(
            self.app.store, self.branch.parent_id, self.branch.turn_idx, student_spec=self.student_spec,
            seed=self.options.seed, trainee=self.app.rater,
            options=stored_options(self.options, **runner.extra_options),
            programs=programs_of(*runner.speakers.values()),
        )

    def add_turn(self, reply: Reply) -> None:
        """Append a reply to the session (the runner stores it), show it, and ask for feedback on a teacher turn."""
        self.ensure_branch_row()
        turn = self.runner.add(reply)
        if turn is None:
            return
        row = {**turn.__dict__, "latency_ms": turn.latency * 1000}
        chat = self.query_one("#chat", VerticalScroll)
        card = TurnCard(row, self.scenario.student_profile.name)
        chat.mount(card)
        if turn.role == TEACHER:
            card.add_class("-with-feedback")
            line = FeedbackLine(turn.idx, id=f"feedback-{turn.idx}")
            line.display = self.app.feedback_on
            chat.mount(line)
            self.give_feedback(self.session_id, list(self.runner.state.turns), turn.idx)
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

    @work(thread=True, group="feedback")
    def give_feedback(self, session_id: int, turns: list, turn_idx: int) -> None:
        """Ask the classifier and the judge about one teacher turn (they store what they say); post it back."""
        from practicum.evaluation.turn_feedback import turn_feedback

        judge, classifier, notes = self.app.feedback_tools()
        if judge is None and classifier is None:
            self.post_message(FeedbackReady(turn_idx, None, "; ".join(notes), missing=True))
            return
        try:
            feedback = turn_feedback(self.app.store, session_id, turns, turn_idx, self.scenario, judge=judge,
                                     classifier=classifier, rubric=self.app.rubric)
        except Exception as exc:  # a failing judge must never stop the practice
            self.post_message(FeedbackReady(turn_idx, None, f"feedback failed: {exc or type(exc).__name__}"))
        else:
            self.post_message(FeedbackReady(turn_idx, feedback, "; ".join(notes)))

    @on(FeedbackReady)
    def _feedback_ready(self, message: FeedbackReady) -> None:
        if message.note and not self.told_missing:
            self.told_missing = True
            if message.missing:
                self.notify(f"No feedback here: {message.note}.", severity="warning", timeout=6)
            elif message.feedback is not None:
                self.notify(f"Feedback is partial: {message.note}.", timeout=6)
        for line in self.query(FeedbackLine):
            if line.turn_idx != message.turn_idx or line.has_class("-copied"):
                continue
            if message.missing:
                line.remove()
                for card in self.query(TurnCard):
                    if card.turn["idx"] == message.turn_idx and not card.has_class("-copied"):
                        card.remove_class("-with-feedback")
            else:
                line.show(message.feedback, message.note if message.feedback is None else "")

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
        """Mark the stored session ended and show its scorecard."""
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
        then = self.app.after_scorecard(session_id)

        def after(choice) -> None:
            self.app.pop_screen()
            then(choice)

        from practicum.tui.screens.scorecard import ScorecardScreen

        self.app.push_screen(ScorecardScreen(session_id), after)

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

    def action_toggle_feedback(self) -> None:
        """Show or hide the feedback lines (remembered for next time)."""
        self.app.set_feedback(not self.app.feedback_on)
        for line in self.query(FeedbackLine):
            line.display = self.app.feedback_on
        self.notify("Feedback on: a line under each of your turns." if self.app.feedback_on
                    else "Feedback hidden (still computed for the scorecard); ctrl+f shows it.")
