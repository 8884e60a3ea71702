"""Scripted replies with a per-reply delay and conversation-derived variety, for load and crash tests.

`scripted:delay=0.05,vary=1` behaves like a slow model that never repeats itself: each reply
waits `delay` seconds (so a test can kill a run mid-way, or stress a reader beside a writer),
and with `vary` a reply is made of words picked by hashing the conversation and the seed, so
dialogues do not trip the loop guard, never state a numeric answer, and are reproducible: the
same conversation and seed always get the same reply, in this process or after a resume.
"""

from __future__ import annotations

import hashlib
import time

from practicum.agents.backends.base import Completion, GenerationOptions, Message, Usage
from practicum.agents.backends.scripted import ScriptedBackend
from practicum.errors import BackendError

WORDS = (
    "maybe", "the", "blue", "corner", "counts", "twice", "because", "every", "piece", "looks", "bigger", "than",
    "before", "so", "we", "should", "check", "each", "side", "again", "carefully", "and", "then", "compare",
    "what", "happens", "when", "parts", "change", "shape", "slowly", "together",
)
MAX_DELAY_S = 60.0


def varied_reply(messages: list[Message], seed: int | None, words: int = 7) -> str:
    """A reply chosen by hashing the conversation and seed: deterministic, digit-free, rarely repeated."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(seed).encode())
    for message in messages:
        digest.update(str(message.get("role", "")).encode() + b"\x00")
        digest.update(str(message.get("content", "")).encode("utf-8", "replace") + b"\x01")
    value = int.from_bytes(digest.digest(), "little")
    picked = []
    for _ in range(words):
        value, index = divmod(value, len(WORDS))
        picked.append(WORDS[index])
    return " ".join(picked).capitalize() + "."


def parse_delay(text: str, spec: str) -> float:
    """Seconds from a `delay=` option, checked."""
    try:
        delay = float(text)
    except ValueError:
        raise BackendError(f"backend spec '{spec}': delay must be a number of seconds, got '{text}'") from None
    if not 0 <= delay <= MAX_DELAY_S:
        raise BackendError(f"backend spec '{spec}': delay must be between 0 and {MAX_DELAY_S:g} seconds")
    return delay


class PacedScriptedBackend(ScriptedBackend):
    """A ScriptedBackend that sleeps `delay` seconds per reply and, with `vary`, derives replies from the input."""

    def __init__(self, replies=None, *, delay: float = 0.0, vary: bool = False, spec: str = "scripted"):
        """Queue `replies` (used first); then varied replies when `vary`, else the scripted default."""
        super().__init__(replies, spec=spec)
        self.delay = delay
        self.vary = vary

    def complete(self, messages: list[Message], options: GenerationOptions | None = None) -> Completion:
        """Wait `delay`, then answer from the queue or, with `vary`, from the conversation's hash."""
        start = time.perf_counter()
        if self.delay:
            time.sleep(self.delay)
        if not self.vary or self.replies:
            completion = super().complete(messages, options)
            completion.latency = time.perf_counter() - start
            return completion
        options = options or GenerationOptions()
        self.history.append(([dict(m) for m in messages], options))
        text = varied_reply(messages, options.seed)
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in messages)
        return Completion(
            text=text, usage=Usage(prompt_tokens=prompt_words, completion_tokens=len(text.split())),
            model=self.spec, latency=time.perf_counter() - start,
        )


PACING_KEYS = ("delay", "vary")
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def pacing_options(rest: str, spec: str) -> dict[str, str] | None:
    """Options of `scripted:delay=S,vary=1`; None when `rest` is a plain reply list (`scripted:A|B`)."""
    parts = [p.strip() for p in rest.split(",")] if rest.strip() else []
    if not parts or not all(p.partition("=")[0] in PACING_KEYS and "=" in p for p in parts):
        return None
    options = {}
    for part in parts:
        key, _, value = part.partition("=")
        if key == "delay":
            parse_delay(value, spec)
        elif value.lower() not in TRUE_WORDS | FALSE_WORDS:
            raise BackendError(f"backend spec '{spec}': vary must be 1 or 0, got '{value}'")
        options[key] = value
    return options


def make_paced(options: dict[str, str], spec: str) -> PacedScriptedBackend:
    """Build the backend `pacing_options` described."""
    delay = parse_delay(options.get("delay", "0"), spec)
    return PacedScriptedBackend(delay=delay, vary=options.get("vary", "0").lower() in TRUE_WORDS, spec=spec)
