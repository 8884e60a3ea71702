"""SQL of the shareable HTML report: session rows, transcripts and current scores for a selection of sessions.

Each query takes the selected ids in chunks, so a report over 10,000 sessions reads them in a few
dozen statements instead of one per session.
"""

from __future__ import annotations

from practicum.storage.store import Store, id_chunks

# The latest row per (session, rater, turn, dimension) is the current one; ratings keep their history.
_LATEST = (
    "r.id = (select max(r2.id) from ratings r2 where r2.session_id = r.session_id and r2.rater = r.rater "
    "and r2.dimension = r.dimension and r2.turn_idx is r.turn_idx)"
)


def session_rows(store: Store, session_ids: list[int]) -> list[dict]:
    """One row per session (in the order given): scenario title, subject, grade, problem, answer, specs, turns."""
    rows: dict[int, dict] = {}
    for chunk, marks in id_chunks(list(session_ids)):
        sql = (
            "select s.id, s.scenario_id, sc.title as scenario_title, sc.subject, sc.grade, sc.problem, sc.answer, "
            "s.source, s.status, s.stop_reason, s.teacher_spec, s.student_spec, s.run_id, s.seed, s.started, "
            "(select count(*) from turns t where t.session_id = s.id) as n_turns "
            f"from sessions s join scenarios sc on sc.id = s.scenario_id where s.id in ({marks})"
        )
        rows.update((row["id"], row) for row in store.query(sql, chunk))
    return [rows[i] for i in session_ids if i in rows]


def turn_rows(store: Store, session_ids: list[int]) -> dict[int, list[dict]]:
    """The turns of these sessions in order, keyed by session id: role, text, human and predicted move."""
    turns: dict[int, list[dict]] = {i: [] for i in session_ids}
    for chunk, marks in id_chunks(list(session_ids)):
        sql = (
            "select session_id, idx, role, text, move, move_source, predicted_move, predicted_by from turns "
            f"where session_id in ({marks}) order by session_id, idx"
        )
        for row in store.query(sql, chunk):
            turns[row["session_id"]].append(row)
    return turns


def current_ratings(store: Store, session_ids: list[int]) -> list[dict]:
    """The current rating per (session, rater, turn, dimension) of these sessions, scored or comment.

    Each row: session_id, turn_idx (None for the whole session), rater, dimension, score (None for a
    comment or a judge's unreadable reply), comment.
    """
    out: list[dict] = []
    for chunk, marks in id_chunks(list(session_ids)):
        sql = (
            "select r.session_id, r.turn_idx, r.rater, r.dimension, r.score, r.comment from ratings r "
            f"where r.session_id in ({marks}) and {_LATEST} "
            "order by r.session_id, r.turn_idx, r.rater, r.dimension"
        )
        out.extend(store.query(sql, chunk))
    return out
