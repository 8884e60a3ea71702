"""Paged, filtered, sorted session listings and current-rating queries for the browser and review."""

from __future__ import annotations

import pytest

from practicum.records import Turn
from practicum.errors import InputError
from practicum.scenarios.files import get_builtin
from practicum.storage.browse import SessionQuery, count_sessions, filter_values, page_sessions
from practicum.storage.rating_queries import (
    current_ratings, multi_rater_scores, session_metrics, session_raters,
)


@pytest.fixture
def listing(store):
    """Five sessions: three math (grade 5) simulated, two reading mathdial, with 1..5 turns."""
    math = get_builtin("fractions-unlike-denominators")
    reading = get_builtin("reading-main-idea")
    ids = []
    for i in range(5):
        scenario, source = (math, "simulated") if i < 3 else (reading, "mathdial")
        sid = store.create_session(scenario, teacher_spec="scripted", student_spec="scripted", source=source)
        for t in range(i + 1):
            store.add_turn(sid, Turn(t, "teacher" if t % 2 == 0 else "student", f"turn {t}"))
        ids.append(sid)
    return ids


def test_page_and_count_with_filters(store, listing):
    everything = SessionQuery()
    assert count_sessions(store, everything) == 5
    assert [r["id"] for r in page_sessions(store, everything, limit=2)] == listing[::-1][:2]
    assert [r["id"] for r in page_sessions(store, everything, limit=2, offset=4)] == [listing[0]]
    mathdial = SessionQuery(source="mathdial")
    assert count_sessions(store, mathdial) == 2
    assert {r["subject"] for r in page_sessions(store, mathdial)} == {"reading"}
    assert count_sessions(store, SessionQuery(subject="math", grade="5")) == 3
    assert count_sessions(store, SessionQuery(subject="math", grade="9")) == 0


def test_sorting_by_computed_columns(store, listing):
    by_turns = page_sessions(store, SessionQuery(sort="turns", descending=False))
    assert [r["n_turns"] for r in by_turns] == [1, 2, 3, 4, 5]
    store.add_rating(listing[0], rater="ana", dimension="overall", score=5)
    store.add_rating(listing[1], rater="ana", dimension="overall", score=2)
    by_rating = page_sessions(store, SessionQuery(sort="rating"), limit=2)
    assert [(r["id"], r["mean_rating"]) for r in by_rating] == [(listing[0], 5.0), (listing[1], 2.0)]


def test_with_sort_flips_direction_on_the_same_column():
    q = SessionQuery().with_sort("scenario")
    assert (q.sort, q.descending) == ("scenario", False)
    assert q.with_sort("scenario").descending is True
    with pytest.raises(InputError):
        q.with_sort("nonsense")


def test_rated_filter_and_mean_uses_latest_scores(store, listing):
    sid = listing[2]
    store.add_rating(sid, rater="ana", dimension="coherence", score=1, turn_idx=0)
    store.add_rating(sid, rater="ana", dimension="coherence", score=5, turn_idx=0)  # re-rated
    store.add_rating(sid, rater="bo", dimension="coherence", score=3, turn_idx=0)
    store.add_rating(sid, rater="bo", dimension="comment", score=None, turn_idx=0, comment="fine")
    rated = page_sessions(store, SessionQuery(rated=True))
    assert [(r["id"], r["mean_rating"]) for r in rated] == [(sid, 4.0)]
    assert count_sessions(store, SessionQuery(rated=False)) == 4
    assert session_raters(store, sid) == ["ana", "bo"]
    current = current_ratings(store, sid, "ana")
    assert current[(0, "coherence")]["score"] == 5.0 and len(current) == 1
    assert current_ratings(store, sid, "bo")[(0, "comment")]["comment"] == "fine"


def test_multi_rater_scores_only_sessions_with_two_raters(store, listing):
    store.add_rating(listing[0], rater="ana", dimension="overall", score=3)
    store.add_rating(listing[1], rater="ana", dimension="overall", score=3)
    store.add_rating(listing[1], rater="bo", dimension="overall", score=2)
    store.add_rating(listing[1], rater="bo", dimension="overall", score=4)  # latest counts
    rows = multi_rater_scores(store)
    assert [(r["session_id"], r["rater"], r["score"]) for r in rows] == [(listing[1], "ana", 3.0),
                                                                          (listing[1], "bo", 4.0)]


def test_filter_values(store, listing):
    grades = sorted({get_builtin("fractions-unlike-denominators").grade, get_builtin("reading-main-idea").grade},
                    key=int)
    assert filter_values(store) == {"subject": ["math", "reading"], "grade": grades,
                                    "source": ["mathdial", "simulated"]}


def test_session_metrics_rows_or_none_without_the_table(store, listing):
    if "metrics" not in store.db.table_names():  # older databases, or before the metrics migration
        store.db.execute("create table metrics (session_id integer, name text, version text, value float, "
                         "detail text, created text)")
    assert session_metrics(store, listing[1]) == []
    store.db["metrics"].insert({"session_id": listing[0], "name": "telling_rate", "version": "1", "value": 0.25,
                                "detail": "{}", "created": "now"})
    assert [(r["name"], r["value"]) for r in session_metrics(store, listing[0])] == [("telling_rate", 0.25)]
    store.db["metrics"].drop()
    assert session_metrics(store, listing[0]) is None


def test_judge_scores_are_not_a_human_rating(store, listing):
    first, second = listing[0], listing[1]
    store.add_rating(first, rater="judge:minilm-mrbench@abc", dimension="guidance", score=1, turn_idx=0)
    store.add_rating(second, rater="ana", dimension="guidance", score=4, turn_idx=0)
    store.add_rating(second, rater="judge:minilm-mrbench@abc", dimension="guidance", score=1, turn_idx=0)
    rows = {r["id"]: r for r in page_sessions(store, SessionQuery())}
    assert rows[first]["mean_rating"] is None and rows[second]["mean_rating"] == 4
    assert [r["id"] for r in page_sessions(store, SessionQuery(rated=True))] == [second]
