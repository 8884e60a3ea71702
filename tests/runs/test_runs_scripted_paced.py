"""`scripted:delay=S,vary=1`: a slow, never-repeating scripted backend for crash and load tests."""

from __future__ import annotations

import time

import pytest

from practicum.agents.backends.base import GenerationOptions
from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.backends.scripted_paced import PacedScriptedBackend, varied_reply
from practicum.agents.backends.spec import make_backend, parse_spec
from practicum.errors import BackendError

HELLO = [{"role": "user", "content": "hello"}]


def test_pacing_options_parse_and_build():
    spec = parse_spec("scripted:delay=0.02,vary=1")
    assert spec.options == {"delay": "0.02", "vary": "1"}
    backend = make_backend(spec)
    assert isinstance(backend, PacedScriptedBackend) and backend.delay == 0.02 and backend.vary
    assert backend.spec == "scripted:delay=0.02,vary=1"


def test_plain_reply_lists_keep_their_meaning():
    assert parse_spec("scripted:A|B").options == {"replies": "A|B"}
    assert parse_spec("scripted:Yes, delay=3 is fine").options == {"replies": "Yes, delay=3 is fine"}
    backend = make_backend("scripted:first|second")
    assert type(backend) is ScriptedBackend and backend.complete(HELLO).text == "first"


@pytest.mark.parametrize("bad,message", [
    ("scripted:delay=soon", "delay must be a number"),
    ("scripted:delay=-1", "between 0 and"),
    ("scripted:vary=maybe", "vary must be 1 or 0"),
])
def test_bad_pacing_options(bad, message):
    with pytest.raises(BackendError, match=message):
        parse_spec(bad)


def test_delay_is_waited_per_reply():
    backend = make_backend("scripted:delay=0.05")
    start = time.perf_counter()
    backend.complete_batch([HELLO, HELLO])
    assert time.perf_counter() - start >= 0.1


def test_varied_replies_are_reproducible_and_digit_free():
    backend = make_backend("scripted:vary=1")
    a = backend.complete(HELLO, GenerationOptions(seed=1)).text
    assert a == backend.complete(HELLO, GenerationOptions(seed=1)).text == varied_reply(HELLO, 1)
    others = {varied_reply(HELLO + [{"role": "assistant", "content": str(i)}], 1) for i in range(200)}
    assert len(others) >= 195  # practically never the same line twice
    assert not any(ch.isdigit() for text in others | {a} for ch in text)
    assert backend.complete(HELLO, GenerationOptions(seed=2)).text != a
