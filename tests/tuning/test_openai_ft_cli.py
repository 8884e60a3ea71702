"""`practicum tune openai ...` end to end against the fake service: cost, confirm, watch, list, errors."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from practicum.cli import cli, main
from practicum.storage.store import Store
from practicum.storage.tuning_runs import list_tuning_runs
from practicum.tuning.openai_ft import jobs
from tests.fakes.fine_tuning_data import sft_records, write_jsonl
from tests.fakes.openai_server import QUOTA_EXCEEDED, FakeOpenAIServer

KEY = "sk-ft-cli-SECRET-8086"


@pytest.fixture
def server(monkeypatch):
    with FakeOpenAIServer(api_key=KEY) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        yield fake


@pytest.fixture
def train(tmp_path):
    return write_jsonl(tmp_path / "train.jsonl", sft_records(12))


@pytest.fixture
def db(tmp_path):
    return tmp_path / "cli.db"


def run(db, *args, input=None):
    return CliRunner().invoke(cli, ["--db", str(db), "tune", "openai", *args], input=input, catch_exceptions=False)


def run_main(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    """The real entry point in this process (so it reaches the fake server): exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["practicum", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_start_shows_the_cost_and_declining_uploads_nothing(server, db, train):
    result = run(db, "start", str(train), "--epochs", "2", input="n\n")

    assert result.exit_code == 1 and "Aborted" in result.output
    assert "train.jsonl (openai-sft, 12 examples" in result.output
    assert "Estimated cost: $0.00 (2 epochs (given) x" in result.output and "prices as of" in result.output
    assert "Start this fine-tuning job? [y/N]" in result.output
    assert server.requests == []
    assert not db.exists() or list_tuning_runs(Store(db)) == []


def test_start_yes_watch_then_the_model_is_a_teacher(server, db, train, monkeypatch):
    result = run(db, "start", str(train), "--suffix", "tutor", "--seed", "3", "--yes", "--watch", "--interval", "0")

    assert result.exit_code == 0, result.output
    (job,) = server.fine_tuning.jobs.values()
    assert f"Started job {job.id} as tuning run 1" in result.output
    assert "run 1 job" in result.output and ": succeeded" in result.output
    assert "Step 3/3: training loss=" in result.output
    spec = f"openai:{job.fine_tuned_model}"
    assert f"Use it with: practicum simulate --teacher '{spec}'" in result.output

    session = CliRunner().invoke(cli, ["--db", str(db), "simulate", "--scenario", "fractions-unlike-denominators",
                                       "--turns", "2", "--teacher", spec, "--student", "scripted:I added the tops."],
                                 catch_exceptions=False)
    assert session.exit_code == 0, session.output
    assert server.chat_requests and server.chat_requests[0]["model"] == job.fine_tuned_model


def test_status_list_events_and_models(server, db, train):
    run(db, "start", str(train), "--yes")
    job_id = next(iter(server.fine_tuning.jobs))

    status = run(db, "status", "1")
    assert status.exit_code == 0 and "queued" in status.output and job_id in status.output
    row = json.loads(run(db, "status", job_id, "--json").output)
    assert row["status"] == "running" and row["external_id"] == job_id and row["id"] == 1

    server.fine_tuning.advance(job_id, steps=5)
    done = run(db, "status")
    assert "succeeded" in done.output and "Use it with" in done.output
    tuned = server.fine_tuning.jobs[job_id].fine_tuned_model

    events = run(db, "events", "1", "--all", "--json")
    messages = [e["message"] for e in json.loads(events.output)]
    assert messages[0].startswith("Created fine-tuning job") and messages[-1] == "The job has successfully completed"
    assert len(json.loads(run(db, "events", "1", "--limit", "2", "--json").output)) == 2

    models = json.loads(run(db, "models", "--json").output)
    assert [(m["id"], m["run_id"]) for m in models] == [(tuned, 1)]
    assert "gpt-4o-mini-2024-07-18" in run(db, "models", "--all").output

    local = run(db, "list", "--local")
    assert job_id in local.output and "succeeded" in local.output


def test_list_follows_pages(server, db, train):
    for _ in range(3):
        run(db, "start", str(train), "--yes")
    ids = list(server.fine_tuning.jobs)[::-1]

    first = run(db, "list", "--limit", "2")
    assert ids[0] in first.output and ids[2] not in first.output
    assert f"More jobs: practicum tune openai list --after {ids[1]}" in first.output
    every = json.loads(run(db, "list", "--limit", "2", "--all", "--json").output)
    assert [j["id"] for j in every["jobs"]] == ids and every["has_more"] is False
    assert [j["run_id"] for j in every["jobs"]] == [3, 2, 1]


def test_cancel_and_ctrl_c_stops_watching_not_the_job(server, db, train, monkeypatch):
    run(db, "start", str(train), "--yes")

    def interrupted(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(jobs, "pause", interrupted)
    watched = run(db, "watch", "1")
    assert watched.exit_code == 0
    assert "Stopped watching; job" in watched.output and "Resume with: practicum tune openai watch 1" in watched.output
    (job,) = server.fine_tuning.jobs.values()
    assert job.status == "queued" and not server.requests_to("POST", f"/v1/fine_tuning/jobs/{job.id}/cancel")

    cancelled = run(db, "cancel", job.id)
    assert "cancelled" in cancelled.output and job.status == "cancelled"


def test_one_line_errors(server, db, train, monkeypatch, capsys, tmp_path):
    base = ["--db", str(db), "tune", "openai"]

    monkeypatch.delenv("OPENAI_API_KEY")
    code, _, err = run_main(monkeypatch, capsys, *base, "start", str(train), "--yes")
    assert code == 1 and err.startswith("Error: no OpenAI API key for ") and err.count("\n") == 1

    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-the-right-one")
    code, _, err = run_main(monkeypatch, capsys, *base, "models")
    assert code == 1 and "rejected the API key (HTTP 401)" in err and "sk-not" not in err and err.count("\n") == 1

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    server.fail_next(429, body=QUOTA_EXCEEDED, path="/v1/files")
    code, _, err = run_main(monkeypatch, capsys, *base, "start", str(train), "--yes")
    assert code == 1 and "Error: uploading train.jsonl: quota exceeded" in err and err.count("\n") == 1

    server.fail_next(429, headers={"retry-after": "0"}, path="/v1/files")
    code, out, err = run_main(monkeypatch, capsys, *base, "start", str(train), "--yes")
    assert code == 0 and "Started job" in out and err == ""

    server.fail_next(400, body={"error": {"message": "File is invalid: line 2 has no messages",
                                          "code": "invalid_file_format"}}, path="/v1/files")
    code, _, err = run_main(monkeypatch, capsys, *base, "start", str(train), "--yes")
    assert code == 1 and "HTTP 400 invalid_file_format: File is invalid: line 2" in err

    bad = write_jsonl(tmp_path / "short.jsonl", sft_records(3))
    code, _, err = run_main(monkeypatch, capsys, *base, "start", str(bad), "--yes")
    assert code == 1 and "too_few_examples" in err and "not uploaded" in err and err.count("\n") == 1

    server.fine_tuning.fail_next_job("Internal error while training; retry the job.", code="internal_error")
    code, out, _ = run_main(monkeypatch, capsys, *base, "start", str(train), "--yes")
    run_id = out.split("as tuning run ")[1].split()[0]
    code, _, err = run_main(monkeypatch, capsys, *base, "watch", run_id, "--interval", "0")
    assert code == 1
    assert err.endswith("failed: Internal error while training; retry the job. (internal_error)\n")
    assert err.count("\n") == 1 and KEY not in err
