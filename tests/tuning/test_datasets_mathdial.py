"""The MathDial slice as a real-world fixture: import all 300 rows, rate some turns, export and validate."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from practicum.cli import cli
from practicum.errors import InputError
from practicum.storage.store import Store


def run(db, *args):
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def mathdial_db(tmp_path, mathdial_path):
    db = tmp_path / "md.db"
    report = json.loads(run(db, "import", str(mathdial_path), "--json"))
    assert (report["format"], report["imported"], report["skipped"]) == ("mathdial", 300, 0)
    return db


def test_all_rows_import_with_transcripts_and_move_labels(mathdial_db):
    store = Store(mathdial_db)
    assert store.count_sessions() == 300
    moves = dict(store.db.execute("select move, count(*) from turns where role = 'teacher' group by move").fetchall())
    assert {"focus", "probing", "telling", "generic"} <= set(moves) and sum(moves.values()) == 1895


def test_hf_sft_teacher_export_counts_every_teacher_turn_that_passes(mathdial_db, tmp_path):
    store = Store(mathdial_db)
    # A reviewer scores every 'telling' turn of the first 100 sessions low and a few others high.
    low = store.db.execute(
        "select session_id, idx from turns where role = 'teacher' and move = 'telling' and session_id <= 100"
    ).fetchall()
    for session_id, idx in low:
        store.add_rating(session_id, rater="ana", dimension="guidance", score=1, turn_idx=idx)
    for session_id in (1, 2, 3):
        store.add_rating(session_id, rater="ana", dimension="guidance", score=5, turn_idx=0)
    teacher_turns = store.db.execute("select count(*) from turns where role = 'teacher'").fetchone()[0]
    store.close()
    assert teacher_turns == 1895 and len(low) > 20

    out = tmp_path / "teacher.jsonl"
    summary = json.loads(run(mathdial_db, "export", "--format", "hf-sft", "--role", "teacher", "--out", str(out),
                             "--min-turn-rating", "3", "--source", "mathdial", "--subject", "math", "--grade", "7",
                             "--json"))
    rows = lines(out) + lines(out.with_name("teacher.val.jsonl"))
    assert len(rows) == teacher_turns - len(low)
    counts = summary["counts"]
    assert counts["train"]["learned"] + counts["validation"]["learned"] == teacher_turns - len(low)
    assert counts["not_learned_turns"] == len(low) and counts["role_turns"] == teacher_turns
    assert all(r["completion"][0]["role"] == "assistant" and r["prompt"][0]["role"] == "system" for r in rows)

    only_rated = json.loads(run(mathdial_db, "export", "--format", "hf-sft", "--out", str(tmp_path / "ana.jsonl"),
                                "--rater", "ana", "--val-fraction", "0", "--json"))
    assert only_rated["counts"]["sessions_matched"] == len({s for s, _ in low} | {1, 2, 3})

    nothing = CliRunner().invoke(cli, ["--db", str(mathdial_db), "export", "--format", "hf-sft", "--out",
                                       str(tmp_path / "none.jsonl"), "--grade", "8"])
    assert isinstance(nothing.exception, InputError) and "nothing to export" in str(nothing.exception)


def test_openai_sft_export_of_mathdial_validates_and_imports_back(mathdial_db, tmp_path):
    out = tmp_path / "oai.jsonl"
    run(mathdial_db, "export", "--format", "openai-sft", "--out", str(out), "--val-fraction", "0")
    report = json.loads(run(mathdial_db, "validate", str(out), "--json"))
    assert report["ok"] and report["tokens"]["tokenizer"] == "tiktoken o200k_base"
    assert report["tokens"]["over_limit"] == 0 and report["cost"]["usd"] > 0

    back = Store(tmp_path / "back.db")
    original = Store(mathdial_db)
    from practicum.tuning.datasets.importing import import_file

    assert import_file(back, out).skipped == []
    recovered = {tuple((t["role"], t["text"]) for t in back.get_turns(s["id"])) for s in back.list_sessions(limit=None)}
    # Prompts are bounded (agents/prompt_budget.py): a long dialogue comes back as several windows and a
    # long turn clipped with "…". Each recovered dialogue is a contiguous stretch of one original, and every
    # teacher turn comes back right after the turn that preceded it.
    originals = [tuple((t["role"], t["text"]) for t in original.get_turns(s["id"]))
                 for s in original.list_sessions(limit=None)]

    def same(got, turn):
        (role, text), (want_role, want) = got, turn
        clipped = text.endswith("…") and want.startswith(text[:-1].rstrip()[:200])
        return role == want_role and (text == want or clipped)

    def stretch_of(window, whole):
        return any(all(same(g, w) for g, w in zip(window, whole[i:i + len(window)]))
                   for i in range(len(whole) - len(window) + 1))

    for window in recovered:
        assert any(stretch_of(window, whole) for whole in originals), window[:2]
    pairs = [window[i:i + 2] for window in recovered for i in range(len(window) - 1)]
    by_teacher = {}
    for pair in pairs:
        by_teacher.setdefault(pair[1][1][:60], []).append(pair)
    for turns in originals:
        for i, (role, text) in enumerate(turns):
            if role == "teacher" and i > 0:
                assert any(stretch_of(pair, turns[i - 1:i + 1]) for pair in by_teacher.get(text[:60], [])), text
