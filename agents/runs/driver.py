"""Drive many sessions of one run together: batched on the local model, concurrent on remote endpoints.

Each session is a pure `SessionState`; the driver asks every idle session for its next request and
sends them out. A backend that answers a batch in one forward pass (the local model) gets one
`complete_batch` per step holding the largest group of requests that share sampling options
(teacher turns, or student turns), so the sessions fall into step and each call is as full as it can
be. Any other backend (an OpenAI-compatible endpoint, the scripted backend) gets one `complete` per
request on a pool of at most `concurrency` threads, so a slow reply holds up only its own session.
Results are written from this thread only, one transaction per processed batch, together with
the run's counters (so a killed run's requests and tokens always match its stored turns). A
session whose backend raises or returns garbage is finished as failed with its reason; the others
carry on. Sessions end with the same `Outcome` values the SessionRunner uses (agents/runner.py).
A one-pass batch that raises is retried request by request to find the bad one; each such
fallback is counted in the run's stats, logged, and its error kept in the run's progress.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Callable

from practicum.agents.backends.base import Completion, Usage
from practicum.agents.runner import COMPLETED, RUNNING, Outcome, completed, describe_error, failed, one_line
from practicum.agents.session import AgentSpeaker, Reply, SessionOptions, SessionState
from practicum.records import TEACHER, Turn
from practicum.scenarios.model import Scenario
from practicum.storage import runs as run_store

MAX_RAW_CHARS = 20_000  # far past any reply a turn keeps (roles cap turns at 600 characters)
EMPTY_RETRIES = 1  # like AgentSpeaker.reply: one retry with another seed, then the session fails
RETRY_SEED_STEP = 7919
HEARTBEAT_S = 2.0
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
log = logging.getLogger(__name__)
__all__ = ["GarbageReply", "RunDriver", "RunStats", "one_line", "usable_text"]


class GarbageReply(Exception):
    """A backend answered with something that is not usable text."""


def usable_text(completion) -> str:
    """The completion's text made safe to store; GarbageReply when there is no text at all."""
    if not hasattr(completion, "text"):
        raise GarbageReply(f"backend returned {type(completion).__name__}, not a completion")
    text = completion.text
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GarbageReply(f"reply is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    if not isinstance(text, str):
        raise GarbageReply(f"reply text is {type(text).__name__}, not str")
    text = text[:MAX_RAW_CHARS]
    # Lone surrogates (undecodable bytes smuggled into a str) cannot be stored as UTF-8; U+FFFD is dropped later.
    return _CONTROL.sub("", _SURROGATE.sub("\ufffd", text))


@dataclass
class Slot:
    """A session being generated: its row id, pure state, and retry bookkeeping."""

    session_id: int
    state: SessionState
    retries: int = 0
    busy: bool = False


@dataclass
class Request:
    """One pending turn: which slot, who speaks, and what is sent (the speaker's gate candidates share the batch)."""

    slot: Slot
    speaker: AgentSpeaker
    messages: list
    options: object

    @property
    def rows(self) -> list:
        """The options of each candidate row this turn sends (one per gate candidate)."""
        many = getattr(self.speaker, "candidate_options", None)
        return many(self.options) if callable(many) else [self.options]


@dataclass
class RunStats:
    """Live counters for one attempt at a run (a resume is a new attempt)."""

    total: int = 0
    completed: int = 0
    failed: int = 0
    turns: int = 0
    requests: int = 0
    batches: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    backend_seconds: float = 0.0
    batch_fallbacks: int = 0  # one-pass batches that raised and were re-asked one request at a time
    last_fallback: str = ""  # why the latest one did
    started: float = field(default_factory=time.perf_counter)

    @property
    def elapsed(self) -> float:
        """Seconds since this attempt started."""
        return time.perf_counter() - self.started

    @property
    def tokens_per_s(self) -> float:
        """Generated (completion) tokens per wall-clock second."""
        return self.completion_tokens / self.elapsed if self.elapsed > 0 else 0.0


class RunDriver:
    """Advances a run's open sessions until each is completed or failed."""

    def __init__(
        self, store, run_id: int, teacher: AgentSpeaker, student: AgentSpeaker, *, concurrency: int,
        on_progress: Callable[[RunStats], None] | None = None, heartbeat: Callable[[RunStats], None] | None = None,
        progress_for: Callable[[RunStats], dict] | None = None,
    ):
        """Bind the run's store, speakers and concurrency; `on_progress` sees the stats after each write.

        `progress_for(stats)` gives the run's progress JSON, written in each step's transaction.
        """
        self.store = store
        self.run_id = run_id
        self.speakers = {TEACHER: teacher, "student": student}
        self.concurrency = max(1, concurrency)
        self.on_progress = on_progress
        self.heartbeat = heartbeat
        self.progress_for = progress_for
        self.stats = RunStats()  # what is stored: counters move only with the writes they belong to
        self._pending = RunStats()  # results absorbed but not yet written
        self._busy_backends: set[int] = set()

    # -- public ------------------------------------------------------------------------------

    def run(self, sessions: list[dict], scenario_for: Callable[[dict], Scenario],
            options_for: Callable[[dict], SessionOptions]) -> RunStats:
        """Generate every given open session (rows from storage.runs.open_sessions); returns the stats."""
        self.stats = RunStats(total=len(sessions))
        self._pending = RunStats()
        queue = deque(sessions)
        slots: list[Slot] = []
        inflight: dict[Future, tuple[object, list[Request]]] = {}
        last_beat = 0.0
        pool = ThreadPoolExecutor(max_workers=self.concurrency + 1, thread_name_prefix="practicum-run")
        try:
            while queue or slots:
                started = self._admit(queue, slots, scenario_for, options_for)
                finished = [(s, completed(s.state.stop_reason)) for s in slots if s.state.done and not s.busy]
                if started or finished:
                    self._write([], started, finished, slots)
                    continue
                for backend, batch in self._dispatchable(slots):
                    for request in batch:
                        request.slot.busy = True
                    if getattr(backend, "batches_in_one_pass", False):
                        self._busy_backends.add(id(backend))
                    inflight[pool.submit(_ask, backend, batch)] = (backend, batch)
                if not inflight:
                    break  # nothing can advance (should not happen; guards against a silent spin)
                done, _ = wait(list(inflight), timeout=HEARTBEAT_S, return_when=FIRST_COMPLETED)
                turns, ended = [], []
                for future in done:
                    backend, batch = inflight.pop(future)
                    self._busy_backends.discard(id(backend))
                    results, fallback = future.result()
                    if fallback:
                        self._fell_back(backend, len(batch), fallback)
                    self._absorb(batch, results, turns, ended)
                if turns or ended:
                    self._write(turns, [], ended, slots)
                now = time.perf_counter()
                if self.heartbeat and now - last_beat >= HEARTBEAT_S:
                    self.heartbeat(self.stats)
                    last_beat = now
            if self._pending.requests or self._pending.batch_fallbacks:
                self._commit([], [], [])  # results that ended in nothing stored (a retry) still count
        finally:
            pool.shutdown(wait=not inflight, cancel_futures=True)
        return self.stats

    # -- steps -------------------------------------------------------------------------------

    def _admit(self, queue: deque, slots: list[Slot], scenario_for, options_for) -> list[int]:
        started = []
        while queue and len(slots) < self.concurrency:
            row = queue.popleft()
            try:
                state = SessionState(scenario_for(row), options_for(row))
                for turn in _stored_turns(row):
                    _replay(state, turn)
            except Exception as exc:  # e.g. its scenario was deleted: this session fails, the run goes on
                self._commit([], [], [(row["id"], failed(_describe(exc), "setup_error"))])
                continue
            slots.append(Slot(row["id"], state))
            if row.get("status") != RUNNING:
                started.append(row["id"])
        return started

    def _dispatchable(self, slots: list[Slot]) -> list[tuple[object, list[Request]]]:
        """Jobs to send now: per one-pass backend, its largest option group; elsewhere, each request alone."""
        by_backend: dict[int, tuple[object, list[Request]]] = {}
        for slot in slots:
            if slot.busy or slot.state.done:
                continue
            speaker = self.speakers[slot.state.next_role()]
            if id(speaker.backend) in self._busy_backends:
                continue  # its model is generating; this session joins the next batch
            seed = slot.state.turn_seed()
            if seed is not None and slot.retries:
                seed += slot.retries * RETRY_SEED_STEP
            messages, options = speaker.request(slot.state.scenario, slot.state.turns, seed)
            backend = speaker.backend
            by_backend.setdefault(id(backend), (backend, []))[1].append(Request(slot, speaker, messages, options))
        jobs = []
        for backend, requests in by_backend.values():
            if not getattr(backend, "batches_in_one_pass", False):
                jobs.extend((backend, [r]) for r in requests)
                continue
            groups: dict[str, list[Request]] = {}
            for r in requests:
                groups.setdefault(r.options.model_copy(update={"seed": None}).model_dump_json(), []).append(r)
            jobs.append((backend, max(groups.values(), key=len)))
        return jobs

    def _absorb(self, batch: list[Request], results: list, turns: list, ended: list) -> None:
        """Turn a job's results (per request: its candidates' completions, or an exception) into turns."""
        self._pending.batches += 1
        for request, result in zip(batch, results):
            slot = request.slot
            slot.busy = False
            self._pending.requests += 1
            role, spec = request.speaker.role, request.speaker.backend.spec
            if isinstance(result, BaseException):
                reason = "backend_error" if not isinstance(result, GarbageReply) else "garbage_reply"
                ended.append((slot, failed(f"{role} backend {spec}: {_describe(result)}", reason)))
                continue
            try:
                completions = []
                for one in result:
                    text = usable_text(one)
                    usage = one.usage
                    prompt_tokens, completion_tokens = int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0)
                    latency = float(one.latency or 0.0)
                    self._pending.prompt_tokens += prompt_tokens
                    self._pending.completion_tokens += completion_tokens
                    self._pending.backend_seconds += latency
                    completions.append(Completion(text=text, usage=Usage(prompt_tokens, completion_tokens),
                                                  model=str(one.model or ""), latency=latency))
                reply = request.speaker.accept_many(slot.state.scenario, completions, slot.state.turns)
            except Exception as exc:  # garbage must fail this session only
                ended.append((slot, failed(f"{role} backend {spec}: {_describe(exc)}", "garbage_reply")))
                continue
            if not reply.text and not reply.ends_session:
                if slot.retries < EMPTY_RETRIES:
                    slot.retries += 1
                    continue
                ended.append((slot, failed(f"{role} backend {spec} returned an empty reply {EMPTY_RETRIES + 1} times",
                                           "empty_reply")))
                continue
            slot.retries = 0
            turn = slot.state.add(reply)
            if turn is not None:
                turns.append((slot, turn))
            if slot.state.done:
                ended.append((slot, completed(slot.state.stop_reason)))

    def _write(self, turns: list, started: list[int], ended: list[tuple[Slot, Outcome]], slots: list[Slot]) -> None:
        self._commit([(slot.session_id, turn) for slot, turn in turns], started,
                     [(slot.session_id, outcome) for slot, outcome in ended])
        for slot, _ in ended:
            if slot in slots:
                slots.remove(slot)

    def _commit(self, turns: list[tuple[int, Turn]], started: list[int], ended: list[tuple[int, Outcome]]) -> None:
        """Write one step and the run's counters in one transaction; the stats move only once it is stored."""
        done = sum(1 for _, o in ended if o.status == COMPLETED)
        after = _plus(self.stats, self._pending, turns=len(turns), completed=done, failed=len(ended) - done)
        run_store.record_step(
            self.store, turns=turns, started=started, finished=[o.as_row(sid) for sid, o in ended],
            run_id=self.run_id, progress=self.progress_for(after) if self.progress_for else None,
        )
        self.stats, self._pending = after, RunStats()
        if self.on_progress:
            self.on_progress(self.stats)

    def _fell_back(self, backend, size: int, error: str) -> None:
        """Count (and log) a one-pass batch that raised and was re-asked one request at a time."""
        self._pending.batch_fallbacks += 1
        self._pending.last_fallback = one_line(f"{getattr(backend, 'spec', 'backend')}: batch of {size}: {error}")
        log.warning("run %s: complete_batch failed (%s); asked its %d requests one by one", self.run_id, error, size)


