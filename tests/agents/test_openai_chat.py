"""The openai: backend against a fake server over real loopback HTTP, with the real SDK in between."""

from __future__ import annotations

import logging
import socket
import traceback

import pytest

from practicum.agents.backends.base import ChatBackend, Completion, GenerationOptions
from practicum.agents.backends.openai_chat import OpenAIChatBackend
from practicum.errors import BackendError
from tests.fakes.openai_server import FakeOpenAIServer

KEY = "sk-test-SECRET-4242"
HELLO = [{"role": "user", "content": "hello there"}]


@pytest.fixture
def server():
    with FakeOpenAIServer(api_key=KEY) as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_openai_env(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def make_backend(server, **kwargs) -> OpenAIChatBackend:
    kwargs = {"base_url": server.base_url, "api_key": KEY, "backoff_base": 0.01, **kwargs}
    return OpenAIChatBackend("tiny-tutor", **kwargs)


def assert_no_key(err: BaseException) -> None:
    text = "".join(traceback.format_exception(err))
    assert KEY not in str(err) and KEY not in repr(err) and KEY not in text


def test_complete_returns_scripted_text_and_usage(server):
    server.queue_reply("Let's count the apples together.")
    backend = make_backend(server)
    assert isinstance(backend, ChatBackend)
    assert backend.spec == "openai:tiny-tutor"

    completion = backend.complete(HELLO)

    assert isinstance(completion, Completion)
    assert completion.text == "Let's count the apples together."
    assert completion.usage.completion_tokens == 5
    assert completion.usage.prompt_tokens > 0
    assert completion.model == "tiny-tutor"
    assert completion.latency > 0
    assert (backend.requests_sent, backend.retries) == (1, 0)


def test_request_body_carries_options_and_messages(server):
    messages = [{"role": "system", "content": "You are a tutor."}, *HELLO]
    options = GenerationOptions(max_tokens=33, temperature=0.2, top_p=0.5, seed=7, stop=["\n\n"])

    make_backend(server).complete(messages, options)

    (body,) = server.chat_requests
    assert body["model"] == "tiny-tutor"
    assert body["messages"] == messages
    assert (body["max_tokens"], body["temperature"], body["top_p"]) == (33, 0.2, 0.5)
    assert body["seed"] == 7
    assert body["stop"] == ["\n\n"]
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_unset_seed_and_stop_are_not_sent(server):
    make_backend(server).complete(HELLO)

    (body,) = server.chat_requests
    assert "seed" not in body and "stop" not in body


def test_429_with_retry_after_then_success_counts_one_retry(server):
    server.fail_next(429, headers={"retry-after": "0"})
    server.queue_reply("after the wait")
    backend = make_backend(server)

    assert backend.complete(HELLO).text == "after the wait"
    assert (backend.requests_sent, backend.retries) == (2, 1)


def test_retry_after_header_sets_the_wait_and_is_capped(server):
    server.fail_next(429, headers={"retry-after": "7"})
    server.fail_next(503, headers={"retry-after": "3600"})
    backend = make_backend(server, max_wait=20.0)
    waits: list[float] = []
    backend._sleep = waits.append

    backend.complete(HELLO)

    assert waits == [7.0, 20.0]


def test_backoff_grows_exponentially_without_retry_after(server):
    server.fail_next(500, times=3)
    backend = make_backend(server, backoff_base=1.0)
    waits: list[float] = []
    backend._sleep = waits.append

    backend.complete(HELLO)

    assert len(waits) == 3
    for attempt, wait in enumerate(waits):
        assert 2**attempt / 2 <= wait <= 2**attempt


def test_500_twice_then_success(server):
    server.fail_next(500, times=2)
    server.queue_reply("third time lucky")
    backend = make_backend(server)

    assert backend.complete(HELLO).text == "third time lucky"
    assert (backend.requests_sent, backend.retries) == (3, 2)


def test_rate_limit_exhausted_says_so(server):
    server.fail_next(429, headers={"retry-after": "0"}, times=10)
    backend = make_backend(server, max_retries=2)

    with pytest.raises(BackendError, match="rate limited.*429 after 2 retries") as info:
        backend.complete(HELLO)
    assert (backend.requests_sent, backend.retries) == (3, 2)
    assert "\n" not in str(info.value)


def test_401_says_key_rejected_without_leaking_it(server, caplog):
    caplog.set_level(logging.DEBUG)
    backend = make_backend(server, api_key="sk-wrong-" + KEY)

    with pytest.raises(BackendError, match="rejected the API key") as info:
        backend.complete(HELLO)

    assert_no_key(info.value)
    assert KEY not in repr(backend) and KEY not in caplog.text
    assert backend.retries == 0


def test_server_text_quoting_the_key_is_redacted(server):
    server.fail_next(400, body={"error": {"message": f"bad request for key {KEY}"}})

    with pytest.raises(BackendError, match=r"HTTP 400.*\*\*\*") as info:
        make_backend(server).complete(HELLO)
    assert_no_key(info.value)


def test_404_names_the_model(server):
    server.fail_next(404, body={"error": {"message": "The model does not exist"}})

    with pytest.raises(BackendError, match="model 'tiny-tutor' not found"):
        make_backend(server).complete(HELLO)


def test_unreachable_port_says_cannot_reach():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    backend = OpenAIChatBackend("tiny-tutor", base_url=url, api_key=KEY, max_retries=1, backoff_base=0.01)

    with pytest.raises(BackendError, match=f"cannot reach {url}") as info:
        backend.complete(HELLO)
    assert_no_key(info.value)
    assert (backend.requests_sent, backend.retries) == (2, 1)


def test_complete_batch_keeps_order(server):
    backend = make_backend(server, concurrency=3)
    requests = [[{"role": "user", "content": f"question {i}"}] for i in range(5)]

    completions = backend.complete_batch(requests, GenerationOptions(max_tokens=10))

    assert [c.text for c in completions] == [f"echo: question {i}" for i in range(5)]
    assert backend.requests_sent == 5
    assert {body["max_tokens"] for body in server.chat_requests} == {10}


def test_complete_batch_takes_one_options_per_request(server):
    backend = make_backend(server)
    requests = [HELLO, HELLO]

    backend.complete_batch(requests, [GenerationOptions(seed=1), GenerationOptions(seed=2)])

    assert sorted(body["seed"] for body in server.chat_requests) == [1, 2]
    with pytest.raises(BackendError, match="1 options for 2 requests"):
        backend.complete_batch(requests, [GenerationOptions()])


def test_env_vars_configure_url_and_key(server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    server.queue_reply("configured from the environment")

    backend = OpenAIChatBackend("tiny-tutor")

    assert backend.base_url == server.base_url
    assert backend.complete(HELLO).text == "configured from the environment"
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_local_server_needs_no_key():
    with FakeOpenAIServer() as open_server:
        backend = OpenAIChatBackend("llama", base_url=open_server.base_url)
        assert backend.complete(HELLO).text == "echo: hello there"


def test_openai_url_without_key_is_refused():
    with pytest.raises(BackendError, match="OPENAI_API_KEY is not set"):
        OpenAIChatBackend("gpt-4o-mini")


def test_credentials_in_base_url_stay_out_of_messages():
    backend = OpenAIChatBackend("m", base_url="http://user:hunter2@127.0.0.1:9/v1", max_retries=0)

    assert "hunter2" not in repr(backend)
    with pytest.raises(BackendError) as info:
        backend.complete(HELLO)
    assert "hunter2" not in str(info.value)


def test_a_sentence_budget_cuts_the_servers_reply(server):
    server.queue_reply("I added the tops and the bottoms. So it is 2/7. Is that right?")
    server.queue_reply("I added the tops and the bottoms. So it is 2/7. Is that right?")
    backend = make_backend(server)
    assert backend.complete(HELLO, GenerationOptions(max_sentences=1)).text == "I added the tops and the bottoms."
    assert backend.complete(HELLO, GenerationOptions()).text.endswith("Is that right?")
