"""Files and Fine-tuning jobs endpoints for FakeOpenAIServer, with the service's state machine.

A job moves validating_files -> queued -> running -> succeeded, one step per GET of the job
(`auto_advance`), or when a test calls `advance`; a running job emits one metrics event per step
(step, train_loss, valid_loss when a validation file was given). `fail_next_job` makes the next
job fail with the service's error object, as OpenAI reports a bad training file or an internal
failure; cancel moves a live job to cancelled. Lists and events are newest first and paginate
with `after` (the id of the last item seen) and `limit`, returning `has_more`, as OpenAI's do.
Validation here is the service's own (JSONL shape per method), not practicum's validator.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes.openai_server import FakeResponse, RecordedRequest, error_response

if TYPE_CHECKING:
    from tests.fakes.openai_server import FakeOpenAIServer

BASE_MODELS = ("gpt-4o-mini-2024-07-18", "gpt-4.1-mini-2025-04-14", "gpt-4.1-nano-2025-04-14")
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
DEFAULT_PAGE = 20
ORG = "org-fake"


def multipart_fields(request: RecordedRequest) -> dict[str, tuple[str | None, bytes]]:
    """The fields of a multipart/form-data request: name -> (filename or None, content)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return {}
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.raw
    )
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


@dataclass
class FakeFile:
    """An uploaded file as the service keeps it."""

    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int

    def as_json(self) -> dict:
        """The Files API object."""
        return {"id": self.id, "object": "file", "bytes": len(self.content), "created_at": self.created_at,
                "filename": self.filename, "purpose": self.purpose, "status": "processed", "status_details": None}

    def records(self) -> list[Any]:
        """The JSONL records (invalid lines become None)."""
        out = []
        for line in self.content.decode("utf-8", "replace").splitlines():
            if line.strip():
                try:
                    out.append(json.loads(line))
                except ValueError:
                    out.append(None)
        return out


@dataclass
class FakeJob:
    """A fine-tuning job and everything the service reports about it."""

    id: str
    model: str
    training_file: str
    validation_file: str | None
    method: dict
    suffix: str | None
    seed: int
    created_at: int
    total_steps: int
    status: str = "validating_files"
    step: int = 0
    error: dict | None = None
    fine_tuned_model: str | None = None
    trained_tokens: int | None = None
    finished_at: int | None = None
    events: list[dict] = field(default_factory=list)  # oldest first
    failure: tuple[str, dict] | None = None  # (status at which to fail, error object)

    def hyperparameters(self) -> dict:
        """The method's hyperparameters with 'auto' resolved, as the service reports them."""
        kind = self.method["type"]
        given = dict((self.method.get(kind) or {}).get("hyperparameters") or {})
        resolved = {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.8}
        if kind == "dpo":
            resolved["beta"] = 0.1
        return {k: (resolved[k] if given.get(k, "auto") == "auto" else given[k]) for k in resolved}

    def as_json(self) -> dict:
        """The fine_tuning.job object."""
        hyper = self.hyperparameters()
        kind = self.method["type"]
        return {
            "object": "fine_tuning.job", "id": self.id, "model": self.model, "created_at": self.created_at,
            "finished_at": self.finished_at, "fine_tuned_model": self.fine_tuned_model, "organization_id": ORG,
            "result_files": [f"file-result-{self.id}"] if self.status == "succeeded" else [],
            "status": self.status, "validation_file": self.validation_file, "training_file": self.training_file,
            "hyperparameters": {k: v for k, v in hyper.items() if k != "beta"},
            "trained_tokens": self.trained_tokens, "error": self.error, "seed": self.seed,
            "estimated_finish": None if self.status in TERMINAL else self.created_at + 600,
            "integrations": [], "metadata": None, "user_provided_suffix": self.suffix,
            "method": {"type": kind, kind: {"hyperparameters": hyper}},
        }


