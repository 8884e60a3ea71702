"""`practicum generate` and `practicum runs` through click: summaries, JSON, resume rules."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from practicum.cli import cli
from practicum.storage.store import Store


def run(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)


def test_generate_prints_summary_and_runs_show_it(tmp_path):
    db = tmp_path / "p.db"
    result = run(db, "generate", "--scenarios", "subject=reading", "-k", "2", "--turns", "4", "--teacher",
                 "scripted:vary=1", "--student", "scripted:vary=1", "-c", "3", "--seed", "4")
    assert result.exit_code == 0, result.output
    assert "Run 1 completed: 6 sessions (6 completed, 0 failed), 24 turns stored" in result.output
    assert "near duplicates marked: 0" in result.output
    # the packaged judge summarises the run's teacher turns and stores its labels as ratings
    assert re.search(r"judge:minilm-mrbench@\w+ on 12 teacher turns: providing guidance yes \d+%", result.output)
    store = Store(db)
    raters = {r["rater"] for s in store.list_sessions(limit=None) for r in store.ratings(s["id"])}
    assert len(raters) == 1 and raters.pop().startswith("judge:minilm-mrbench@")

    listed = json.loads(run(db, "runs", "list", "--json").stdout)
    assert listed[0]["id"] == 1 and listed[0]["counts"] == {"completed": 6} and listed[0]["turns"] == 24
    assert listed[0]["config"]["teacher"] == "scripted:vary=1" and listed[0]["config"]["seed"] == 4
    shown = json.loads(run(db, "runs", "show", "1", "--sessions", "--json").stdout)
    assert shown["status"] == "completed" and len(shown["sessions"]) == 6
    assert shown["progress"]["completion_tokens"] > 0 and shown["near_duplicates"] == 0
    text = run(db, "runs", "show", "1").output
    assert "sessions: 6 completed" in text and "teacher scripted:vary=1" in text
    table = run(db, "runs", "list").output
    assert "completed" in table and "6/6" in table


def test_json_summary_and_failures_by_reason(tmp_path):
    db = tmp_path / "p.db"
    result = run(db, "generate", "--scenarios", "area-rectangle,percent-discount", "--turns", "2", "--teacher",
                 "scripted:|", "--student", "scripted", "-c", "1", "--json")  # session 1 gets two empty replies
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["failed"] == 1 and summary["completed"] == 1
    assert summary["failures"][0]["reason"] == "empty_reply"


def test_resume_of_a_finished_run_does_nothing_more(tmp_path):
    db = tmp_path / "p.db"
    run(db, "generate", "--scenarios", "area-rectangle", "--turns", "2", "--teacher", "scripted:vary=1",
        "--student", "scripted:vary=1")
    again = run(db, "generate", "--resume", "1", "--json", "-c", "2")
    summary = json.loads(again.stdout)
    assert summary["turns"] == 2 and summary["attempt"]["requests"] == 0


def test_resume_rejects_new_settings(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "p.db"), "generate", "--resume", "1", "--scenarios",
                                      "all", "--seed", "3"])
    assert result.exit_code == 2 and "drop --scenarios, --seed" in result.output


def test_a_large_run_is_judged_on_a_seeded_sample(tmp_path, monkeypatch):
    monkeypatch.setattr("practicum.commands.generate.JUDGE_SAMPLE", 2)
    db = tmp_path / "p.db"
    result = run(db, "generate", "--scenarios", "subject=reading", "-k", "2", "--turns", "2", "--teacher",
                 "scripted:vary=1", "--student", "scripted:vary=1", "--seed", "4")
    assert result.exit_code == 0, result.output
    assert "on 2 teacher turns" in result.output
    assert "(a seeded sample of 2 of 6 sessions; all: practicum eval judge --run 1)" in result.output
    store = Store(db)
    judged = [s["id"] for s in store.list_sessions(limit=None) if store.ratings(s["id"])]
    assert len(judged) == 2
