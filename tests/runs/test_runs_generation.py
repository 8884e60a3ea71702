"""Generation runs in-process: planning, batching, concurrency, failure isolation, resume, metrics."""

from __future__ import annotations

import threading
import time

import pytest

from practicum.agents.backends.base import Completion, Usage
from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.backends.scripted_paced import PacedScriptedBackend, varied_reply
from practicum.agents.runs.generation import drive_run, summarize
from practicum.agents.runs.plan import session_seed
from practicum.errors import BackendError
from practicum.scenarios.files import get_builtin
from practicum.storage import runs as run_store
from practicum.storage.runs import RunBusyError

IDS = ["fractions-unlike-denominators", "photosynthesis-plant-mass", "reading-main-idea"]


def transcripts(store, run_id):
    """{plan_index: [(idx, role, text)]} for a run's sessions."""
    out = {}
    for s in store.list_sessions(run_id=run_id, limit=None):
        turns = store.get_turns(s["id"])
        out[s["metadata"]["plan_index"]] = [(t["idx"], t["role"], t["text"]) for t in turns]
    return out


class Batched(PacedScriptedBackend):
    """A scripted backend that says it batches in one pass and records each batch it gets."""

    batches_in_one_pass = True

    def __init__(self, **kw):
        super().__init__(vary=True, **kw)
        self.batches = []

    def complete_batch(self, requests, options=None):
        per = options if isinstance(options, list) else [options] * len(requests)
        self.batches.append([o.max_tokens for o in per])
        return [self.complete(m, o) for m, o in zip(requests, per)]


def test_run_plans_and_generates_every_session_with_its_own_seed(store, plan_run):
    run_id = plan_run(store, IDS, sessions_per_scenario=2, max_turns=4, seed=5)
    assert run_store.session_counts(store, run_id) == {"pending": 6}
    summary = drive_run(store, run_id)
    assert summary.status == "completed" and summary.completed == 6 and summary.failed == 0
    assert summary.turns == 24 and summary.requests == 24
    sessions = store.list_sessions(run_id=run_id, limit=None)
    assert sorted(s["seed"] for s in sessions) == [session_seed(5, i) for i in range(6)]
    # round-robin plan: the first three sessions cover all three scenarios
    by_index = {s["metadata"]["plan_index"]: s for s in sessions}
    assert {by_index[i]["scenario_id"] for i in range(3)} == set(IDS)
    assert all(s["status"] == "completed" and s["stop_reason"] == "max_turns" for s in sessions)
    assert all(s["options"]["max_turns"] == 4 and s["prompts"]["teacher"]["version"] for s in sessions)
    run = run_store.get_run(store, run_id)
    assert run["progress"]["completion_tokens"] == summary.completion_tokens > 0
    assert run["progress"]["pid"] is None and run["progress"]["attempts"] == 1


def test_one_pass_backend_gets_full_batches_that_never_mix_roles(store, plan_run):
    backend = Batched()
    run_id = plan_run(store, IDS[:2], sessions_per_scenario=4, max_turns=6, concurrency=8)
    drive_run(store, run_id, make_backend=lambda spec: backend)
    assert len(backend.batches) == 6  # 8 sessions x 6 turns in 6 steps: every step carries all 8 sessions
    assert all(len(b) == 8 and len(set(b)) == 1 for b in backend.batches)  # one role's options per batch
    assert [b[0] for b in backend.batches] == [60, 48, 60, 48, 60, 48]  # teacher, student, ...


def test_batches_refill_as_sessions_finish(store, plan_run):
    backend = Batched()
    run_id = plan_run(store, IDS, sessions_per_scenario=3, max_turns=2, concurrency=4)
    summary = drive_run(store, run_id, make_backend=lambda spec: backend)
    assert summary.completed == 9 and summary.turns == 18
    assert [len(b) for b in backend.batches] == [4, 4, 4, 4]  # the last session's two turns went alone
    assert len(backend.history) == 18


def test_remote_style_backends_run_requests_concurrently_up_to_the_limit(store, plan_run):
    class Counting(PacedScriptedBackend):
        def __init__(self):
            super().__init__(delay=0.02, vary=True)
            self.now = self.peak = 0
            self.lock = threading.Lock()

        def complete(self, messages, options=None):
            with self.lock:
                self.now += 1
                self.peak = max(self.peak, self.now)
            try:
                return super().complete(messages, options)
            finally:
                with self.lock:
                    self.now -= 1

    backend = Counting()
    run_id = plan_run(store, IDS, sessions_per_scenario=2, max_turns=4, concurrency=3)
    summary = drive_run(store, run_id, make_backend=lambda spec: backend)
    assert summary.completed == 6 and backend.peak == 3


