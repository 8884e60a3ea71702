"""The session loop: Scenario -> turns. Pure: no I/O; callers persist each turn through a callback.

`SessionState` holds one conversation and its stop rules, so a driver can advance many
sessions together (batching); `simulate` is the simple one-session driver.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterator, Protocol

from practicum.agents.backends.base import ROLE_TEMPERATURE, ChatBackend, Completion, GenerationOptions, Message
from practicum.agents.roles import END_MARKER, Role
from practicum.records import STUDENT, TEACHER, Transcript, Turn
from practicum.errors import BackendError, PracticumError
from practicum.scenarios.answers import states_answer
from practicum.scenarios.model import Scenario

HUMAN_END = "/end"


class SessionError(PracticumError):
    """A speaker could not produce a usable turn."""


@dataclass
class SessionOptions:
    """How long a session runs and how it is sampled."""

    max_turns: int = 10
    seed: int | None = None
    teacher_first: bool = True
    stop_on_answer: bool = True
    loop_window: int = 4  # a speaker repeating one of its last N utterances ends the session
    teacher_options: GenerationOptions = field(
        default_factory=lambda: GenerationOptions(max_tokens=60, temperature=ROLE_TEMPERATURE))
    # The student stops at its first finished sentence the fidelity gate accepts (agents/backends/sentence_stop.py;
    # `sentences=off` in its spec: no budget): replies in about half the time, as human-like by the fidelity
    # replay (README, "The student").
    student_options: GenerationOptions = field(
        default_factory=lambda: GenerationOptions(max_tokens=48, temperature=ROLE_TEMPERATURE, max_sentences=1))


@dataclass
class Reply:
    """What a speaker produced for one turn."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency: float = 0.0
    model: str = ""
    ends_session: bool = False
    metadata: dict = field(default_factory=dict)  # stored with the turn: knowledge state, gate record


class Speaker(Protocol):
    """Either side of the conversation: an agent or a human."""

    role: str

    def reply(self, scenario: Scenario, history: list[Turn], seed: int | None) -> Reply:
        """Produce the next turn."""
        ...


