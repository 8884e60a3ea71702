"""The Store: the only code that talks SQL. Opens, migrates and serves practicum's SQLite database."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from sqlite_utils import Database

from practicum.records import Turn
from practicum.errors import InputError, NotFoundError
from practicum.scenarios.model import Scenario
from practicum.storage.migrations import migrate

BUSY_TIMEOUT_S = 30


def now_iso() -> str:
    """Return the current UTC time as an ISO-8601 string."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


ID_CHUNK = 500  # ids per `in (...)` clause, well under SQLite's variable limit


def id_chunks(ids: list[int]) -> Iterable[tuple[list[int], str]]:
    """Split ids into chunks, each with its `?, ?, ...` placeholder string."""
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        yield chunk, ", ".join("?" for _ in chunk)


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _loads(value, default=None):
    return json.loads(value) if value else default


class Store:
    """Practicum's SQLite database: WAL mode, busy timeout, self-migrating on open."""

    def __init__(self, path: str | Path | None = None, *, memory: bool = False):
        """Open (creating and migrating) the database at `path`, or an in-memory one.

        A path that is not an SQLite database, or cannot be opened, raises InputError naming it; a missing
        parent directory is created and `created_directory` names it so the CLI can say so.
        """
        self.created_directory: Path | None = None
        if memory:
            conn = sqlite3.connect(":memory:", check_same_thread=False)
            self.path = None
        else:
            if path is None:
                from practicum.config import default_db_path

                path = default_db_path()
            self.path = Path(path)
            if self.path.is_dir():
                raise InputError(f"{self.path}: is a directory, not a database file")
            if not self.path.parent.exists():
                try:
                    self.path.parent.mkdir(parents=True)
                except OSError as exc:
                    raise InputError(f"{self.path}: cannot create its directory ({exc.strerror or exc})") from None
                self.created_directory = self.path.parent
            try:
                conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.DatabaseError as exc:
                raise InputError(f"{self.path}: cannot open as a practicum database ({exc})") from None
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            conn.execute("PRAGMA foreign_keys=ON")
            self.db = Database(conn)
            self._lock = threading.RLock()
            with self._lock:
                migrate(self.db)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise InputError(f"{self.path or ':memory:'}: cannot open as a practicum database ({exc})") from None

    def query(self, sql: str, params: list | tuple = ()) -> list[dict]:
        """Run a select and return its rows as dicts keyed by column name."""
        cursor = self.db.execute(sql, list(params))
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, r)) for r in cursor.fetchall()]

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    # -- scenarios ---------------------------------------------------------------------------

    def upsert_scenarios(self, scenarios: Iterable[Scenario]) -> int:
        """Insert or replace scenarios by id in one transaction; return how many."""
        rows = [self._scenario_row(s) for s in scenarios]
        with self._lock, self.db.atomic():
            self.db["scenarios"].upsert_all(rows, pk="id")
        return len(rows)

    @staticmethod
    def _scenario_row(scenario: Scenario) -> dict:
        row = scenario.model_dump(exclude={"student_profile"})
        row["student_profile"] = _json(scenario.student_profile.model_dump())
        row["created"] = now_iso()
        return row

    def get_scenario(self, scenario_id: str) -> Scenario:
        """Return one stored scenario or raise NotFoundError."""
        rows = list(self.db["scenarios"].rows_where("id = ?", [scenario_id]))
        if not rows:
            raise NotFoundError(f"no stored scenario with id '{scenario_id}'")
        return self._scenario_from_row(rows[0])

    def has_scenario(self, scenario_id: str) -> bool:
        """True when a scenario with this id is stored."""
        return bool(self.db.execute("select 1 from scenarios where id = ?", [scenario_id]).fetchone())

    @staticmethod
    def _scenario_from_row(row: dict) -> Scenario:
        data = {k: v for k, v in row.items() if k != "created"}
        data["student_profile"] = json.loads(data["student_profile"])
        return Scenario.model_validate(data)

    def list_scenarios(
        self, *, subject: str | None = None, grade: str | None = None, source: str | None = None,
        limit: int | None = None, offset: int = 0,
    ) -> list[Scenario]:
        """Return stored scenarios, optionally filtered, ordered by id."""
        where, params = self._where({"subject": subject, "grade": grade, "source": source})
        rows = self.db["scenarios"].rows_where(where, params, order_by="id", limit=limit, offset=offset or None)
        return [self._scenario_from_row(r) for r in rows]

    @staticmethod
    def _where(filters: dict, prefix: str = "") -> tuple[str | None, list]:
        clauses, params = [], []
        for column, value in filters.items():
            if value is not None:
                clauses.append(f"{prefix}{column} = ?")
                params.append(value)
        return (" and ".join(clauses) or None), params

    # -- sessions ----------------------------------------------------------------------------

    def create_session(
        self, scenario: Scenario, *, teacher_spec: str, student_spec: str, seed: int | None = None,
        source: str = "simulated", options: dict | None = None, programs: dict | None = None,
        run_id: int | None = None, metadata: dict | None = None, status: str = "running",
    ) -> int:
        """Store the scenario (if new) and a session row; return the session id."""
        programs = programs or {}
        with self._lock, self.db.atomic():
            if not self.has_scenario(scenario.id):
                self.db["scenarios"].insert(self._scenario_row(scenario))
            row = {
                "scenario_id": scenario.id, "source": source, "teacher_spec": teacher_spec,
                "student_spec": student_spec,
                "teacher_program": programs.get("teacher", {}).get("version", ""),
                "student_program": programs.get("student", {}).get("version", ""),
                "prompts": _json(programs), "options": _json(options or {}), "seed": seed,
                "status": status, "stop_reason": "", "error": "", "started": now_iso(), "ended": None,
                "run_id": run_id, "metadata": _json(metadata or {}),
            }
            return self.db["sessions"].insert(row).last_pk

    def add_turn(self, session_id: int, turn: Turn) -> None:
        """Persist one turn at once (its own transaction), so a crash loses at most the turn in flight."""
        from practicum.storage.candidates import insert_best_of_candidates

        with self._lock, self.db.atomic():
            self.db["turns"].insert(self._turn_row(session_id, turn))
            insert_best_of_candidates(self, session_id, turn)

    @staticmethod
    def _turn_row(session_id: int, turn: Turn) -> dict:
        from practicum.storage.candidates import stored_turn_metadata

        if turn.role not in ("teacher", "student"):
            raise InputError(f"turn {turn.idx}: role must be 'teacher' or 'student', got '{turn.role}'")
        return {
            "session_id": session_id, "idx": turn.idx, "role": turn.role, "text": turn.text, "move": turn.move,
            "move_source": turn.move_source, "prompt_tokens": turn.prompt_tokens,
            "completion_tokens": turn.completion_tokens, "latency_ms": round(turn.latency * 1000, 3),
            "model": turn.model, "metadata": _json(stored_turn_metadata(turn.metadata)) if turn.metadata else None,
            "created": now_iso(),
        }

    def finish_session(self, session_id: int, status: str, stop_reason: str = "", error: str = "") -> None:
        """Mark a session completed, failed or interrupted, with why."""
        with self._lock, self.db.atomic():
            self.db["sessions"].update(
                session_id, {"status": status, "stop_reason": stop_reason, "error": error, "ended": now_iso()}
            )

    def import_transcript(
        self, scenario: Scenario, turns: list[Turn], *, source: str, metadata: dict | None = None,
        teacher_spec: str = "human", student_spec: str = "human",
    ) -> int:
        """Store a finished transcript (scenario, session, turns) all-or-nothing; return the session id."""
        with self._lock, self.db.atomic():
            self.db["scenarios"].upsert(self._scenario_row(scenario), pk="id")
            session_id = self.create_session(
                scenario, teacher_spec=teacher_spec, student_spec=student_spec, source=source,
                metadata=metadata, status="completed",
            )
            self.db["turns"].insert_all(self._turn_row(session_id, t) for t in turns)
            self.db["sessions"].update(session_id, {"stop_reason": "imported", "ended": now_iso()})
        return session_id

    def get_session(self, session_id: int) -> dict:
        """Return a session row with its decoded JSON fields and its turns; NotFoundError if absent."""
        rows = list(self.db["sessions"].rows_where("id = ?", [session_id]))
        if not rows:
            raise NotFoundError(f"no session with id {session_id}")
        session = self._decode_session(rows[0])
        session["turns"] = self.get_turns(session_id)
        return session

    @staticmethod
    def _decode_session(row: dict) -> dict:
        row = dict(row)
        for key in ("prompts", "options", "metadata"):
            row[key] = _loads(row.get(key), {})
        return row

    def get_turns(self, session_id: int) -> list[dict]:
        """Return a session's turns in order (`metadata` decoded to a dict)."""
        rows = list(self.db["turns"].rows_where("session_id = ?", [session_id], order_by="idx"))
        for row in rows:
            row["metadata"] = _loads(row.get("metadata"), {})
        return rows

    def list_sessions(
        self, *, source: str | None = None, status: str | None = None, scenario_id: str | None = None,
        run_id: int | None = None, limit: int | None = 50, offset: int = 0,
    ) -> list[dict]:
        """Return sessions newest first with scenario title, subject, grade and turn count."""
        where, params = self._where(
            {"source": source, "status": status, "scenario_id": scenario_id, "run_id": run_id}, prefix="s."
        )
        sql = (
            "select s.*, sc.title as scenario_title, sc.subject, sc.grade, "
            "(select count(*) from turns t where t.session_id = s.id) as n_turns "
            "from sessions s join scenarios sc on sc.id = s.scenario_id"
            + (f" where {where}" if where else "")
            + " order by s.id desc"
        )
        if limit is not None:
            sql += " limit ? offset ?"
            params += [limit, offset]
        return [self._decode_session(row) for row in self.query(sql, params)]

    def count_sessions(self) -> int:
        """Return how many sessions are stored."""
        return self.db["sessions"].count

    SNIPPET_OPEN, SNIPPET_CLOSE = "\x02", "\x03"  # marks around each matched word in `snippet`

    def search_turns(self, query: str, *, limit: int = 50, snippet_words: int = 16) -> list[dict]:
        """Full-text search over turn text, best first: matching turns with session and scenario ids.

        `snippet` is FTS5's excerpt of about `snippet_words` whole words around the best match, with each
        matched word between SNIPPET_OPEN and SNIPPET_CLOSE and "…" where text was left out.
        """
        if not query.strip():
            raise InputError("search query is empty")
        sql = (
            "select t.session_id, t.idx, t.role, t.text, s.scenario_id, "
            f"snippet(turns_fts, -1, '{self.SNIPPET_OPEN}', '{self.SNIPPET_CLOSE}', '…', {int(snippet_words)}) "
            "as snippet "
            "from turns_fts f join turns t on t.rowid = f.rowid join sessions s on s.id = t.session_id "
            "where turns_fts match ? order by f.rank limit ?"
        )
        try:
            return self.query(sql, [query, limit])
        except sqlite3.OperationalError as exc:
            raise InputError(f"search query '{query}': {exc}") from None

    def delete_session(self, session_id: int) -> None:
        """Delete a session with its turns and ratings; NotFoundError if absent."""
        with self._lock, self.db.atomic():
            if not self.db.execute("select 1 from sessions where id = ?", [session_id]).fetchone():
                raise NotFoundError(f"no session with id {session_id}")
            self.db.execute("delete from ratings where session_id = ?", [session_id])
            self.db.execute("delete from turns where session_id = ?", [session_id])
            self.db.execute("delete from sessions where id = ?", [session_id])

    # -- ratings -----------------------------------------------------------------------------

    def add_rating(
        self, session_id: int, *, rater: str, dimension: str, score: float, turn_idx: int | None = None,
        comment: str = "",
    ) -> int:
        """Append a rating (history is kept: re-rating adds a row); return its id."""
        with self._lock, self.db.atomic():
            row = {
                "session_id": session_id, "turn_idx": turn_idx, "rater": rater, "dimension": dimension,
                "score": score, "comment": comment, "created": now_iso(),
            }
            return self.db["ratings"].insert(row).last_pk

    def ratings(self, session_id: int) -> list[dict]:
        """Return every rating of a session, oldest first."""
        return list(self.db["ratings"].rows_where("session_id = ?", [session_id], order_by="id"))

    # -- maintenance -------------------------------------------------------------------------

    def integrity_check(self) -> str:
        """Run SQLite's integrity check; 'ok' when the file is sound."""
        return self.db.execute("pragma integrity_check").fetchone()[0]