class FakeFineTuning:
    """The Files and Fine-tuning API of a FakeOpenAIServer; `server.fine_tuning` is one of these."""

    def __init__(self, server: FakeOpenAIServer, total_steps: int = 3):
        self.server = server
        self.total_steps = total_steps
        self.auto_advance = True
        self.files: dict[str, FakeFile] = {}
        self.jobs: dict[str, FakeJob] = {}
        self._failures: deque[tuple[str, dict]] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        routes = [
            ("POST", "/v1/files", self._upload),
            ("GET", "/v1/files", self._list_files),
            ("GET", "/v1/files/{file_id}", self._get_file),
            ("DELETE", "/v1/files/{file_id}", self._delete_file),
            ("POST", "/v1/fine_tuning/jobs", self._create_job),
            ("GET", "/v1/fine_tuning/jobs", self._list_jobs),
            ("GET", "/v1/fine_tuning/jobs/{job_id}", self._get_job),
            ("POST", "/v1/fine_tuning/jobs/{job_id}/cancel", self._cancel_job),
            ("GET", "/v1/fine_tuning/jobs/{job_id}/events", self._list_events),
        ]
        for method, template, handler in routes:
            server.add_route(method, template, handler)

    # -- test hooks ------------------------------------------------------------------------

    def fail_next_job(self, message: str, code: str = "internal_error", at: str = "running",
                      param: str | None = None) -> None:
        """Make the next created job fail when it reaches status `at` ('validating_files' or 'running')."""
        with self._lock:
            self._failures.append((at, {"code": code, "message": message, "param": param}))

    def advance(self, job_id: str | None = None, steps: int = 1) -> str:
        """Move a job (default: the newest) `steps` transitions on; return its status."""
        with self._lock:
            job = self.jobs[job_id] if job_id else list(self.jobs.values())[-1]
            for _ in range(steps):
                self._step(job)
            return job.status

    def fine_tuned_models(self) -> list[str]:
        """Ids of the models that succeeded jobs produced."""
        with self._lock:
            return [j.fine_tuned_model for j in self.jobs.values() if j.fine_tuned_model]

    def created_jobs(self) -> list[dict]:
        """JSON bodies of every job-creation request, in arrival order."""
        return [r.json for r in self.server.requests if r.method == "POST" and r.path == "/v1/fine_tuning/jobs"]

    # -- state machine ---------------------------------------------------------------------

    def _event(self, job: FakeJob, message: str, level: str = "info", data: dict | None = None) -> None:
        job.events.append({
            "object": "fine_tuning.job.event", "id": f"ftevent-fake{next(self._ids)}",
            "created_at": int(time.time()), "level": level, "message": message, "data": data or {},
            "type": "metrics" if data else "message",
        })

    def _fail(self, job: FakeJob, error: dict) -> None:
        job.status, job.error, job.finished_at = "failed", error, int(time.time())
        self._event(job, f"Fine-tuning job failed: {error['message']}", level="error")

    def _step(self, job: FakeJob) -> None:
        if job.status in TERMINAL:
            return
        if job.failure and job.failure[0] == job.status and (job.status != "running" or job.step >= 1):
            self._fail(job, job.failure[1])
        elif job.status == "validating_files":
            problem = self._file_problem(job)
            if problem:
                self._fail(job, {"code": "invalid_training_file", "param": "training_file",
                                 "message": f"The job failed due to an invalid training file. {problem}"})
            else:
                job.status = "queued"
                self._event(job, "Files validated, moving job to queued state")
        elif job.status == "queued":
            job.status = "running"
            self._event(job, "Fine-tuning job started")
        else:
            job.step += 1
            data = {"step": job.step, "total_steps": job.total_steps,
                    "train_loss": round(2.4 * 0.7**job.step, 4), "train_mean_token_accuracy": 0.5 + 0.1 * job.step}
            message = f"Step {job.step}/{job.total_steps}: training loss={data['train_loss']:.4f}"
            if job.validation_file:
                data["valid_loss"] = round(2.6 * 0.75**job.step, 4)
                data["valid_mean_token_accuracy"] = 0.45 + 0.1 * job.step
                message += f", validation loss={data['valid_loss']:.4f}"
            self._event(job, message, data=data)
            if job.step >= job.total_steps:
                self._succeed(job)

    def _succeed(self, job: FakeJob) -> None:
        short = f"Fk{job.id.removeprefix('ftjob-fake'):0>6}"
        name = f"ft:{job.model}:{ORG[4:]}:{job.suffix}:{short}" if job.suffix else f"ft:{job.model}:{ORG[4:]}::{short}"
        words = sum(len(line.split()) for line in self.files[job.training_file].content.decode().splitlines())
        job.status, job.fine_tuned_model = "succeeded", name
        job.trained_tokens = words * job.hyperparameters()["n_epochs"]
        job.finished_at = int(time.time())
        self._event(job, f"Checkpoint created at step {job.step}")
        self._event(job, f"New fine-tuned model created: {name}")
        self._event(job, "The job has successfully completed")

    def _file_problem(self, job: FakeJob) -> str | None:
        kind = job.method["type"]
        needed = ("messages",) if kind == "supervised" else ("input", "preferred_output", "non_preferred_output")
        for file_id in filter(None, (job.training_file, job.validation_file)):
            for n, record in enumerate(self.files[file_id].records(), 1):
                if not isinstance(record, dict) or any(k not in record for k in needed):
                    return f"Example {n} in {file_id} is not a valid {kind} example (needs {', '.join(needed)})."
        return None

    # -- handlers --------------------------------------------------------------------------

    def _upload(self, request: RecordedRequest):
        fields = multipart_fields(request)
        if "file" not in fields or "purpose" not in fields:
            return error_response(400, "'file' and 'purpose' are required", param="file")
        filename, content = fields["file"]
        purpose = fields["purpose"][1].decode()
        if purpose == "fine-tune":
            lines = [line for line in content.decode("utf-8", "replace").splitlines() if line.strip()]
            try:
                if not lines or not all(isinstance(json.loads(line), dict) for line in lines):
                    raise ValueError
            except ValueError:
                return error_response(400, "Invalid file format for Fine-Tuning API. Must be .jsonl",
                                      code="invalid_file_format", param="file")
        with self._lock:
            fake = FakeFile(f"file-fake{next(self._ids)}", filename or "upload", purpose, content, int(time.time()))
            self.files[fake.id] = fake
        return FakeResponse(200, fake.as_json())

    def _list_files(self, request: RecordedRequest):
        with self._lock:
            return FakeResponse(200, {"object": "list", "data": [f.as_json() for f in self.files.values()]})

    def _get_file(self, request: RecordedRequest, file_id: str):
        with self._lock:
            fake = self.files.get(file_id)
            return FakeResponse(200, fake.as_json()) if fake else error_response(404, f"No such File object: {file_id}")

    def _delete_file(self, request: RecordedRequest, file_id: str):
        with self._lock:
            if self.files.pop(file_id, None) is None:
                return error_response(404, f"No such File object: {file_id}")
        return FakeResponse(200, {"id": file_id, "object": "file", "deleted": True})

    def _create_job(self, request: RecordedRequest):
        body = request.json
        if not isinstance(body, dict) or not body.get("model") or not body.get("training_file"):
            return error_response(400, "'model' and 'training_file' are required")
        method = body.get("method") or {"type": "supervised",
                                        "supervised": {"hyperparameters": body.get("hyperparameters") or {}}}
        if method.get("type") not in ("supervised", "dpo"):
            return error_response(400, f"method type {method.get('type')!r} is not supported", param="method")
        if body["model"] not in BASE_MODELS and body["model"] not in self.fine_tuned_models():
            return error_response(400, f"Model {body['model']} is not available for fine-tuning or does not exist.",
                                  code="model_not_available", param="model")
        if body.get("suffix") and len(body["suffix"]) > 64:
            return error_response(400, "suffix must be at most 64 characters", param="suffix")
        with self._lock:
            for key in ("training_file", "validation_file"):
                file_id = body.get(key)
                if file_id and file_id not in self.files:
                    return error_response(400, f"invalid {key}: {file_id}", code="invalid_file", param=key)
                if file_id and self.files[file_id].purpose != "fine-tune":
                    return error_response(400, f"File {file_id} has purpose '{self.files[file_id].purpose}', "
                                               "expected 'fine-tune'", param=key)
            job = FakeJob(
                id=f"ftjob-fake{next(self._ids)}", model=body["model"], training_file=body["training_file"],
                validation_file=body.get("validation_file"), method=method, suffix=body.get("suffix"),
                seed=body["seed"] if body.get("seed") is not None else 42, created_at=int(time.time()),
                total_steps=self.total_steps, failure=self._failures.popleft() if self._failures else None,
            )
            self.jobs[job.id] = job
            self._event(job, f"Created fine-tuning job: {job.id}")
            self._event(job, f"Validating training file: {job.training_file}")
            return FakeResponse(200, job.as_json())

    def _list_jobs(self, request: RecordedRequest):
        with self._lock:
            items = [j.as_json() for j in reversed(self.jobs.values())]
        return _page(items, request.query)

    def _get_job(self, request: RecordedRequest, job_id: str):
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None:
                return error_response(404, f"Could not find fine-tune: {job_id}", code="fine_tune_not_found")
            if self.auto_advance:
                self._step(job)
            return FakeResponse(200, job.as_json())

    def _cancel_job(self, request: RecordedRequest, job_id: str):
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None:
                return error_response(404, f"Could not find fine-tune: {job_id}", code="fine_tune_not_found")
            if job.status in TERMINAL:
                return error_response(400, f"Job has already {job.status}: {job_id}", code="invalid_state")
            job.status, job.finished_at = "cancelled", int(time.time())
            self._event(job, "Fine-tuning job cancelled")
            return FakeResponse(200, job.as_json())

    def _list_events(self, request: RecordedRequest, job_id: str):
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None:
                return error_response(404, f"Could not find fine-tune: {job_id}", code="fine_tune_not_found")
            items = list(reversed(job.events))
        return _page(items, request.query)


def _page(items: list[dict], query: dict[str, str]):
    """One page of a newest-first list: the items after the `after` id, at most `limit` of them."""
    try:
        limit = int(query.get("limit", DEFAULT_PAGE))
    except ValueError:
        return error_response(400, "limit must be an integer", param="limit")
    start = 0
    if "after" in query:
        ids = [item["id"] for item in items]
        start = ids.index(query["after"]) + 1 if query["after"] in ids else len(items)
    page = items[start:start + limit]
    return FakeResponse(200, {"object": "list", "data": page, "has_more": start + limit < len(items)})