class AgentSpeaker:
    """A role module answering through a backend, its replies checked by the fidelity gate.

    `gate` is how many candidates each turn samples in one batch (agents/fidelity_gate.py): 0 turns
    the gate off (the completion is used as cleaned), 1 checks and repairs the one completion.
    `best_of` (with a `ranker`, agents/best_of.py) samples that many candidates in the batch and keeps
    the one the ranker scores best among those the gate allows; every candidate is kept in the metadata.
    """

    def __init__(self, role: Role, backend: ChatBackend, options: GenerationOptions | None = None, *,
                 spec: str = "", gate: int = 0, best_of: int = 0, ranker=None):
        """Bind a role to a backend with default sampling options; `spec` is the agent spec it was built from."""
        self.role = role.speaker
        self.module = role
        self.backend = backend
        self.options = options or GenerationOptions()
        self.spec = spec or getattr(backend, "spec", "")
        self.gate = max(0, int(gate or 0))
        self.best_of = max(0, int(best_of or 0)) if ranker is not None else 0
        self.ranker = ranker

    @property
    def candidates(self) -> int:
        """Completions sampled per turn (one batch)."""
        return max(1, self.gate, self.best_of)

    def request(self, scenario: Scenario, history: list[Turn], seed: int | None) -> tuple[list[Message], GenerationOptions]:
        """The messages and options for the next turn (for drivers that batch).

        With a sentence budget (`sentences=N` in the spec: `options.max_sentences`), a role with a
        `sentence_budget` adjusts it per turn (the student: one more once it may say the answer);
        local engines stop decoding there. A gated speaker adds the gate's verdict as the budget's
        acceptance check: a reply goes on past its budget while the gate would refuse what it has said.
        """
        update: dict = {"seed": seed}
        budget = getattr(self.module, "sentence_budget", None)
        if callable(budget):
            update["max_sentences"] = budget(scenario, history, self.options.max_sentences)
        if self.gate and self.best_of <= 1 and update.get("max_sentences", self.options.max_sentences):
            # (best-of keeps the plain budget: its ranker wants every candidate, not the first one accepted)
            update["accept"] = self._gate_accepts(scenario, list(history))
        return self.module.messages(scenario, history), self.options.model_copy(update=update)

    def _gate_accepts(self, scenario: Scenario, history: list[Turn]):
        """The fidelity gate's verdict on one reply so far, cleaned as `accept_many` cleans it."""
        from practicum.agents.fidelity_gate import check

        knowledge = getattr(self.module, "knowledge_state_for", None)
        state = knowledge(scenario, history) if callable(knowledge) else None
        role, clean = self.role, self.module.clean

        def accepts(text: str) -> bool:
            return check(clean(_without_end_marker(text) if role == TEACHER else text, scenario), role, scenario,
                         history, state).clean

        return accepts

    def candidate_options(self, options: GenerationOptions) -> list[GenerationOptions]:
        """One options object per candidate: seeds step apart so each candidate samples on its own."""
        if self.candidates == 1:
            return [options]
        seed = options.seed
        return [options.model_copy(update={"seed": None if seed is None else seed + i * 104729})
                for i in range(self.candidates)]

    def accept(self, scenario: Scenario, completion: Completion, history: list[Turn] | None = None) -> Reply:
        """Clean a completion into a Reply; the teacher's [END] marker ends the session."""
        return self.accept_many(scenario, [completion], history)

    def accept_many(self, scenario: Scenario, completions: list[Completion], history: list[Turn] | None = None) -> Reply:
        """Clean the candidates, let the gate keep the best (recorded in the reply's metadata), sum their cost."""
        texts, ends = [], []
        for completion in completions:
            text = completion.text
            end = self.role == TEACHER and END_MARKER.lower() in text.lower()
            if end:
                text = _without_end_marker(text)
            texts.append(self.module.clean(text, scenario))
            ends.append(end)
        metadata, state = {}, None
        knowledge = getattr(self.module, "knowledge_state_for", None)
        if callable(knowledge):
            state = knowledge(scenario, list(history or []))
            if state is not None:
                metadata["knowledge"] = state.as_metadata()
        index, text = 0, texts[0]
        if self.best_of > 1 and any(texts):
            from practicum.agents.best_of import METADATA_KEY, pick

            best = pick(texts, self.role, scenario, list(history or []), state, self.ranker)
            index, text = best.index, best.text
            metadata["gate"] = best.gate.as_metadata()
            metadata[METADATA_KEY] = best.as_metadata()
        elif self.gate and any(texts):
            from practicum.agents.fidelity_gate import choose

            result = choose(texts, self.role, scenario, list(history or []), state)
            index, text = result.index, result.text
            metadata["gate"] = result.as_metadata()
        return Reply(
            text=text, prompt_tokens=sum(c.usage.prompt_tokens for c in completions),
            completion_tokens=sum(c.usage.completion_tokens for c in completions),
            latency=sum(c.latency for c in completions), model=self.backend.spec,
            ends_session=ends[index] if index >= 0 else False, metadata=metadata,
        )

    def complete(self, messages: list[Message], options: GenerationOptions) -> list[Completion]:
        """Ask the backend for this turn's candidates (one batch when there are several)."""
        if self.candidates == 1:
            return [self.backend.complete(messages, options)]
        return self.backend.complete_batch([messages] * self.candidates, self.candidate_options(options))

    def reply(self, scenario: Scenario, history: list[Turn], seed: int | None) -> Reply:
        """Ask the backend; an empty reply is retried once with another seed."""
        for attempt in range(2):
            attempt_seed = None if seed is None else seed + attempt * 7919
            messages, options = self.request(scenario, history, attempt_seed)
            try:
                completions = self.complete(messages, options)
            except BackendError:
                raise
            except Exception as exc:  # a backend bug must fail this session, not the caller
                raise SessionError(f"{self.role} backend {self.backend.spec} failed: {exc}") from exc
            reply = self.accept_many(scenario, completions, history)
            if reply.text or reply.ends_session:
                return reply
        raise SessionError(f"{self.role} backend {self.backend.spec} returned an empty reply twice")