def test_a_failing_session_is_recorded_and_the_run_goes_on(store, plan_run):
    def respond(messages):
        if "photosynthesis" in messages[0]["content"].lower() or "plant" in messages[0]["content"].lower():
            raise RuntimeError("GPU on fire")
        return varied_reply(messages, None)

    backend = ScriptedBackend(respond=respond)
    run_id = plan_run(store, IDS, max_turns=4)
    summary = drive_run(store, run_id, make_backend=lambda spec: backend)
    assert (summary.completed, summary.failed, summary.status) == (2, 1, "completed")
    failed = store.list_sessions(run_id=run_id, status="failed")[0]
    assert failed["scenario_id"] == "photosynthesis-plant-mass" and failed["stop_reason"] == "backend_error"
    assert "RuntimeError: GPU on fire" in failed["error"] and "\n" not in failed["error"]
    assert summary.failures == [{"reason": "backend_error", "count": 1, "example": failed["error"]}]


GARBAGE = {
    "fractions-unlike-denominators": "",  # empty, twice
    "photosynthesis-plant-mass": b"\xff\xfe not utf-8",
    "reading-main-idea": None,
    "percent-discount": "What do you think? " * 50_000,  # about a megabyte
    "area-rectangle": "Hmm \udcff\x00\x07 how about the width?",  # lone surrogate and control bytes
}


class Garbage:
    """A backend whose replies depend on the scenario (found by its problem text in the system prompt)."""

    spec = "scripted:garbage"

    def complete(self, messages, options=None):
        for scenario_id, reply in GARBAGE.items():
            if get_builtin(scenario_id).problem in messages[0]["content"]:
                return Completion(text=reply, usage=Usage(5, 5), model=self.spec)
        raise AssertionError("unexpected scenario")

    def complete_batch(self, requests, options=None):
        per = options if isinstance(options, list) else [options] * len(requests)
        return [self.complete(m, o) for m, o in zip(requests, per)]


def test_garbage_replies_fail_their_session_or_are_made_safe(store, plan_run):
    run_id = plan_run(store, list(GARBAGE), max_turns=2)
    summary = drive_run(store, run_id, make_backend=lambda spec: Garbage())
    rows = {s["scenario_id"]: s for s in store.list_sessions(run_id=run_id, limit=None)}
    assert rows["fractions-unlike-denominators"]["stop_reason"] == "empty_reply"
    assert rows["photosynthesis-plant-mass"]["stop_reason"] == "garbage_reply"
    assert "not valid UTF-8" in rows["photosynthesis-plant-mass"]["error"]
    assert rows["reading-main-idea"]["stop_reason"] == "garbage_reply"
    huge = store.get_turns(rows["percent-discount"]["id"])
    assert rows["percent-discount"]["status"] == "completed" and all(len(t["text"]) <= 600 for t in huge)
    broken = store.get_turns(rows["area-rectangle"]["id"])
    assert broken[0]["text"] == "Hmm how about the width?"
    assert summary.failed == 3 and summary.completed == 2 and summary.open == 0


def test_a_broken_batch_is_split_to_find_the_bad_request(store, plan_run):
    class Picky(Batched):
        def complete(self, messages, options=None):
            if "photosynthesis" in messages[0]["content"].lower() or "plant" in messages[0]["content"].lower():
                raise BackendError("context length exceeded")
            return super().complete(messages, options)

    run_id = plan_run(store, IDS, max_turns=2)
    summary = drive_run(store, run_id, make_backend=lambda spec: Picky())
    assert (summary.completed, summary.failed) == (2, 1)
    assert "context length exceeded" in summary.failures[0]["example"]


class Interrupting(PacedScriptedBackend):
    """Varied replies that raise KeyboardInterrupt (like Ctrl-C) on the n-th call."""

    def __init__(self, at: int | None):
        super().__init__(vary=True)
        self.calls, self.at = 0, at

    def complete(self, messages, options=None):
        self.calls += 1
        if self.at is not None and self.calls == self.at:
            raise KeyboardInterrupt
        return super().complete(messages, options)


