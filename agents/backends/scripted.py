"""A backend that replies from a queue and records what it was sent: for tests and documentation."""

from __future__ import annotations

import time
from collections import deque
from typing import Callable, Iterable

from practicum.agents.backends.base import Completion, GenerationOptions, Message, Usage
from practicum.errors import BackendError


class ScriptedBackend:
    """Replies come from a queue (or a function of the messages); every request is kept in `history`."""

    def __init__(
        self,
        replies: Iterable[str] | None = None,
        *,
        respond: Callable[[list[Message]], str] | None = None,
        default: str | None = "Okay.",
        spec: str = "scripted",
    ):
        """Queue `replies`; when they run out use `respond(messages)`, else `default`, else raise."""
        self.replies = deque(replies or [])
        self.respond = respond
        self.default = default
        self.spec = spec
        self.history: list[tuple[list[Message], GenerationOptions]] = []

    def add(self, *replies: str) -> None:
        """Queue more replies."""
        self.replies.extend(replies)

    def complete(self, messages: list[Message], options: GenerationOptions | None = None) -> Completion:
        """Return the next scripted reply; a queued Exception instance is raised instead."""
        start = time.perf_counter()
        self.history.append(([dict(m) for m in messages], options or GenerationOptions()))
        if self.replies:
            reply = self.replies.popleft()
        elif self.respond is not None:
            reply = self.respond(messages)
        elif self.default is not None:
            reply = self.default
        else:
            raise BackendError("scripted backend: no replies left")
        if isinstance(reply, BaseException):
            raise reply
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in messages)
        return Completion(
            text=reply,
            usage=Usage(prompt_tokens=prompt_words, completion_tokens=len(reply.split())),
            model=self.spec,
            latency=time.perf_counter() - start,
        )

    def complete_batch(
        self, requests: list[list[Message]], options: GenerationOptions | list[GenerationOptions] | None = None
    ) -> list[Completion]:
        """Answer each request in order."""
        per_request = options if isinstance(options, list) else [options] * len(requests)
        return [self.complete(m, o) for m, o in zip(requests, per_request)]
