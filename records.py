"""Values produced by a session: turns and the transcript they form."""

from __future__ import annotations

from dataclasses import dataclass, field

TEACHER = "teacher"
STUDENT = "student"
ROLES = (TEACHER, STUDENT)
MOVES = ("focus", "probing", "telling", "generic")


@dataclass
class Turn:
    """One utterance in a session."""

    idx: int
    role: str  # "teacher" | "student"
    text: str
    move: str | None = None  # teacher move label, when known
    move_source: str | None = None  # "human" (imported label) | "predicted"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency: float = 0.0  # seconds
    model: str = ""  # backend spec or "human"
    metadata: dict = field(default_factory=dict)  # e.g. the student's knowledge state and the gate's record


@dataclass
class Transcript:
    """A finished or stopped session: its turns and why it ended."""

    scenario_id: str
    turns: list[Turn] = field(default_factory=list)
    stop_reason: str = ""
    seed: int | None = None
