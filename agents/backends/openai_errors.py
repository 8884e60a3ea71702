"""Retries and error text shared by every client of an OpenAI-compatible API.

The chat backend and the fine-tuning tuner both run the SDK with `max_retries=0` and retry here,
so which errors are retried (429 and 5xx, never a 429 that means the quota is spent), how long
each wait is (the server's retry-after, else jittered exponential backoff) and how many retries a
call cost are one policy, counted and testable. Messages built from server replies go through a
`Redactor`, because a server may echo the API key it was sent.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar
from urllib.parse import urlsplit, urlunsplit

import openai

log = logging.getLogger(__name__)

OPENAI_URL = "https://api.openai.com/v1"
RETRY_STATUSES = frozenset({408, 409, 429})  # plus every 5xx
# A 429 with one of these codes means money, not speed: waiting does not help.
NO_RETRY_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached", "billing_not_active"})

T = TypeVar("T")


@dataclass
class RetryPolicy:
    """How many retries a call gets and how long to wait between them."""

    max_retries: int = 4
    backoff_base: float = 0.5
    max_wait: float = 30.0

    def wait(self, attempt: int, headers=None) -> float:
        """Seconds before retry `attempt + 1`: the server's retry-after if given, else backoff."""
        hinted = retry_after_seconds(headers) if headers is not None else None
        if hinted is not None:
            return min(max(hinted, 0.0), self.max_wait)
        delay = min(self.backoff_base * 2**attempt, self.max_wait)
        # Jitter (half to full delay) spreads out clients that failed at the same moment.
        return random.uniform(delay / 2, delay)


class GaveUp(Exception):
    """A call failed for good: `error` is the SDK's last exception, `retries` how many retries preceded it."""

    def __init__(self, error: Exception, retries: int):
        super().__init__(type(error).__name__)
        self.error = error
        self.retries = retries


def call_with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    label: str,
    where: str,
    sleep: Callable[[float], None] = time.sleep,
    on_request: Callable[[], None] | None = None,
    on_retry: Callable[[], None] | None = None,
) -> T:
    """Run `call`, retrying transient HTTP and connection errors; raise GaveUp when it cannot succeed."""
    attempt = 0
    while True:
        if on_request:
            on_request()
        try:
            return call()
        except openai.APIStatusError as exc:
            if not is_transient(exc) or attempt >= policy.max_retries:
                raise GaveUp(exc, attempt) from None
            wait = policy.wait(attempt, exc.response.headers)
            reason = f"HTTP {exc.status_code}"
        except openai.APIConnectionError as exc:
            if attempt >= policy.max_retries:
                raise GaveUp(exc, attempt) from exc
            wait = policy.wait(attempt)
            reason = "timeout" if isinstance(exc, openai.APITimeoutError) else "connection error"
        attempt += 1
        if on_retry:
            on_retry()
        log.info("%s: %s from %s; retry %d/%d in %.2fs", label, reason, where, attempt, policy.max_retries, wait)
        sleep(wait)


def error_code(exc: openai.APIStatusError) -> str:
    """The machine-readable `code` (or `type`) of an error reply, or ''."""
    body = exc.body
    inner = body.get("error", body) if isinstance(body, dict) else None
    if isinstance(inner, dict):
        return str(inner.get("code") or inner.get("type") or "")
    return str(getattr(exc, "code", None) or "")


def is_quota_error(exc: openai.APIStatusError) -> bool:
    """True for a 429 that means the account's quota or billing limit is spent."""
    return exc.status_code == 429 and error_code(exc) in NO_RETRY_CODES


def is_transient(exc: openai.APIStatusError) -> bool:
    """True when trying the same request again later may succeed."""
    status = exc.status_code
    return (status in RETRY_STATUSES or status >= 500) and not is_quota_error(exc)


class Redactor:
    """Removes one secret from text; a very short key would mangle every message and secures nothing."""

    def __init__(self, secret: str | None):
        self._secret = secret if secret and len(secret) >= 6 else None

    def __call__(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text


def server_message(exc: openai.APIStatusError, redact: Callable[[str], str]) -> str:
    """The server's own error message, on one line, redacted, at most 300 characters."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
    else:
        message = body or exc.message
    return redact(one_line(str(message)))[:300]


def is_openai_url(base_url: str) -> bool:
    """True when the URL is OpenAI's own API, where a key is mandatory."""
    host = urlsplit(base_url).hostname or ""
    return host == "openai.com" or host.endswith(".openai.com")


def display_url(url: str) -> str:
    """The URL without any user:password part, safe for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def retry_after_seconds(headers) -> float | None:
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


def retries_phrase(retries: int) -> str:
    """' after 2 retries' (or '' for none), for error messages."""
    return f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""


def one_line(text: str) -> str:
    """Collapse all whitespace runs to single spaces."""
    return " ".join(text.split())
