"""SQL of a trainee's practice: who practised (session metadata), branches of a session, judge scores per turn.

A practice session records its trainee in `sessions.metadata` (`{"trainee": "ana"}`); a branch
also records where it came from (`parent_session_id`, `branch_turn_idx`). Metadata needs no new
column, and `json_extract` finds the rows.
"""

from __future__ import annotations

import json

from practicum.storage.store import Store, id_chunks, now_iso

TRAINEE = "trainee"
PARENT = "parent_session_id"
BRANCH_TURN = "branch_turn_idx"
JUDGE_PREFIX = "judge:"


def set_session_metadata(store: Store, session_id: int, **values) -> dict:
    """Merge `values` into a session's metadata JSON; return the new metadata."""
    with store._lock, store.db.atomic():
        row = store.db.execute("select metadata from sessions where id = ?", [session_id]).fetchone()
        metadata = json.loads(row[0]) if row and row[0] else {}
        metadata.update(values)
        store.db.execute("update sessions set metadata = ? where id = ?",
                         [json.dumps(metadata, ensure_ascii=False, sort_keys=True), session_id])
    return metadata


def practice_sessions(store: Store, trainee: str, *, include_running: bool = False) -> list[dict]:
    """A trainee's practice sessions, oldest first: id, scenario id and title, started, status, parent and branch turn."""
    sql = (
        "select s.id, s.scenario_id, sc.title as scenario_title, s.started, s.status, s.seed, "
        f"json_extract(s.metadata, '$.{PARENT}') as parent_session_id, "
        f"json_extract(s.metadata, '$.{BRANCH_TURN}') as branch_turn_idx, "
        "(select count(*) from turns t where t.session_id = s.id and t.role = 'teacher') as teacher_turns "
        "from sessions s join scenarios sc on sc.id = s.scenario_id "
        f"where s.source = 'practice' and json_extract(s.metadata, '$.{TRAINEE}') = ?"
        + ("" if include_running else " and s.status != 'running'")
        + " order by s.id"
    )
    return store.query(sql, [trainee])


def trainees(store: Store) -> list[str]:
    """Everyone who has practice sessions, alphabetically."""
    sql = (f"select distinct json_extract(metadata, '$.{TRAINEE}') as name from sessions "
           f"where source = 'practice' and json_extract(metadata, '$.{TRAINEE}') is not null order by name")
    return [row[0] for row in store.db.execute(sql).fetchall()]


def branch_children(store: Store, session_id: int) -> list[int]:
    """Ids of the sessions branched from this one, oldest first."""
    sql = f"select id from sessions where json_extract(metadata, '$.{PARENT}') = ? order by id"
    return [row[0] for row in store.db.execute(sql, [session_id]).fetchall()]


def fork_session(store: Store, parent_id: int, branch_turn_idx: int, *, student_spec: str, seed: int | None,
                 trainee: str | None = None, options: dict | None = None, programs: dict | None = None) -> int:
    """A new practice session branched from `parent_id` before turn `branch_turn_idx`; return its id.

    In one transaction: the session row (teacher `human`, parent and branch turn in its metadata), copies
    of the turns before the branch point (with their predicted moves and metadata), and copies of the judges'
    ratings of those turns (same text, same context: the same labels). People's ratings are not copied.
    """
    from practicum.errors import InputError

    parent = store.get_session(parent_id)
    if not any(t["idx"] == branch_turn_idx for t in parent["turns"]):
        raise InputError(f"session {parent_id} has no turn {branch_turn_idx}")
    scenario = store.get_scenario(parent["scenario_id"])
    metadata = {PARENT: parent_id, BRANCH_TURN: branch_turn_idx}
    if trainee:
        metadata[TRAINEE] = trainee
    with store._lock, store.db.atomic():
        session_id = store.create_session(scenario, teacher_spec="human", student_spec=student_spec, seed=seed,
                                          source="practice", options=options, programs=programs, metadata=metadata)
        columns = [c for c in store.db["turns"].columns_dict if c not in ("id", "session_id", "created")]
        listed = ", ".join(columns)
        store.db.execute(
            f"insert into turns (session_id, created, {listed}) select ?, ?, {listed} from turns "
            "where session_id = ? and idx < ? order by idx", [session_id, now_iso(), parent_id, branch_turn_idx])
        store.db.execute(
            "insert into ratings (session_id, turn_idx, rater, dimension, score, comment, created) "
            "select ?, turn_idx, rater, dimension, score, comment, created from ratings "
            "where session_id = ? and turn_idx is not null and turn_idx < ? and rater like ? order by id",
            [session_id, parent_id, branch_turn_idx, JUDGE_PREFIX + "%"])
    return session_id


def judge_turn_scores(store: Store, session_ids: list[int], rater: str | None = None) -> list[dict]:
    """Current judge scores of turns: session_id, turn_idx, rater, dimension, score, comment.

    `rater` picks one judge; None takes every `judge:` rater.
    """
    out: list[dict] = []
    for chunk, marks in id_chunks(list(session_ids)):
        sql = (
            "select r.session_id, r.turn_idx, r.rater, r.dimension, r.score, r.comment from ratings r "
            f"where r.session_id in ({marks}) and r.turn_idx is not null and r.score is not null "
            + ("and r.rater = ? " if rater else "and r.rater like ? ")
            + "and r.id = (select max(r2.id) from ratings r2 where r2.session_id = r.session_id "
            "and r2.rater = r.rater and r2.dimension = r.dimension and r2.turn_idx is r.turn_idx) "
            "order by r.session_id, r.turn_idx, r.dimension"
        )
        out.extend(store.query(sql, list(chunk) + [rater or JUDGE_PREFIX + "%"]))
    return out


def latest_judge(store: Store, session_ids: list[int]) -> str | None:
    """The judge rater that rated these sessions' turns most recently (None when no judge did)."""
    best: tuple[int, str] | None = None
    for chunk, marks in id_chunks(list(session_ids)):
        sql = (f"select max(id), rater from ratings where session_id in ({marks}) and rater like ? "
               "and turn_idx is not null group by rater")
        for row_id, rater in store.db.execute(sql, list(chunk) + [JUDGE_PREFIX + "%"]).fetchall():
            if best is None or row_id > best[0]:
                best = (row_id, rater)
    return best[1] if best else None


def judged_turns(store: Store, session_id: int, rater: str) -> set[int]:
    """Turn indexes of a session that this judge has scored."""
    sql = "select distinct turn_idx from ratings where session_id = ? and rater = ? and turn_idx is not null"
    return {row[0] for row in store.db.execute(sql, [session_id, rater]).fetchall()}


def scenario_practice_counts(store: Store, trainee: str) -> dict[str, int]:
    """How many finished practice sessions the trainee has on each scenario."""
    sql = (f"select scenario_id, count(*) from sessions where source = 'practice' and status != 'running' "
           f"and json_extract(metadata, '$.{TRAINEE}') = ? group by scenario_id")
    return {row[0]: row[1] for row in store.db.execute(sql, [trainee]).fetchall()}
