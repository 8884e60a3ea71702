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


MIGRATIONS: list[Callable[[Database], None]] = [m001_initial]


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