def _plus(stats: RunStats, pending: RunStats, **more: int) -> RunStats:
    """`stats` with the pending counters (and `more`) added; keeps the attempt's start time."""
    keys = ("requests", "batches", "prompt_tokens", "completion_tokens", "backend_seconds", "batch_fallbacks")
    values = {k: getattr(stats, k) + getattr(pending, k) for k in keys}
    for key, value in more.items():
        values[key] = getattr(stats, key) + value
    return replace(stats, **values, last_fallback=pending.last_fallback or stats.last_fallback)


def _ask(backend, batch: list[Request]) -> tuple[list, str]:
    """Run one job on a worker thread: (per request, its candidates' completions or an exception in place of a
    failure; why a one-pass batch had to be re-asked one by one or '')."""
    rows = [r.rows for r in batch]
    if (len(batch) == 1 and len(rows[0]) == 1) or not getattr(backend, "batches_in_one_pass", False):
        return [_one(backend, r, o) for r, o in zip(batch, rows)], ""
    try:
        flat = backend.complete_batch([r.messages for r, o in zip(batch, rows) for _ in o], [x for o in rows for x in o])
        total = sum(len(o) for o in rows)
        if not isinstance(flat, list) or len(flat) != total:
            got = len(flat) if isinstance(flat, list) else type(flat).__name__
            raise GarbageReply(f"complete_batch returned {got} completions for {total} requests")
        results, start = [], 0
        for o in rows:
            results.append(flat[start : start + len(o)])
            start += len(o)
        return results, ""
    except Exception as exc:
        # Find the request that broke the batch instead of failing every session in it.
        return [_one(backend, r, o) for r, o in zip(batch, rows)], _describe(exc)