def test_interrupted_run_resumes_to_the_same_transcripts_without_duplicates(store, plan_run):
    reference = plan_run(store, IDS, sessions_per_scenario=2, max_turns=6, concurrency=3, seed=9)
    drive_run(store, reference, make_backend=lambda spec: Interrupting(None))

    run_id = plan_run(store, IDS, sessions_per_scenario=2, max_turns=6, concurrency=3, seed=9)
    with pytest.raises(KeyboardInterrupt):
        drive_run(store, run_id, make_backend=lambda spec: Interrupting(at=14))
    run = run_store.get_run(store, run_id)
    assert run["status"] == "interrupted"
    partial = transcripts(store, run_id)
    assert 0 < sum(len(t) for t in partial.values()) < 36
    assert any(0 < len(t) < 6 for t in partial.values())  # some sessions stopped mid-way

    summary = drive_run(store, run_id, make_backend=lambda spec: Interrupting(None))
    assert summary.status == "completed" and summary.completed == 6 and summary.turns == 36
    assert transcripts(store, run_id) == transcripts(store, reference)  # continued exactly, nothing repeated
    for turns in transcripts(store, run_id).values():
        assert [i for i, _, _ in turns] == list(range(6))
    assert run_store.get_run(store, run_id)["progress"]["attempts"] == 2


def test_completed_run_resumes_as_a_no_op(store, plan_run):
    run_id = plan_run(store, IDS[:1], max_turns=2)
    drive_run(store, run_id)
    again = drive_run(store, run_id)
    assert again.status == "completed" and again.turns == 2 and again.attempt["requests"] == 0


def test_a_run_driven_by_a_live_process_cannot_be_taken(store, plan_run):
    import os

    run_id = plan_run(store, IDS[:1])
    run_store.update_run(store, run_id, status="running", progress={"pid": os.getppid(), "heartbeat": time.time()})
    with pytest.raises(RunBusyError, match="still being generated"):
        run_store.claim_run(store, run_id, time.time())
    # a stale heartbeat (the owner hung or died long ago) can be taken over
    run_store.claim_run(store, run_id, time.time() + run_store.HEARTBEAT_STALE_S + 1)


def test_near_duplicates_are_marked_and_counted(store, plan_run):
    run_id = plan_run(store, IDS, sessions_per_scenario=2, max_turns=4, teacher="scripted:same",
                      student="scripted:same")
    backend = ScriptedBackend(respond=lambda m: f"Let us look at this: {m[0]['content'][-60:]}"[:80]
                              if len(m) < 4 else "What would you try next then?")
    summary = drive_run(store, run_id, make_backend=lambda spec: backend)
    # sessions of one scenario are identical here (no seed in the replies): one original per scenario
    assert summary.near_duplicates == 3
    marked = [s for s in store.list_sessions(run_id=run_id, limit=None) if "near_duplicate_of" in s["metadata"]]
    originals = {s["metadata"]["near_duplicate_of"] for s in marked}
    assert len(marked) == 3 and all(m["id"] > m["metadata"]["near_duplicate_of"] for m in marked)
    assert not originals & {m["id"] for m in marked}


def test_varied_traits_reach_the_student_prompt(store, plan_run):
    backend = PacedScriptedBackend(vary=True)
    run_id = plan_run(store, IDS[:1], sessions_per_scenario=6, max_turns=2, vary_traits=True)
    drive_run(store, run_id, make_backend=lambda spec: backend)
    traits = [s["metadata"]["traits"] for s in store.list_sessions(run_id=run_id, limit=None)]
    assert len({(t["confidence"], t["motivation"]) for t in traits}) > 1
    student_prompts = [m[0]["content"] for m, _ in backend.history if "You are" in m[0]["content"]]
    for t in traits:
        assert any(f"Confidence: {t['confidence']}. Motivation: {t['motivation']}." in p for p in student_prompts)


def test_summary_reads_back_from_storage(store, plan_run):
    run_id = plan_run(store, IDS[:2], max_turns=2)
    drive_run(store, run_id)
    again = summarize(store, run_id)
    assert again.completed == 2 and again.turns == 4 and again.attempt == {}


def test_a_session_whose_scenario_vanished_fails_alone(store, plan_run):
    run_id = plan_run(store, IDS, max_turns=2)
    victim = store.list_sessions(run_id=run_id, scenario_id="reading-main-idea")[0]["id"]
    store.db.execute("pragma foreign_keys = off")
    store.db.execute("delete from scenarios where id = 'reading-main-idea'")
    summary = drive_run(store, run_id)
    assert (summary.completed, summary.failed) == (2, 1)
    assert store.get_session(victim)["stop_reason"] == "setup_error"
    assert "reading-main-idea" in store.get_session(victim)["error"]
