"""The `openai:MODEL` backend: one client for OpenAI and every server that speaks its chat API.

vLLM, Ollama and llama.cpp all expose `/v1/chat/completions`, so practicum scales past one
machine by being a thin, concurrent client of such a server. Retries are done here, not by
the SDK (it runs with `max_retries=0`), so which errors are retried, how long we wait and how
many retries a run cost are explicit, counted and testable. The API key is never printed,
logged, shown in a repr or put into an error message; server text we quote is redacted.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import openai

from practicum.agents.backends.base import Completion, GenerationOptions, Message, Usage
from practicum.errors import BackendError

log = logging.getLogger(__name__)

OPENAI_URL = "https://api.openai.com/v1"
KEY_PLACEHOLDER = "not-needed"  # local servers ignore the key, but the SDK insists on one
RETRY_STATUSES = frozenset({408, 409, 429})  # plus every 5xx


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
        self._where = _display_url(self.base_url)
        self._sleep = time.sleep  # tests swap this to record waits instead of sleeping
        self._lock = threading.Lock()
        key = api_key or os.environ.get("OPENAI_API_KEY") or None
        if key is None:
            if _is_openai(self.base_url):
                raise BackendError(
                    f"OPENAI_API_KEY is not set; export it or pass api_key=... ({self.spec} at {self._where})"
                )
            key = KEY_PLACEHOLDER
        # Held only for redaction (a very short key would mangle every message and secures nothing);
        # the client below is the one place the key is used.
        self._secret = key if key != KEY_PLACEHOLDER and len(key) >= 6 else None
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
            text=response.choices[0].message.content or "",
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
        attempt = 0
        while True:
            with self._lock:
                self.requests_sent += 1
            try:
                return self._client.chat.completions.create(**kwargs)
            except openai.APIStatusError as exc:
                status = exc.status_code
                transient = status in RETRY_STATUSES or status >= 500
                if not transient or attempt >= self.max_retries:
                    # Not chained: the SDK error quotes the server's reply, which may echo the key;
                    # ours carries the status and the (redacted) server message instead.
                    raise self._status_error(exc, attempt) from None
                wait = self._wait_for(attempt, exc.response.headers)
                reason = f"HTTP {status}"
            except openai.APIConnectionError as exc:
                if attempt >= self.max_retries:
                    raise self._connection_error(exc, attempt) from exc
                wait = self._wait_for(attempt, None)
                reason = "timeout" if isinstance(exc, openai.APITimeoutError) else "connection error"
            attempt += 1
            with self._lock:
                self.retries += 1
            log.info(
                "%s: %s from %s; retry %d/%d in %.2fs",
                self.spec, reason, self._where, attempt, self.max_retries, wait,
            )
            self._sleep(wait)

    def _wait_for(self, attempt: int, headers) -> float:
        """Seconds to wait before the next try: the server's retry-after if given, else backoff."""
        hinted = _retry_after(headers) if headers is not None else None
        if hinted is not None:
            return min(max(hinted, 0.0), self.max_wait)
        delay = min(self.backoff_base * 2**attempt, self.max_wait)
        # Jitter (half to full delay) spreads out sessions that failed at the same moment.
        return random.uniform(delay / 2, delay)

    def _status_error(self, exc: openai.APIStatusError, retries: int) -> BackendError:
        status = exc.status_code
        after = _after(retries)
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
        if status == 429:
            return BackendError(f"rate limited by {self._where}: still HTTP 429{after}; {self._detail(exc)}")
        return BackendError(f"{self._where} failed with HTTP {status}{after}: {self._detail(exc)}")

    def _connection_error(self, exc: openai.APIConnectionError, retries: int) -> BackendError:
        after = _after(retries)
        if isinstance(exc, openai.APITimeoutError):
            return BackendError(f"cannot reach {self._where}: no reply within {self.timeout:g}s{after}")
        cause = exc.__cause__ or exc
        return BackendError(f"cannot reach {self._where}{after}: {self._redact(_one_line(str(cause)))}")

    def _detail(self, exc: openai.APIStatusError) -> str:
        """The server's own error message, on one line, without the key."""
        body = exc.body
        if isinstance(body, dict):
            inner = body.get("error", body)
            message = inner.get("message") if isinstance(inner, dict) else inner
        else:
            message = body or exc.message
        return self._redact(_one_line(str(message)))[:300]

    def _redact(self, text: str) -> str:
        if self._secret:
            text = text.replace(self._secret, "***")
        return text


def _is_openai(base_url: str) -> bool:
    """True when the URL is OpenAI's own API, where a key is mandatory."""
    host = urlsplit(base_url).hostname or ""
    return host == "openai.com" or host.endswith(".openai.com")


def _display_url(url: str) -> str:
    """The URL without any user:password part, safe for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _retry_after(headers) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date), if present."""
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError, IndexError):
        return None


def _after(retries: int) -> str:
    return f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())