def _one(backend, request: Request, rows: list):
    try:
        if len(rows) == 1:
            return [backend.complete(request.messages, rows[0])]
        results = backend.complete_batch([request.messages] * len(rows), rows)
        if not isinstance(results, list) or len(results) != len(rows):
            raise GarbageReply(f"complete_batch returned {len(results) if isinstance(results, list) else results!r} "
                               f"completions for {len(rows)} candidates")
        return results
    except Exception as exc:
        return exc


def _describe(exc: BaseException) -> str:
    if isinstance(exc, GarbageReply):
        return str(exc) or "GarbageReply"
    return describe_error(exc)


def _stored_turns(row: dict) -> list[Turn]:
    return [
        Turn(idx=t["idx"], role=t["role"], text=t["text"], move=t.get("move"), move_source=t.get("move_source"),
             prompt_tokens=t.get("prompt_tokens") or 0, completion_tokens=t.get("completion_tokens") or 0,
             latency=(t.get("latency_ms") or 0) / 1000, model=t.get("model") or "", metadata=t.get("metadata") or {})
        for t in row.get("turns") or []
    ]


def _replay(state: SessionState, turn: Turn) -> None:
    """Re-add a stored turn so the stop rules see the whole history (a resumed session continues from it)."""
    added = state.add(Reply(text=turn.text, prompt_tokens=turn.prompt_tokens,
                            completion_tokens=turn.completion_tokens, latency=turn.latency, model=turn.model))
    if added is not None:
        state.turns[-1] = turn  # keep the stored turn exactly (idx, move labels)

