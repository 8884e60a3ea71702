"""A fake OpenAI-compatible HTTP server on loopback, so the real `openai` SDK is tested end to end.

Mocking the SDK would test our guesses about it; speaking HTTP to it tests what it really sends
and how it really raises. The server answers from a route table; it records every request
(with its query), replies from a queue of scripted texts, and can be told to fail the next
requests (429, 500, 401, a spent quota, ...). The Files and Fine-tuning jobs endpoints live in
`openai_fine_tuning` and are installed on every server as `server.fine_tuning`; `/v1/models`
lists the models their succeeded jobs produced, and chat completions refuse unknown `ft:` models.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
}
# What OpenAI answers when the account has no credit left: a 429 that waiting does not cure.
QUOTA_EXCEEDED = {"error": {
    "message": "You exceeded your current quota, please check your plan and billing details.",
    "type": "insufficient_quota", "param": None, "code": "insufficient_quota",
}}


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]  # keys lower-cased
    raw: bytes = b""
    query: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.raw) if self.raw else None
        except ValueError:
            return None


@dataclass
class FakeResponse:
    """What the server sends back: a status, a JSON-able (or bytes) body and extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        """The body as bytes on the wire."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


def error_response(
    status: int, message: str | None = None, headers: dict[str, str] | None = None,
    code: str | None = None, param: str | None = None,
) -> FakeResponse:
    """An error reply in OpenAI's `{"error": {...}}` shape."""
    error_type = ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    body = {"error": {"message": message or f"fake error {status}", "type": error_type, "param": param, "code": code}}
    return FakeResponse(status, body, dict(headers or {}))


Handler = Callable[..., FakeResponse]


class FakeOpenAIServer:
    """An OpenAI-compatible server on 127.0.0.1 and a random port; use it as a context manager."""

    def __init__(self, api_key: str | None = None, replies: list[str] | None = None, model: str = "fake-model"):
        self.api_key = api_key
        self.model = model
        self.requests: list[RecordedRequest] = []
        self._replies: deque[str] = deque(replies or [])
        self._failures: deque[tuple[str | None, FakeResponse]] = deque()
        self._routes: list[tuple[str, re.Pattern, Handler]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add_route("POST", "/v1/chat/completions", self._chat_completions)
        self.add_route("GET", "/v1/models", self._models)
        from tests.fakes.openai_fine_tuning import FakeFineTuning  # it imports this module's types

        self.fine_tuning = FakeFineTuning(self)

    # -- scripting -------------------------------------------------------------------------

    def add_route(self, method: str, template: str, handler: Handler) -> None:
        """Serve `template` (e.g. "/v1/files/{file_id}"); the handler gets the request and path params."""
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self._routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def queue_reply(self, *texts: str) -> None:
        """Answer the next chat completions with these texts, in order."""
        with self._lock:
            self._replies.extend(texts)

    def fail_next(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        path: str | None = None,
    ) -> None:
        """Answer the next `times` requests (to `path`, or any path) with this status before the normal replies."""
        response = error_response(status, headers=headers) if body is None else FakeResponse(status, body, dict(headers or {}))
        with self._lock:
            self._failures.extend((path, response) for _ in range(times))

    @property
    def chat_requests(self) -> list[dict]:
        """JSON bodies of every chat completions request, in arrival order."""
        return [r.json for r in self.requests if r.path == "/v1/chat/completions"]

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Every request with this method and path (no query), in arrival order."""
        return [r for r in self.requests if r.method == method.upper() and r.path == path]

    def next_id(self, prefix: str) -> str:
        """A fresh id like `chatcmpl-fake3`, for handlers that create objects."""
        return f"{prefix}-fake{next(self._ids)}"

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The URL to give the SDK, like http://127.0.0.1:PORT/v1."""
        if self._httpd is None:
            raise RuntimeError("FakeOpenAIServer is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> FakeOpenAIServer:
        """Bind a random loopback port and serve in a background thread."""
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        # A short poll interval makes stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- dispatch --------------------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> FakeResponse:
        """Record the request, then answer: a queued failure, a 401, a route, or a 404."""
        with self._lock:
            self.requests.append(request)
            for i, (path, response) in enumerate(self._failures):
                if path is None or path == request.path:
                    del self._failures[i]
                    return response
        if self.api_key is not None and request.headers.get("authorization") != f"Bearer {self.api_key}":
            # Echoes the key it got, so tests prove that clients redact server text.
            sent = request.headers.get("authorization", "").removeprefix("Bearer ")
            return error_response(401, f"Incorrect API key provided: {sent}.", code="invalid_api_key")
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                return handler(request, **match.groupdict())
        return error_response(404, f"no route for {request.method} {request.path}")

    def _chat_completions(self, request: RecordedRequest) -> FakeResponse:
        body = request.json
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return error_response(400, "body must be JSON with a 'messages' list")
        messages = body["messages"]
        model = str(body.get("model", ""))
        if model.startswith("ft:") and model not in self.fine_tuning.fine_tuned_models():
            return error_response(404, f"The model `{model}` does not exist or you do not have access to it.",
                                  code="model_not_found")
        with self._lock:
            text = self._replies.popleft() if self._replies else None
        if text is None:
            last_user = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
            text = f"echo: {last_user}"
        prompt_tokens = sum(len(str(m.get("content", "")).split()) + 3 for m in messages)
        completion_tokens = len(text.split())
        return FakeResponse(
            200,
            {
                "id": self.next_id("chatcmpl"),
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", self.model),
                "system_fingerprint": "fp_fake",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )

    def _models(self, request: RecordedRequest) -> FakeResponse:
        from tests.fakes.openai_fine_tuning import BASE_MODELS, ORG

        models = [{"id": m, "object": "model", "created": 0, "owned_by": "system"} for m in (self.model, *BASE_MODELS)]
        models += [{"id": m, "object": "model", "created": 1, "owned_by": ORG}
                   for m in self.fine_tuning.fine_tuned_models()]
        return FakeResponse(200, {"object": "list", "data": models})


def _make_handler(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers and httpx's pool expect
        disable_nagle_algorithm = True  # headers and body go out separately; avoid 40 ms stalls

        def _serve(self) -> None:
            if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
                raw = self._read_chunked()
            else:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            request = RecordedRequest(
                method=self.command,
                path=path,
                headers={k.lower(): v for k, v in self.headers.items()},
                raw=raw,
                query=dict(parse_qsl(query)),
            )
            response = server.handle(request)
            payload = response.encoded()
            self.send_response(response.status)
            headers = {"content-type": "application/json", "x-request-id": server.next_id("req")}
            headers.update({k.lower(): v for k, v in response.headers.items()})
            headers["content-length"] = str(len(payload))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _read_chunked(self) -> bytes:
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()  # the blank line after the last chunk
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest output clean

    return _Handler
