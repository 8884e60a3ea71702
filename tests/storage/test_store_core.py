"""Store: migrations, WAL, sessions and turns, FTS, ratings history, deletes."""

from __future__ import annotations

import sqlite3

import pytest

from practicum.records import Turn
from practicum.errors import InputError, NotFoundError
from practicum.storage.migrations import MIGRATIONS
from practicum.storage.store import Store


def _session(store, scenario, **kw):
    return store.create_session(scenario, teacher_spec="scripted", student_spec="scripted", seed=3, **kw)


def test_file_store_uses_wal_and_records_migrations(tmp_path):
    store = Store(tmp_path / "p.db")
    assert store.db.execute("pragma journal_mode").fetchone()[0] == "wal"
    applied = [r["name"] for r in store.db["_migrations"].rows]
    assert applied == [m.__name__ for m in MIGRATIONS]
    store.close()
    again = Store(tmp_path / "p.db")  # reopening applies nothing twice
    assert [r["name"] for r in again.db["_migrations"].rows] == applied


def test_session_roundtrip_keeps_specs_seed_programs_and_turns(store, scenario):
    sid = _session(store, scenario, programs={"teacher": {"version": "abc123", "instructions": "x"}},
                   options={"max_turns": 4})
    store.add_turn(sid, Turn(0, "teacher", "What is 1/3 + 1/4?", prompt_tokens=50, completion_tokens=9, latency=0.25,
                             model="scripted"))
    store.add_turn(sid, Turn(1, "student", "It is 2/7.", move=None, completion_tokens=4))
    store.finish_session(sid, "completed", "max_turns")
    got = store.get_session(sid)
    assert got["teacher_spec"] == "scripted" and got["seed"] == 3
    assert got["teacher_program"] == "abc123" and got["options"] == {"max_turns": 4}
    assert got["status"] == "completed" and got["stop_reason"] == "max_turns" and got["ended"]
    assert [(t["idx"], t["role"], t["text"]) for t in got["turns"]] == [
        (0, "teacher", "What is 1/3 + 1/4?"), (1, "student", "It is 2/7.")]
    assert got["turns"][0]["prompt_tokens"] == 50 and got["turns"][0]["latency_ms"] == 250.0
    assert store.get_scenario(scenario.id) == scenario


def test_duplicate_turn_index_is_refused(store, scenario):
    sid = _session(store, scenario)
    store.add_turn(sid, Turn(0, "teacher", "Hi"))
    with pytest.raises(sqlite3.IntegrityError):
        store.add_turn(sid, Turn(0, "teacher", "Hi again"))
    assert len(store.get_turns(sid)) == 1


def test_bad_role_is_an_input_error(store, scenario):
    sid = _session(store, scenario)
    with pytest.raises(InputError, match="role"):
        store.add_turn(sid, Turn(0, "narrator", "Once upon a time"))


def test_fts_finds_turns_and_tracks_deletes(store, scenario):
    a = _session(store, scenario)
    store.add_turn(a, Turn(0, "teacher", "Let's find a common denominator together."))
    b = _session(store, scenario)
    store.add_turn(b, Turn(0, "teacher", "Photosynthesis uses carbon dioxide."))
    hits = store.search_turns("denominator")
    assert [(h["session_id"], h["idx"]) for h in hits] == [(a, 0)]
    assert store.search_turns("denominators")  # porter stemming
    store.delete_session(a)
    assert store.search_turns("denominator") == []
    with pytest.raises(NotFoundError):
        store.get_session(a)


def test_bad_fts_query_is_input_error(store):
    with pytest.raises(InputError, match="search query"):
        store.search_turns('"unbalanced')
    with pytest.raises(InputError):
        store.search_turns("  ")


def test_ratings_keep_history(store, scenario):
    sid = _session(store, scenario)
    store.add_rating(sid, rater="ana", dimension="coherence", score=3, turn_idx=0)
    store.add_rating(sid, rater="ana", dimension="coherence", score=5, turn_idx=0)
    scores = [r["score"] for r in store.ratings(sid)]
    assert scores == [3, 5]


def test_import_transcript_is_all_or_nothing(store, scenario):
    turns = [Turn(0, "teacher", "Hello", move="generic", move_source="human"), Turn(1, "narrator", "bad")]
    with pytest.raises(InputError):
        store.import_transcript(scenario, turns, source="mathdial")
    assert store.count_sessions() == 0
    assert store.db["turns"].count == 0


def test_list_sessions_filters_and_counts_turns(store, scenario):
    a = _session(store, scenario, source="simulated")
    store.add_turn(a, Turn(0, "teacher", "Hi"))
    b = _session(store, scenario, source="practice")
    rows = store.list_sessions()
    assert [r["id"] for r in rows] == [b, a]
    assert {r["id"]: r["n_turns"] for r in rows} == {a: 1, b: 0}
    assert [r["id"] for r in store.list_sessions(source="practice")] == [b]
    assert rows[0]["subject"] == scenario.subject


def test_integrity_check_ok(tmp_path):
    assert Store(tmp_path / "x.db").integrity_check() == "ok"


def test_search_snippet_is_centred_on_the_match_in_whole_words(store, scenario):
    sid = _session(store, scenario)
    words = [f"filler{i}" for i in range(60)]
    text = " ".join(words[:30] + ["denominator"] + words[30:])
    store.add_turn(sid, Turn(0, "teacher", text))
    (hit,) = store.search_turns("denominator", snippet_words=10)
    snippet = hit["snippet"]
    marked = f"{store.SNIPPET_OPEN}denominator{store.SNIPPET_CLOSE}"
    assert marked in snippet and snippet.startswith("…") and snippet.endswith("…")
    before, after = snippet.split(marked)
    kept = before.strip("… ").split() + after.strip("… ").split()
    assert all(word in words for word in kept)  # no word cut in half
    assert abs(len(before.split()) - len(after.split())) <= 3  # the match sits in the middle


def test_cli_search_highlights_without_markup_injection(scenario, tmp_path):
    from practicum.commands.sessions import highlight_snippet

    marked = f"a [bold]x {Store.SNIPPET_OPEN}denominator{Store.SNIPPET_CLOSE} y"
    assert highlight_snippet(marked) == r"a \[bold]x [bold yellow]denominator[/bold yellow] y"
