"""Reliability of `practicum generate` as real processes: kill -9 and resume, a reader beside a writer, bad input."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from practicum.storage.store import Store

IDS = "fractions-unlike-denominators,photosynthesis-plant-mass,reading-main-idea,area-rectangle"
PACED = "scripted:delay=0.02,vary=1"


def practicum_cmd(db, *args):
    return [sys.executable, "-m", "practicum", "--db", str(db), *args]


def run_cli(db, *args, timeout=120):
    return subprocess.run(practicum_cmd(db, *args), capture_output=True, text=True, timeout=timeout)


def count_turns(db) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("select count(*) from turns").fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        conn.close()


def test_kill_9_mid_run_then_resume_completes_without_duplicates(tmp_path):
    db = tmp_path / "p.db"
    args = ["generate", "--scenarios", IDS, "-k", "3", "--turns", "8", "--teacher", PACED, "--student", PACED,
            "-c", "4", "--seed", "11", "--no-answer-stop", "--judge", "none"]
    proc = subprocess.Popen(practicum_cmd(db, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while count_turns(db) < 20 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"

    store = Store(db)
    assert store.integrity_check() == "ok"
    killed_at = {s["id"]: store.get_turns(s["id"]) for s in store.list_sessions(limit=None)}
    stored = sum(len(t) for t in killed_at.values())
    assert 20 <= stored < 96
    for turns in killed_at.values():  # every stored turn intact: contiguous, alternating, non-empty
        assert [t["idx"] for t in turns] == list(range(len(turns)))
        assert [t["role"] for t in turns] == ["teacher", "student"] * (len(turns) // 2) + ["teacher"] * (len(turns) % 2)
        assert all(t["text"].strip() for t in turns)
    from practicum.storage.runs import get_run

    killed = get_run(store, 1)
    assert killed["status"] == "running" and killed["stalled"]  # `runs list` says so: its process is gone
    store.close()

    resumed = run_cli(db, "generate", "--resume", "1", "--json", "--judge", "none")
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["status"] == "completed" and summary["completed"] == 12 and summary["turns"] == 96
    # the killed attempt's counters were written with its turns: no request or token is lost or counted twice
    assert summary["requests"] == 96 and summary["attempts"] == 2

    store = Store(db)
    assert store.integrity_check() == "ok"
    from practicum.storage.runs import turn_totals

    tokens = turn_totals(store, 1)
    assert (summary["prompt_tokens"], summary["completion_tokens"]) == (tokens["prompt_tokens"],
                                                                        tokens["completion_tokens"])
    dupes = store.db.execute("select count(*) from (select session_id, idx from turns group by 1, 2 having count(*) > 1)")
    assert dupes.fetchone()[0] == 0
    for session_id, before in killed_at.items():
        after = store.get_turns(session_id)
        assert len(after) == 8
        assert [(t["idx"], t["text"], t["created"]) for t in after[: len(before)]] == [
            (t["idx"], t["text"], t["created"]) for t in before]  # kept, not regenerated
    # the resumed run equals one that was never interrupted (same seeds, same replies)
    fresh = run_cli(tmp_path / "fresh.db", *args)
    assert fresh.returncode == 0, fresh.stderr
    other = Store(tmp_path / "fresh.db")
    texts = lambda s: [[t["text"] for t in s.get_turns(i)] for i in range(1, 13)]  # noqa: E731
    assert texts(store) == texts(other)
    other.close()
    store.close()


def test_reader_and_writer_share_the_database_without_lock_errors(tmp_path):
    db = tmp_path / "p.db"
    Store(db).close()  # created and migrated before the two processes race
    writer = subprocess.Popen(
        practicum_cmd(db, "generate", "--scenarios", "builtin", "-k", "6", "--turns", "6", "--teacher",
                      "scripted:vary=1", "--student", "scripted:vary=1", "-c", "16", "--judge", "none"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    reader = Store(db)
    errors, reads, cli_reads = [], 0, 0
    deadline = time.time() + 60
    while writer.poll() is None and time.time() < deadline:
        try:
            reader.list_sessions(limit=20)
            reader.count_sessions()
            if reader.count_sessions():
                reader.search_turns("check OR side", limit=5)
                reader.get_session(1)
            reads += 1
        except Exception as exc:  # any error counts; 'database is locked' is the one WAL must prevent
            errors.append(repr(exc))
        if reads % 50 == 0:
            listed = run_cli(db, "sessions", "list", "--limit", "5", timeout=60)
            cli_reads += 1
            if listed.returncode != 0:
                errors.append(listed.stderr)
    out, err = writer.communicate(timeout=60)
    reader.close()
    assert writer.returncode == 0, err
    assert errors == [] and "locked" not in err
    assert reads > 20 and cli_reads >= 1
    assert "126 sessions (126 completed, 0 failed), 756 turns" in out


@pytest.mark.parametrize("args,message", [
    (["--scenarios", "no-such-scenario"], "Error: unknown scenario id: 'no-such-scenario'"),
    (["--scenarios", "area-rectangle", "--teacher", "gpt4"], "Error: unknown backend spec 'gpt4'"),
    (["--scenarios", "area-rectangle", "--student", "scripted:delay=abc"], "delay must be a number"),
    (["--scenarios", "BAD_FILE"], "bad.yaml: line 3, column 1: invalid YAML"),
    (["--scenarios", "BAD_JSONL"], "bad.jsonl: line 2, column 2: invalid JSON"),
    (["--scenarios", "EMPTY_FILE"], "empty.jsonl: no scenarios in file"),
    (["--scenarios", "subject=math,colour=red"], "unknown key 'colour'"),
    (["--resume", "42"], "Error: no run with id 42"),
    (["--resume", "1", "--turns", "3"], "drop --turns"),
    ([], "give --scenarios"),
])
def test_bad_input_is_one_line_error_and_writes_no_run(tmp_path, args, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: [unclosed\n")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    bad_lines = tmp_path / "bad.jsonl"
    bad_lines.write_text('{"id": "a"}\n{oops\n')
    files = {"BAD_FILE": str(bad), "EMPTY_FILE": str(empty), "BAD_JSONL": str(bad_lines)}
    args = [files.get(a, a) for a in args]
    for role in ("--teacher", "--student"):
        if role not in args and "--resume" not in args:
            args += [role, "scripted"]
    db = tmp_path / "p.db"
    result = run_cli(db, "generate", *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("Error:")] != []
    if db.exists():
        assert Store(db).db.execute("select count(*) from runs").fetchone()[0] == 0


def test_ctrl_c_prints_one_message_and_the_counters_match_the_turns(tmp_path):
    db = tmp_path / "p.db"
    slow = "scripted:delay=0.2,vary=1"
    proc = subprocess.Popen(practicum_cmd(db, "generate", "--scenarios", IDS, "-k", "2", "--turns", "8", "--teacher",
                                          slow, "--student", slow, "-c", "2", "--judge", "none"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 60
    while count_turns(db) < 6 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Run 1 interrupted; stored turns are kept. Continue with: practicum generate --resume 1" in err
    assert "Aborted" not in err and "Traceback" not in err
    from practicum.storage.runs import get_run, turn_totals

    store = Store(db)
    run, totals = get_run(store, 1), turn_totals(store, 1)
    store.close()
    assert run["status"] == "interrupted" and run["progress"]["requests"] == totals["turns"] > 0
