"""Turn candidates and rewrites (storage.candidates, `practicum turns`): storing, scoring, deleting, cascading."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from practicum.records import Turn
from practicum.cli import cli
from practicum.errors import InputError, NotFoundError
from practicum.storage import candidates as c

TURNS = [Turn(0, "teacher", "What is 1/3 + 1/4?"), Turn(1, "student", "2/7."), Turn(2, "teacher", "Are the pieces equal?")]


@pytest.fixture
def session(store, scenario):
    return store.import_transcript(scenario, TURNS, source="simulated")


def test_add_list_and_score_candidates(store, session):
    rewrite = c.save_rewrite(store, session, 2, "  Are thirds and fourths the same size?  ", author="ana", note="concrete")
    other = c.add_candidate(store, session, 2, "Try drawing it.", model="scripted")
    c.add_candidate(store, session, 0, "Tell me your answer.", author="bo")
    c.rate_candidate(store, rewrite, rater="ana", dimension="overall", score=2)
    c.rate_candidate(store, rewrite, rater="ana", dimension="overall", score=5)  # re-rating: the latest counts
    c.rate_candidate(store, rewrite, rater="bo", dimension="overall", score=4)
    c.rate_candidate(store, rewrite, rater="bo", dimension="comment", score=None, comment="nice")
    listed = c.list_candidates(store, session, 2)
    assert [(x["id"], x["kind"], x["text"], x["author"], x["note"]) for x in listed] == [
        (rewrite, "rewrite", "Are thirds and fourths the same size?", "ana", "concrete"),
        (other, "candidate", "Try drawing it.", "", "")]
    assert listed[0]["mean_score"] == pytest.approx(4.5) and listed[0]["n_scores"] == 2
    assert listed[1]["mean_score"] is None
    assert [x["turn_idx"] for x in c.list_candidates(store, session)] == [0, 2, 2]
    assert [x["id"] for x in c.list_candidates(store, session, kind="rewrite")] == [rewrite]
    assert c.current_candidate_scores(store, [session]) == {rewrite: pytest.approx(4.5)}
    assert c.current_candidate_scores(store, [session], rater="ana") == {rewrite: 5}
    assert len(c.candidate_ratings(store, rewrite)) == 4


def test_bad_candidates_are_refused(store, session):
    with pytest.raises(NotFoundError, match="session 1 has no turn 9"):
        c.add_candidate(store, session, 9, "x")
    with pytest.raises(NotFoundError, match="no session with id 99"):
        c.add_candidate(store, 99, 0, "x")
    with pytest.raises(InputError, match="empty"):
        c.add_candidate(store, session, 0, "   ")
    with pytest.raises(InputError, match="kind must be one of"):
        c.add_candidate(store, session, 0, "x", kind="draft")
    with pytest.raises(InputError, match="identical to the turn"):
        c.save_rewrite(store, session, 0, "What is 1/3 + 1/4?", author="ana")
    with pytest.raises(NotFoundError):
        c.rate_candidate(store, 123, rater="ana", dimension="overall", score=3)


def test_deleting_a_candidate_or_its_session_removes_what_hangs_off_it(store, session):
    first = c.add_candidate(store, session, 0, "A")
    second = c.add_candidate(store, session, 0, "B")
    c.rate_candidate(store, first, rater="ana", dimension="overall", score=3)
    c.rate_candidate(store, second, rater="ana", dimension="overall", score=3)
    c.delete_candidate(store, first)
    assert [x["id"] for x in c.list_candidates(store, session)] == [second]
    assert store.db["candidate_ratings"].count == 1
    store.delete_session(session)  # foreign keys cascade: no orphan candidates or ratings
    assert store.db["turn_candidates"].count == 0 and store.db["candidate_ratings"].count == 0


def test_turns_cli(tmp_path, scenario, monkeypatch):
    from practicum.storage.store import Store

    db = tmp_path / "p.db"
    store = Store(db)
    sid = store.import_transcript(scenario, TURNS, source="simulated")
    store.close()
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "Saved rewrite 1" in run("turns", "rewrite", str(sid), "2", "--text", "Are the slices the same size?",
                                    "--author", "ana")
    monkeypatch.setattr("click.edit", lambda text: text + " Draw it.")
    assert "Saved rewrite 2" in run("turns", "rewrite", str(sid), "0", "--author", "ana")
    assert "Stored candidate 3" in run("turns", "add-candidate", str(sid), "2", "--text", "Draw both.", "--model", "x")
    run("turns", "rate", str(sid), "2", "--score", "2", "--rater", "ana")
    run("turns", "rate-candidate", "1", "--score", "5", "--rater", "ana", "--dimension", "guidance")
    shown = json.loads(run("turns", "show", str(sid), "2", "--json"))
    assert shown["turn"]["text"] == "Are the pieces equal?"
    assert [(r["rater"], r["score"]) for r in shown["ratings"]] == [("ana", 2.0)]
    assert [(x["kind"], x["mean_score"]) for x in shown["candidates"]] == [("rewrite", 5.0), ("candidate", None)]
    listed = json.loads(run("turns", "candidates", str(sid), "--json"))
    assert [x["text"] for x in listed] == ["What is 1/3 + 1/4? Draw it.", "Are the slices the same size?", "Draw both."]
    assert "Deleted candidate 3" in run("turns", "delete-candidate", "3", "--yes")
    assert "rewrite" in run("turns", "show", str(sid), "2")
    missing = runner.invoke(cli, ["--db", str(db), "turns", "rate", str(sid), "7", "--score", "1"])
    assert isinstance(missing.exception, InputError) and "has no turn 7" in str(missing.exception)
