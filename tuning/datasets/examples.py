"""Per-turn training examples rendered with the very prompt the running role sends.

Every turn of the trained role becomes an example whose prompt is `Role.messages(scenario,
history before the turn)` from `practicum.agents.roles`: the same system prompt, opening line and
cues the Teacher or Student sends at inference, so a tuned model sees at training time exactly
what it will see when it runs. `pack_conversations` folds a session's examples back into
multi-turn conversations wherever one example's prompt plus its reply is a prefix of the next
one's, so formats with per-message weights do not repeat the history for every turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from practicum.tuning.datasets.selection import Alternative, ExportFilters, SessionData


@dataclass
class TurnExample:
    """One trainable turn in context: the prompt before it, what to train on, and whether to learn it."""

    session_id: int
    scenario_id: str
    turn_idx: int
    prompt: list[dict]  # chat messages before the turn, as the role renders them
    inputs: dict  # the role's DSPy inputs (situation, dialogue) for the same turn
    target: Alternative  # the text to learn: the turn, or its latest rewrite
    learned: bool  # False when the target is scored below the minimum turn rating
    move: str | None = None

    @property
    def completion(self) -> str:
        """The text the model should produce at this turn (within the row bound of agents/prompt_budget.py)."""
        from practicum.agents.prompt_budget import clip_reply

        return clip_reply(self.target.text)


def make_role(name: str):
    """A fresh Teacher or Student module (no compiled demos): the prompt a default run sends."""
    from practicum.agents.roles import Student, Teacher

    return {"teacher": Teacher, "student": Student}[name]()


def turn_examples(session: SessionData, role, filters: ExportFilters) -> list[TurnExample]:
    """One example per turn of `role.speaker` in this session, in order."""
    examples = []
    for position, turn in enumerate(session.turns):
        if turn.role != role.speaker:
            continue
        history = session.turns[:position]
        target, learned = session.target(turn, filters)
        examples.append(TurnExample(
            session_id=session.session_id, scenario_id=session.scenario.id, turn_idx=turn.idx,
            prompt=role.messages(session.scenario, history), inputs=role.inputs(session.scenario, history),
            target=target, learned=learned, move=turn.move,
        ))
    return examples


def assistant(text: str) -> dict:
    """An assistant chat message."""
    return {"role": "assistant", "content": text}


def pack_conversations(examples: list[TurnExample]) -> list[list[dict]]:
    """Fold one session's examples into conversations whose assistant messages carry weight 1 (learn) or 0.

    An example joins the running conversation when that conversation is a prefix of its prompt;
    otherwise (a cue inserted between two same-role turns, a rewrite replacing a turn) it starts
    a new one. Assistant messages that are only prompt (the student's opening attempt) get weight 0;
    a conversation is trimmed after its last learned reply and dropped when it has none.
    """
    conversations: list[list[dict]] = []
    plain: list[dict] = []
    weighted: list[dict] = []
    for example in examples:
        if plain and example.prompt[: len(plain)] == plain:
            extra = example.prompt[len(plain):]
        else:
            _flush(weighted, conversations)
            plain, weighted, extra = [], [], example.prompt
        for message in extra:
            plain.append(message)
            weighted.append({**message, "weight": 0} if message["role"] == "assistant" else dict(message))
        plain.append(assistant(example.completion))
        weighted.append({**assistant(example.completion), "weight": 1 if example.learned else 0})
    _flush(weighted, conversations)
    return conversations


def _flush(weighted: list[dict], conversations: list[list[dict]]) -> None:
    last = max((i for i, m in enumerate(weighted) if m.get("weight") == 1), default=None)
    if last is not None:
        conversations.append(weighted[: last + 1])


@dataclass
class ExportRow:
    """One record of an export file, with the scenario it belongs to (for the split) and what it teaches."""

    scenario_id: str
    session_id: int
    data: dict
    learned: int = 0  # replies learned from this record
    context_only: int = 0  # replies present only as context (weight 0)
    meta: dict = field(default_factory=dict)  # session, turn and scenario fields (example_meta)
