"""One session's life in the database, and what each way of ending means, for every caller alike.

`SessionRunner(store, scenario, teacher, student, options)` runs the pure loop (`session.py`) and
owns the row: it is created when the first turn is stored (so Ctrl-C while a model loads leaves
nothing behind), each turn is stored the moment it exists, and the session is finished exactly
once. `simulate`, TUI practice and TUI watch use it; the generation driver plans its rows up front
and writes many sessions per transaction, but ends each with the same `Outcome` values:

- completed: a stop rule fired or a person ended it; `stop_reason` says which (max_turns,
  student_answered, teacher_ended, loop_guard, empty_reply, ...).
- interrupted: stopped from outside before a stop rule: Ctrl-C (`interrupted`), end of input
  (`end_of_input`), cancelled in the TUI (`cancelled`). Stored only once it has a turn.
- failed: a backend or the code failed; `stop_reason` names the kind, `error` says what, one line.
  Stored even before its first turn, so the error is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from practicum.agents.backends.base import GenerationOptions
from practicum.agents.session import Reply, SessionOptions, SessionState, Speaker
from practicum.records import STUDENT, TEACHER, Transcript, Turn
from practicum.scenarios.model import Scenario

PENDING, RUNNING = "pending", "running"
COMPLETED, INTERRUPTED, FAILED = "completed", "interrupted", "failed"
END_OF_INPUT, CANCELLED, KEYBOARD = "end_of_input", "cancelled", "interrupted"


@dataclass(frozen=True)
class Outcome:
    """How a session ended: its status, why, and (for failures) what went wrong."""

    status: str
    reason: str
    error: str = ""

    def as_row(self, session_id: int) -> tuple[int, str, str, str]:
        """The (session id, status, reason, error) tuple storage.runs.record_step takes."""
        return session_id, self.status, self.reason, self.error


def completed(reason: str) -> Outcome:
    """A stop rule fired (or a person ended the session)."""
    return Outcome(COMPLETED, reason)


def interrupted(reason: str = KEYBOARD) -> Outcome:
    """Stopped from outside before any stop rule fired."""
    return Outcome(INTERRUPTED, reason)


def failed(error: str, reason: str = "error") -> Outcome:
    """A backend or the code failed; the error is kept on one line."""
    return Outcome(FAILED, reason or "error", one_line(error))


def outcome_of(exc: BaseException) -> Outcome:
    """The outcome an exception ends a session with: Ctrl-C and end of input interrupt, the rest fail."""
    if isinstance(exc, (KeyboardInterrupt, GeneratorExit)):
        return interrupted(KEYBOARD)
    if isinstance(exc, EOFError):
        return interrupted(END_OF_INPUT)
    return failed(describe_error(exc))


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace and cut to `limit` characters: reasons are stored and printed as one line."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_error(exc: BaseException) -> str:
    """The message of a practicum error, or `Type: message` for anything else."""
    text = str(exc) or exc.__class__.__name__
    if exc.__class__.__module__.startswith("practicum"):
        return text
    return f"{exc.__class__.__name__}: {text}"


def stored_options(options: SessionOptions, **extra) -> dict:
    """What a session row records about how it was run (seed is a column of its own)."""
    dump = lambda o: o.model_dump(exclude={"seed"})  # noqa: E731
    return {"max_turns": options.max_turns, "stop_on_answer": options.stop_on_answer,
            "teacher": dump(options.teacher_options), "student": dump(options.student_options), **extra}


def programs_of(*speakers) -> dict:
    """{role: program description} for the speakers that run a role module (people have none)."""
    return {s.role: s.module.describe() for s in speakers if getattr(s, "module", None) is not None}


def with_temperature(options: SessionOptions, temperature: float | None) -> SessionOptions:
    """The options with both roles sampled at `temperature` (None keeps the roles' defaults)."""
    if temperature is not None:
        for name in ("teacher_options", "student_options"):
            current: GenerationOptions = getattr(options, name)
            setattr(options, name, current.model_copy(update={"temperature": temperature}))
    return options


class SessionRunner:
    """Owns one stored session: row at the first turn, each turn stored as it comes, one ending."""

    def __init__(
        self, store, scenario: Scenario, teacher: Speaker, student: Speaker, options: SessionOptions | None = None,
        *, source: str = "simulated", extra_options: dict | None = None,
        on_created: Callable[[int], None] | None = None,
    ):
        """Bind the session's speakers (their `spec` goes on the row); nothing is stored yet."""
        self.store = store
        self.scenario = scenario
        self.speakers = {TEACHER: teacher, STUDENT: student}
        self.state = SessionState(scenario, options)
        self.source = source
        self.extra_options = extra_options or {}
        self.on_created = on_created
        self.session_id: int | None = None
        self.outcome: Outcome | None = None

    @property
    def options(self) -> SessionOptions:
        """The session's options."""
        return self.state.options

    @property
    def done(self) -> bool:
        """True once a stop rule fired or the session was ended."""
        return self.outcome is not None or self.state.done

    def begin(self) -> int:
        """Create the session row now (it is otherwise created with the first turn); return its id."""
        if self.session_id is None:
            teacher, student = self.speakers[TEACHER], self.speakers[STUDENT]
            self.session_id = self.store.create_session(
                self.scenario, teacher_spec=_spec(teacher), student_spec=_spec(student), seed=self.options.seed,
                source=self.source, options=stored_options(self.options, **self.extra_options),
                programs=programs_of(teacher, student),
            )
            if self.on_created is not None:
                self.on_created(self.session_id)
        return self.session_id

    def add(self, reply: Reply) -> Turn | None:
        """Append a reply as the next turn and store it at once; returns the turn (None for an empty reply)."""
        turn = self.state.add(reply)
        if turn is not None:
            self.store.add_turn(self.begin(), turn)
        return turn

    def step(self) -> Turn | None:
        """Ask whoever speaks next and store what they said."""
        speaker = self.speakers[self.state.next_role()]
        return self.add(speaker.reply(self.scenario, self.state.turns, self.state.turn_seed()))

    def play(self, cancelled: Callable[[], bool] | None = None) -> Iterator[Turn]:
        """Run to the end, yielding each stored turn; any exception ends the session (see `outcome_of`) and is re-raised.

        `cancelled()` is checked between turns; when it says so the session ends as interrupted (cancelled).
        """
        try:
            while not self.done:
                if cancelled is not None and cancelled():
                    self.interrupt(CANCELLED)
                    return
                turn = self.step()
                if turn is not None:
                    yield turn
        except BaseException as exc:
            self.end(outcome_of(exc))
            raise
        self.finish()

    def run(self, on_turn: Callable[[Turn], None] | None = None) -> Transcript:
        """Run to the end and return the transcript; `on_turn` sees each stored turn."""
        for turn in self.play():
            if on_turn is not None:
                on_turn(turn)
        return self.transcript()

    def transcript(self) -> Transcript:
        """The turns so far and why the session stopped."""
        transcript = self.state.transcript()
        if self.outcome is not None and self.outcome.status != COMPLETED:
            transcript.stop_reason = self.outcome.reason
        return transcript

    def finish(self, reason: str | None = None) -> Outcome:
        """End as completed with the stop rule's reason (or `reason`, when a person ends it)."""
        return self.end(completed(reason or self.state.stop_reason or "max_turns"))

    def interrupt(self, reason: str = KEYBOARD) -> Outcome:
        """End as interrupted; a session with no turn yet leaves no row."""
        return self.end(interrupted(reason))

    def fail(self, error: str, reason: str = "error") -> Outcome:
        """End as failed, keeping the error (the row is created if need be)."""
        return self.end(failed(error, reason))

    def end(self, outcome: Outcome) -> Outcome:
        """Store how the session ended; only the first ending counts."""
        if self.outcome is not None:
            return self.outcome
        self.outcome = outcome
        if self.session_id is None and outcome.status == INTERRUPTED:
            return outcome  # nothing was said: no empty row
        self.store.finish_session(self.begin(), outcome.status, outcome.reason, error=outcome.error)
        return outcome


def _spec(speaker) -> str:
    return getattr(speaker, "spec", "") or getattr(getattr(speaker, "backend", None), "spec", "")
