"""The `openai:MODEL` backend: one client for OpenAI and every server that speaks its chat API.

vLLM, Ollama and llama.cpp all expose `/v1/chat/completions`, so practicum scales past one
machine by being a thin, concurrent client of such a server. Retries are done here, not by
the SDK (it runs with `max_retries=0`), so which errors are retried, how long we wait and how
many retries a run cost are explicit, counted and testable (the policy is shared with the
fine-tuning client, in `openai_errors`). The API key is never printed, logged, shown in a repr
or put into an error message; server text we quote is redacted.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import openai

from practicum.agents.backends.base import Completion, GenerationOptions, Message, Usage
from practicum.agents.backends.openai_auth import find_api_key
from practicum.agents.backends.openai_errors import (
    OPENAI_URL, RETRY_STATUSES, GaveUp, Redactor, RetryPolicy, call_with_retries, display_url, error_code,
    is_openai_url, is_quota_error, one_line, retries_phrase, server_message,
)
from practicum.agents.backends.sentence_stop import cut_sentences
from practicum.errors import BackendError

__all__ = ["OpenAIChatBackend", "OPENAI_URL", "RETRY_STATUSES", "KEY_PLACEHOLDER"]

KEY_PLACEHOLDER = "not-needed"  # local servers ignore the key, but the SDK insists on one


class OpenAIChatBackend:
    """Chat completions from any OpenAI-compatible endpoint, with explicit retries."""

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        max_retries: int = 4,
        timeout: float = 60.0,
        concurrency: int = 8,
        backoff_base: float = 0.5,
        max_wait: float = 30.0,
    ) -> None:
        if not model:
            raise BackendError("openai: backend needs a model name, e.g. openai:gpt-4o-mini")
        if concurrency < 1:
            raise BackendError(f"concurrency must be at least 1, got {concurrency}")
        self.model = model
        self.spec = f"openai:{model}"
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_URL).rstrip("/")
        self.max_retries = max(0, max_retries)
        self.timeout = timeout
        self.concurrency = concurrency
        self.backoff_base = backoff_base
        self.max_wait = max_wait
        self.requests_sent = 0
        self.retries = 0
        self._where = display_url(self.base_url)
        self._sleep = time.sleep  # tests swap this to record waits instead of sleeping
        self._lock = threading.Lock()
        key = api_key or find_api_key()
        if key is None:
            if is_openai_url(self.base_url):
                raise BackendError(
                    f"OPENAI_API_KEY is not set; export it or pass api_key=... ({self.spec} at {self._where})"
                )
            key = KEY_PLACEHOLDER
        # Held only for redaction; the client below is the one place the key is used.
        self._redact = Redactor(key if key != KEY_PLACEHOLDER else None)
        self._client = openai.OpenAI(api_key=key, base_url=self.base_url, max_retries=0, timeout=timeout)

    def __repr__(self) -> str:
        return f"OpenAIChatBackend(spec={self.spec!r}, base_url={self._where!r})"

    def complete(self, messages: list[Message], options: GenerationOptions | None = None) -> Completion:
        """Answer one conversation, retrying transient failures with backoff."""
        options = options or GenerationOptions()
        kwargs = self._request_args(messages, options)
        started = time.perf_counter()
        response = self._call_with_retries(kwargs)
        latency = time.perf_counter() - started
        if not response.choices:
            raise BackendError(f"{self._where} returned no choices for model {self.model!r}")
        usage = response.usage
        return Completion(
            text=cut_sentences(response.choices[0].message.content or "", options.max_sentences, options.accept),
            usage=Usage(
                prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            ),
            model=response.model or self.model,
            latency=latency,
        )

    def complete_batch(
        self,
        requests: list[list[Message]],
        options: GenerationOptions | list[GenerationOptions] | None = None,
    ) -> list[Completion]:
        """Answer several conversations concurrently (at most `concurrency` at once), in order."""
        if isinstance(options, list):
            if len(options) != len(requests):
                raise BackendError(f"complete_batch got {len(options)} options for {len(requests)} requests")
            per_request = options
        else:
            per_request = [options] * len(requests)
        if not requests:
            return []
        workers = min(self.concurrency, len(requests))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="openai-chat") as pool:
            return list(pool.map(self.complete, requests, per_request))

    def close(self) -> None:
        """Release the HTTP connections held by the client."""
        self._client.close()

    def _request_args(self, messages: list[Message], options: GenerationOptions) -> dict:
        kwargs: dict = {
            "model": self.model,
            "messages": messages,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
        }
        # Omitted rather than sent as null/[]: some local servers reject those.
        if options.seed is not None:
            kwargs["seed"] = options.seed
        if options.stop:
            kwargs["stop"] = list(options.stop)
        return kwargs

    def _call_with_retries(self, kwargs: dict):
        try:
            return call_with_retries(
                lambda: self._client.chat.completions.create(**kwargs),
                RetryPolicy(self.max_retries, self.backoff_base, self.max_wait),
                label=self.spec, where=self._where, sleep=self._sleep,
                on_request=self._count_request, on_retry=self._count_retry,
            )
        except GaveUp as gave_up:
            exc = gave_up.error
            if isinstance(exc, openai.APIStatusError):
                # Not chained: the SDK error quotes the server's reply, which may echo the key;
                # ours carries the status and the (redacted) server message instead.
                raise self._status_error(exc, gave_up.retries) from None
            raise self._connection_error(exc, gave_up.retries) from exc

    def _count_request(self) -> None:
        with self._lock:
            self.requests_sent += 1

    def _count_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def _status_error(self, exc: openai.APIStatusError, retries: int) -> BackendError:
        status = exc.status_code
        after = retries_phrase(retries)
        if status == 401:
            return BackendError(
                f"{self._where} rejected the API key (HTTP 401); check OPENAI_API_KEY or pass api_key=..."
            )
        if status == 403:
            return BackendError(f"{self._where} refused access to model {self.model!r} (HTTP 403) with this API key")
        if status == 404:
            return BackendError(
                f"model {self.model!r} not found at {self._where} (HTTP 404); "
                "check the model name and that the base URL ends in /v1"
            )
        if is_quota_error(exc):
            return BackendError(
                f"quota exceeded at {self._where} (HTTP 429 {error_code(exc)}), not retried: {self._detail(exc)}"
            )
        if status == 429:
            return BackendError(f"rate limited by {self._where}: still HTTP 429{after}; {self._detail(exc)}")
        return BackendError(f"{self._where} failed with HTTP {status}{after}: {self._detail(exc)}")

    def _connection_error(self, exc: openai.APIConnectionError, retries: int) -> BackendError:
        after = retries_phrase(retries)
        if isinstance(exc, openai.APITimeoutError):
            return BackendError(f"cannot reach {self._where}: no reply within {self.timeout:g}s{after}")
        cause = exc.__cause__ or exc
        return BackendError(f"cannot reach {self._where}{after}: {self._redact(one_line(str(cause)))}")

    def _detail(self, exc: openai.APIStatusError) -> str:
        """The server's own error message, on one line, without the key."""
        return server_message(exc, self._redact)