class HumanSpeaker:
    """A person typing: `ask(scenario, history)` returns their text; '/end' ends the session.

    `ask` raises EOFError when input has ended and KeyboardInterrupt on Ctrl-C; the SessionRunner
    stores either as an interrupted session. A screen that feeds turns itself passes no `ask`.
    """

    module = None  # no role program: a person speaks

    def __init__(self, role: str, ask: Callable[[Scenario, list[Turn]], str] | None = None, *, spec: str = "human"):
        """Wrap an input function for `role`."""
        self.role = role
        self.ask = ask
        self.spec = spec

    def reply(self, scenario: Scenario, history: list[Turn], seed: int | None) -> Reply:
        """Return what the person typed."""
        if self.ask is None:
            raise SessionError(f"the {self.role} is typed in by a person; nothing asks them here")
        text = (self.ask(scenario, history) or "").strip()
        if text.lower() == HUMAN_END:
            return Reply(text="", model="human", ends_session=True)
        return Reply(text=text, model="human")


def _without_end_marker(text: str) -> str:
    return re.sub(re.escape(END_MARKER), "", text, flags=re.I)


def _normalize(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


class SessionState:
    """One conversation in progress: whose turn it is, its turns, and whether a stop rule fired."""

    def __init__(self, scenario: Scenario, options: SessionOptions | None = None, turns: list[Turn] | None = None):
        """Start (or resume from `turns`) a session on `scenario`."""
        self.scenario = scenario
        self.options = options or SessionOptions()
        self.turns: list[Turn] = list(turns or [])
        self.stop_reason = ""

    @property
    def done(self) -> bool:
        """True once a stop rule fired or the turn budget is spent."""
        if not self.stop_reason and len(self.turns) >= self.options.max_turns:
            self.stop_reason = "max_turns"
        return bool(self.stop_reason)

    def next_role(self) -> str:
        """The role that speaks next."""
        first, second = (TEACHER, STUDENT) if self.options.teacher_first else (STUDENT, TEACHER)
        return first if len(self.turns) % 2 == 0 else second

    def turn_seed(self) -> int | None:
        """Seed for the next turn, derived from the session seed so a session can be reproduced."""
        return None if self.options.seed is None else self.options.seed * 1000 + len(self.turns)

    def add(self, reply: Reply) -> Turn | None:
        """Append a reply as the next turn and apply the stop rules; returns the turn (None if empty)."""
        role = self.next_role()
        turn = None
        if reply.text:
            turn = Turn(
                idx=len(self.turns), role=role, text=reply.text, prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens, latency=reply.latency, model=reply.model,
                metadata=dict(reply.metadata),
            )
            self._check_loop(turn)
            self.turns.append(turn)
            if role == STUDENT and self.options.stop_on_answer and states_answer(turn.text, self.scenario.answer):
                self.stop_reason = self.stop_reason or "student_answered"
        if reply.ends_session:
            self.stop_reason = self.stop_reason or ("teacher_ended" if role == TEACHER else "student_ended")
        elif turn is None:
            self.stop_reason = self.stop_reason or "empty_reply"
        return turn

    def _check_loop(self, turn: Turn) -> None:
        mine = [t for t in self.turns if t.role == turn.role][-self.options.loop_window :]
        current = _normalize(turn.text)
        if current and any(_normalize(t.text) == current for t in mine):
            self.stop_reason = "loop_guard"

    def transcript(self) -> Transcript:
        """The turns so far with why the session stopped."""
        return Transcript(self.scenario.id, list(self.turns), self.stop_reason, self.options.seed)


def simulate(
    scenario: Scenario,
    teacher: Speaker,
    student: Speaker,
    options: SessionOptions | None = None,
    on_turn: Callable[[Turn], None] | None = None,
    history: list[Turn] | None = None,
) -> Iterator[Turn]:
    """Run one session, yielding each turn after `on_turn` has persisted it; `history` resumes a session."""
    state = SessionState(scenario, options, history)
    speakers = {TEACHER: teacher, STUDENT: student}
    while not state.done:
        speaker = speakers[state.next_role()]
        reply = speaker.reply(scenario, state.turns, state.turn_seed())
        turn = state.add(reply)
        if turn is not None:
            if on_turn is not None:
                on_turn(turn)
            yield turn
    return state.transcript()


def run_to_end(scenario: Scenario, teacher: Speaker, student: Speaker, options: SessionOptions | None = None,
               on_turn: Callable[[Turn], None] | None = None) -> Transcript:
    """Run a session to its end and return the transcript."""
    gen = simulate(scenario, teacher, student, options, on_turn)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value
