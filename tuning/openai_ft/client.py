"""The Files, Fine-tuning jobs and Models calls the tuner makes, with retries and one-line errors.

Every call goes through the retry policy shared with the chat backend (`openai_errors`): 429 and
5xx are retried with the server's retry-after or backoff; a 429 whose code says the quota is spent
is not. Failures become `FineTuningError`s that say which call failed, where, with which HTTP
status and the service's own (redacted) message, so a user sees one line, never a traceback.
Results are plain dicts, so nothing downstream depends on the SDK's types. The base URL is
configurable, so OpenAI-compatible fine-tuning services work too.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import openai

from practicum.agents.backends.openai_auth import find_api_key, key_file_path, missing_key_message
from practicum.agents.backends.openai_errors import (
    OPENAI_URL, GaveUp, Redactor, RetryPolicy, call_with_retries, display_url, error_code, is_quota_error,
    one_line, retries_phrase, server_message,
)
from practicum.errors import BackendError, ConfigError

log = logging.getLogger(__name__)

EVENT_PAGE = 100
MAX_EVENT_PAGES = 50  # 5,000 events: more than any job emits between two polls


class FineTuningError(BackendError):
    """A fine-tuning API call failed; `status` and `code` are the service's, when it answered."""

    def __init__(self, message: str, status: int | None = None, code: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class Page:
    """One page of a newest-first list, and whether older items remain."""

    items: list[dict]
    has_more: bool


class FineTuningClient:
    """A client for one OpenAI-compatible fine-tuning service; the key stays inside the SDK client."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        max_wait: float = 30.0,
        timeout: float = 120.0,
    ) -> None:
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_URL).rstrip("/")
        self.where = display_url(self.base_url)
        key = api_key or find_api_key()
        if not key:
            raise ConfigError(missing_key_message(self.where))
        self.policy = RetryPolicy(max(0, max_retries), backoff_base, max_wait)
        self.requests_sent = 0
        self.retries = 0
        self._sleep = time.sleep  # tests swap this to record waits
        self._redact = Redactor(key)
        self._client = openai.OpenAI(api_key=key, base_url=self.base_url, max_retries=0, timeout=timeout)

    def __repr__(self) -> str:
        return f"FineTuningClient(base_url={self.where!r})"

    def close(self) -> None:
        """Release the HTTP connections."""
        self._client.close()

    # -- files -----------------------------------------------------------------------------

    def upload(self, path: str | Path) -> dict:
        """Upload a JSONL training or validation file with purpose fine-tune."""
        path = Path(path)
        content = path.read_bytes()
        return self._call(
            f"uploading {path.name}",
            lambda: self._client.files.create(file=(path.name, content, "application/jsonl"), purpose="fine-tune"),
        )

    def delete_file(self, file_id: str) -> dict:
        """Delete an uploaded file."""
        return self._call(f"deleting file {file_id}", lambda: self._client.files.delete(file_id))

    # -- jobs ------------------------------------------------------------------------------

    def create_job(
        self, *, model: str, training_file: str, validation_file: str | None = None, method: str = "supervised",
        hyperparameters: dict | None = None, suffix: str | None = None, seed: int | None = None,
    ) -> dict:
        """Create a supervised or DPO job; unset options are left to the service's defaults."""
        kwargs: dict = {
            "model": model, "training_file": training_file,
            "method": {"type": method, method: {"hyperparameters": dict(hyperparameters or {})}},
        }
        for name, value in (("validation_file", validation_file), ("suffix", suffix), ("seed", seed)):
            if value is not None:
                kwargs[name] = value
        return self._call(f"creating a {method} job on {model}", lambda: self._client.fine_tuning.jobs.create(**kwargs))

    def get_job(self, job_id: str) -> dict:
        """The job's current state."""
        return self._call(f"fetching job {job_id}", lambda: self._client.fine_tuning.jobs.retrieve(job_id))

    def cancel_job(self, job_id: str) -> dict:
        """Ask the service to cancel a job; returns its state after the request."""
        return self._call(f"cancelling job {job_id}", lambda: self._client.fine_tuning.jobs.cancel(job_id))

    def list_jobs(self, *, limit: int = 20, after: str | None = None) -> Page:
        """One page of jobs, newest first; `after` is the last job id of the previous page."""
        kwargs = {"limit": limit, **({"after": after} if after else {})}
        page = self._call("listing jobs", lambda: self._client.fine_tuning.jobs.list(**kwargs), raw=True)
        return Page([item.model_dump() for item in page.data], bool(page.has_more))

    def list_events(self, job_id: str, *, limit: int = 20, after: str | None = None) -> Page:
        """One page of a job's events, newest first; `after` is the last event id of the previous page."""
        kwargs = {"limit": limit, **({"after": after} if after else {})}
        page = self._call(
            f"listing events of job {job_id}",
            lambda: self._client.fine_tuning.jobs.list_events(job_id, **kwargs), raw=True,
        )
        return Page([item.model_dump() for item in page.data], bool(page.has_more))

    def events_since(self, job_id: str, last_seen: str | None, page_size: int = EVENT_PAGE) -> list[dict]:
        """Events newer than `last_seen` (all when None), oldest first, paging back until it is found."""
        new: list[dict] = []
        after = None
        for _ in range(MAX_EVENT_PAGES):
            page = self.list_events(job_id, limit=page_size, after=after)
            for event in page.items:
                if event["id"] == last_seen:
                    return new[::-1]
                new.append(event)
            if not page.has_more or not page.items:
                break
            after = page.items[-1]["id"]
        return new[::-1]

    # -- models ----------------------------------------------------------------------------

    def list_models(self) -> list[dict]:
        """Every model the key can use."""
        page = self._call("listing models", lambda: self._client.models.list(), raw=True)
        return [item.model_dump() for item in page.data]

    # -- plumbing --------------------------------------------------------------------------

    def _call(self, action: str, call: Callable, raw: bool = False):
        try:
            result = call_with_retries(
                call, self.policy, label="openai fine-tuning", where=self.where, sleep=self._sleep,
                on_request=self._count_request, on_retry=self._count_retry,
            )
        except GaveUp as gave_up:
            # Not chained: the SDK's exception quotes the server's reply, which may echo the key.
            raise self._error(action, gave_up.error, gave_up.retries) from None
        return result if raw else result.model_dump()

    def _count_request(self) -> None:
        self.requests_sent += 1

    def _count_retry(self) -> None:
        self.retries += 1

    def _error(self, action: str, exc: Exception, retries: int) -> FineTuningError:
        after = retries_phrase(retries)
        if not isinstance(exc, openai.APIStatusError):
            if isinstance(exc, openai.APITimeoutError):
                return FineTuningError(f"{action}: no reply from {self.where}{after}")
            cause = one_line(str(exc.__cause__ or exc))
            return FineTuningError(f"{action}: cannot reach {self.where}{after}: {self._redact(cause)}")
        status, code = exc.status_code, error_code(exc)
        detail = server_message(exc, self._redact)
        if status == 401:
            message = (f"{action}: {self.where} rejected the API key (HTTP 401); "
                       f"check OPENAI_API_KEY or {key_file_path()}")
        elif is_quota_error(exc):
            message = (f"{action}: quota exceeded at {self.where} (HTTP 429 {code}), not retried: {detail} "
                       "Add credit or raise the usage limit, then try again.")
        elif status == 429:
            message = f"{action}: rate limited by {self.where}, still HTTP 429{after}: {detail}"
        else:
            label = f"HTTP {status}" + (f" {code}" if code else "")
            message = f"{action}: {self.where} answered {label}{after}: {detail}"
        return FineTuningError(message, status, code)
