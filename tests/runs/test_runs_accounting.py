"""A run's stored counters account for exactly its stored turns, across attempts; batch fallbacks are counted."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from practicum.agents.backends.scripted_paced import PacedScriptedBackend
from practicum.agents.runs.generation import drive_run
from practicum.errors import BackendError
from practicum.storage import runs as run_store

IDS = ["fractions-unlike-denominators", "photosynthesis-plant-mass", "reading-main-idea"]


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


def test_counters_survive_a_stop_that_skips_the_final_write(store, plan_run, monkeypatch):
    """Before the fix the counters were saved only by the heartbeat and the final write: a process that died
    between them lost its requests and tokens while its turns stayed stored (126 turns from 119 requests)."""
    run_id = plan_run(store, IDS, sessions_per_scenario=2, max_turns=6, concurrency=3, seed=9)
    real_update = run_store.update_run

    def dying_update(store_, run_id_, *, status=None, progress=None):
        if status == "interrupted":  # the process is gone before it can record where it stopped
            raise sqlite3.OperationalError("disk I/O error")
        return real_update(store_, run_id_, status=status, progress=progress)

    monkeypatch.setattr(run_store, "update_run", dying_update)
    with pytest.raises(KeyboardInterrupt):
        drive_run(store, run_id, make_backend=lambda spec: Interrupting(at=20))
    monkeypatch.setattr(run_store, "update_run", real_update)
    stopped = run_store.get_run(store, run_id)["progress"]
    stored = run_store.turn_totals(store, run_id)
    assert 0 < stored["turns"] < 36
    assert stopped["requests"] == stored["turns"]  # every stored turn's request is counted, no more
    assert (stopped["prompt_tokens"], stopped["completion_tokens"]) == (stored["prompt_tokens"],
                                                                        stored["completion_tokens"])

    summary = drive_run(store, run_id, make_backend=lambda spec: Interrupting(None))
    totals = run_store.turn_totals(store, run_id)
    assert summary.status == "completed" and summary.turns == totals["turns"] == 36
    assert summary.requests == 36 and summary.attempts == 2
    assert (summary.prompt_tokens, summary.completion_tokens) == (totals["prompt_tokens"], totals["completion_tokens"])


def test_an_interrupt_right_after_a_step_is_stored_keeps_the_counters_of_that_step(store, plan_run, monkeypatch):
    """CI once stored 4 requests beside 6 turns: Ctrl-C landed after a step's commit, before the driver's
    in-memory stats moved, and the interrupted write replaced the step's counters with the older ones."""
    run_id = plan_run(store, IDS, sessions_per_scenario=2, max_turns=6, concurrency=3, seed=9)
    real_step, steps = run_store.record_step, []

    def step_then_ctrl_c(*args, **kwargs):
        real_step(*args, **kwargs)
        steps.append(kwargs.get("turns"))
        if sum(len(t) for t in steps if t) >= 5:
            raise KeyboardInterrupt  # the step is committed; the driver never learns it

    monkeypatch.setattr(run_store, "record_step", step_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        drive_run(store, run_id, make_backend=lambda spec: Interrupting(None))
    run = run_store.get_run(store, run_id)
    stored = run_store.turn_totals(store, run_id)
    assert run["status"] == "interrupted" and stored["turns"] >= 5
    assert run["progress"]["requests"] == stored["turns"]
    assert (run["progress"]["prompt_tokens"], run["progress"]["completion_tokens"]) == (
        stored["prompt_tokens"], stored["completion_tokens"])


class Batched(PacedScriptedBackend):
    """Says it batches in one pass; a batch holding the photosynthesis prompt raises, single requests too."""

    batches_in_one_pass = True

    def __init__(self):
        super().__init__(vary=True)

    def complete(self, messages, options=None):
        if "plant" in messages[0]["content"].lower():
            raise BackendError("context length exceeded")
        return super().complete(messages, options)

    def complete_batch(self, requests, options=None):
        per = options if isinstance(options, list) else [options] * len(requests)
        return [self.complete(m, o) for m, o in zip(requests, per)]


def test_a_batch_that_falls_back_to_single_requests_is_counted_logged_and_shown(store, plan_run, caplog, tmp_path):
    run_id = plan_run(store, IDS, max_turns=2)
    with caplog.at_level(logging.WARNING, logger="practicum.agents.runs.driver"):
        summary = drive_run(store, run_id, make_backend=lambda spec: Batched())
    assert (summary.completed, summary.failed) == (2, 1)
    assert summary.batch_fallbacks == 1 and summary.attempt["batch_fallbacks"] == 1  # the teacher batch of 3
    progress = run_store.get_run(store, run_id)["progress"]
    assert progress["batch_fallbacks"] == 1 and "context length exceeded" in progress["last_batch_fallback"]
    assert "batch of 3" in progress["last_batch_fallback"]
    assert any("complete_batch failed" in r.getMessage() for r in caplog.records)
