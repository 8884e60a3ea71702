"""Numbered, append-only schema migrations; a landed migration is never edited."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from sqlite_utils import Database


def m001_initial(db: Database) -> None:
    """Create the tables DESIGN.md sketches, with FTS over turn text."""
    db["scenarios"].create(
        {
            "id": str, "title": str, "subject": str, "grade": str, "topic": str, "objective": str,
            "problem": str, "answer": str, "solution": str, "student_profile": str, "source": str,
            "created": str,
        },
        pk="id",
    )
    db["runs"].create(
        {"id": int, "kind": str, "config": str, "status": str, "progress": str, "created": str, "updated": str},
        pk="id",
    )
    db["sessions"].create(
        {
            "id": int, "scenario_id": str, "source": str, "teacher_spec": str, "student_spec": str,
            "teacher_program": str, "student_program": str, "prompts": str, "options": str, "seed": int,
            "status": str, "stop_reason": str, "error": str, "started": str, "ended": str, "run_id": int,
            "metadata": str,
        },
        pk="id",
        foreign_keys=[("scenario_id", "scenarios", "id"), ("run_id", "runs", "id")],
    )
    db["turns"].create(
        {
            "id": int, "session_id": int, "idx": int, "role": str, "text": str, "move": str,
            "move_source": str, "prompt_tokens": int, "completion_tokens": int, "latency_ms": float,
            "model": str, "created": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
    )
    db["turns"].create_index(["session_id", "idx"], unique=True)
    db["sessions"].create_index(["scenario_id"])
    db["sessions"].create_index(["run_id"])
    db["ratings"].create(
        {
            "id": int, "session_id": int, "turn_idx": int, "rater": str, "dimension": str, "score": float,
            "comment": str, "created": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
    )
    db["ratings"].create_index(["session_id", "turn_idx"])
    db["datasets"].create(
        {"id": int, "format": str, "path": str, "filters": str, "counts": str, "content_hash": str, "created": str},
        pk="id",
    )
    db["tuning_runs"].create(
        {
            "id": int, "tuner": str, "config": str, "data_hash": str, "artifact_path": str, "status": str,
            "metrics_before": str, "metrics_after": str, "error": str, "created": str, "updated": str,
        },
        pk="id",
    )
    db["turns"].enable_fts(["text"], create_triggers=True, tokenize="porter")


def m002_turn_candidates(db: Database) -> None:
    """Alternative texts for one turn (generated candidates, reviewer rewrites) and their ratings.

    Candidates are rated in their own table rather than in `ratings`, whose rows with a turn_idx
    mean "this stored turn": a candidate rating there would be read as a rating of the original.
    Both tables cascade on delete, so deleting a session (or a candidate) removes what hangs off it.
    """
    db.execute(
        "create table turn_candidates ("
        " id integer primary key,"
        " session_id integer not null references sessions(id) on delete cascade,"
        " turn_idx integer not null,"
        " text text not null,"
        " kind text not null check (kind in ('candidate', 'rewrite')),"
        " author text not null default '',"
        " model text not null default '',"
        " note text not null default '',"
        " created text not null)"
    )
    db["turn_candidates"].create_index(["session_id", "turn_idx"])
    db.execute(
        "create table candidate_ratings ("
        " id integer primary key,"
        " candidate_id integer not null references turn_candidates(id) on delete cascade,"
        " rater text not null,"
        " dimension text not null,"
        " score float,"
        " comment text not null default '',"
        " created text not null)"
    )
    db["candidate_ratings"].create_index(["candidate_id"])
    # Export manifests name their train and validation files.
    db["datasets"].add_column("files", str)


def m003_metrics(db: Database) -> None:
    """Session metrics keyed by (session, metric name, metric version), and predicted teacher moves per turn.

    A predicted move goes in its own columns so an imported human label (`move`, `move_source='human'`)
    is never overwritten; `predicted_by` names the classifier and its version.
    """
    db.execute(
        "create table metrics ("
        " session_id integer not null references sessions(id) on delete cascade,"
        " name text not null,"
        " version text not null,"
        " value float,"
        " detail text not null default '{}',"
        " created text not null,"
        " primary key (session_id, name, version))"
    )
    db["metrics"].create_index(["name", "version"])
    db["turns"].add_column("predicted_move", str)
    db["turns"].add_column("predicted_by", str)


def m005_tuning_run_details(db: Database) -> None:
    """Tuning runs name their base model, data file, remote job and resulting model, with free-form details."""
    table = db["tuning_runs"]
    for column in ("role", "base_model", "dataset_path", "external_id", "result_model"):
        table.add_column(column, str)
    table.add_column("details", str)


def m006_turn_metadata(db: Database) -> None:
    """Per-turn metadata as JSON: the student's knowledge state and the fidelity gate's record (agents/)."""
    db["turns"].add_column("metadata", str)


MIGRATIONS: list[Callable[[Database], None]] = [m001_initial, m002_turn_candidates, m003_metrics, m005_tuning_run_details,
                                                m006_turn_metadata]


def migrate(db: Database) -> list[str]:
    """Apply every migration not yet recorded; return the names applied."""
    if "_migrations" not in db.table_names():
        db["_migrations"].create({"name": str, "applied": str}, pk="name")
    done = {row["name"] for row in db["_migrations"].rows}
    applied = []
    for migration in MIGRATIONS:
        name = migration.__name__
        if name in done:
            continue
        with db.atomic():
            migration(db)
            db["_migrations"].insert({"name": name, "applied": datetime.now(timezone.utc).isoformat()})
        applied.append(name)
    return applied
