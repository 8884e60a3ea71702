"""The ChatBackend seam: every model practicum talks to answers chat messages the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}
ROLE_TEMPERATURE = 0.3  # what Teacher and Student sample at unless --temperature says otherwise


class GenerationOptions(BaseModel):
    """Sampling settings for one request; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    max_tokens: int = Field(80, ge=1, le=4096)
    temperature: float = Field(0.7, ge=0.0, le=2.0)
    top_p: float = Field(0.9, gt=0.0, le=1.0)
    seed: int | None = None
    stop: list[str] = Field(default_factory=list)
    max_sentences: int | None = Field(None, ge=1)  # stop after this many finished sentences (sentence_stop.py)
    # With max_sentences: the fidelity gate's verdict on the reply so far; the budget ends at the first finished
    # sentence it accepts (sentence_stop.py). Set per turn by a gated speaker, never stored or sent anywhere.
    accept: Callable[[str], bool] | None = Field(None, exclude=True, repr=False)


@dataclass
class Usage:
    """Token counts for one completion."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


@dataclass
class Completion:
    """One model reply with what it cost."""

    text: str
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    latency: float = 0.0  # seconds, wall clock for this request (its share of a batch)


@runtime_checkable
class ChatBackend(Protocol):
    """Anything that turns chat messages into a completion."""

    spec: str

    def complete(self, messages: list[Message], options: GenerationOptions | None = None) -> Completion:
        """Answer one conversation."""
        ...

    def complete_batch(
        self, requests: list[list[Message]], options: GenerationOptions | list[GenerationOptions] | None = None
    ) -> list[Completion]:
        """Answer several conversations, in one forward pass where the backend can."""
        ...
