"""Reference figures from MathDial's human teachers, for the practice scorecard and progress screens.

`compute_reference(store, path)` imports the MathDial slice into the (empty, usually in-memory)
store it is given and measures the human teachers exactly as a trainee's session is measured
(`evaluation/scorecard.py`): the same metric definitions, the same move classifier on their
turns, the same judge on their turns. Only numbers leave: `evaluation/artifacts/reference_mathdial.json`
with a manifest (data sha256, how it was computed, CC BY-SA 4.0 attribution). No dialogue text is kept.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

from practicum.records import MOVES, TEACHER
from practicum.errors import InputError

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
REFERENCE_FILE = "reference_mathdial.json"
MANIFEST_FILE = "reference_mathdial.manifest.json"
ATTRIBUTION = ("Derived from MathDial (Macina et al., \"MathDial: A Dialogue Tutoring Dataset with Rich Pedagogical "
               "Properties Grounded in Math Reasoning Problems\", Findings of EMNLP 2023; eth-nlped/mathdial, "
               "data/test.jsonl, first 300 rows), licensed CC BY-SA 4.0. These derived numbers are shared under "
               "the same license.")

_cache: dict[str, dict | None] = {}


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_mathdial(store, path: str | Path) -> tuple[list[int], int]:
    """Store every readable MathDial record as a session; return (session ids, records skipped as malformed)."""
    from practicum.scenarios.mathdial import read_mathdial

    ids, skipped = [], 0
    for _, record in read_mathdial(path):
        if isinstance(record, InputError):
            skipped += 1
            continue
        ids.append(store.import_transcript(record.scenario, record.turns, source="mathdial",
                                           metadata={"reference": True}))
    if not ids:
        raise InputError(f"{path}: no MathDial record could be read")
    return ids, skipped


def labelled_move_mix(store, session_ids: list[int]) -> dict[str, dict]:
    """Mean per-session share of each human-labelled move (MathDial's own labels), over sessions with labels."""
    from practicum.evaluation.scorecard import mean_values

    values: dict[int, dict[str, float]] = {}
    for session_id in session_ids:
        moves = [t["move"] for t in store.get_turns(session_id) if t["role"] == TEACHER and t["move"] in MOVES]
        if moves:
            values[session_id] = {f"move_share.{m}": moves.count(m) / len(moves) for m in MOVES}
    return mean_values(values)


def compute_reference(store, path: str | Path, *, classifier=None, judge=None, rubric=None,
                      progress=None) -> tuple[dict, dict]:
    """(reference, manifest) for the MathDial file at `path`, measured in `store` (give it an empty one).

    `classifier` predicts the teachers' moves (None: no predicted move mix); `judge` rates their turns
    (None: no judge figures). `progress(done, total, what)` is called as the work goes.
    """
    from practicum.evaluation.compute import ensure_metrics, metrics_version
    from practicum.evaluation.judge_ratings import judge_stored_sessions
    from practicum.evaluation.scorecard import mean_values, session_values

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    session_ids, skipped = import_mathdial(store, path)
    step = (lambda what: (lambda done, total: progress(done, total, what))) if progress else (lambda what: None)
    version = ensure_metrics(store, session_ids, classifier, progress=step("metrics and moves"))
    rater = None
    if judge is not None:
        judge_stored_sessions(store, session_ids, judge, rubric=rubric, progress=step("judging teacher turns"))
        rater = judge.rater
    values = session_values(store, session_ids, metrics_version=version, judge_rater=rater, rubric=rubric)
    teacher_turns = sum(1 for i in session_ids for t in store.get_turns(i) if t["role"] == TEACHER)
    reference = {
        "name": "MathDial human teachers",
        "sessions": len(session_ids),
        "teacher_turns": teacher_turns,
        "metrics_version": version,
        "moves_by": classifier.predicted_by if classifier is not None else None,
        "judge": {"rater": rater} if rater else None,
        "measures": {name: {"mean": round(item["mean"], 4), "n": item["n"]}
                     for name, item in mean_values(values).items()},
        "labelled_moves": {name: {"mean": round(item["mean"], 4), "n": item["n"]}
                           for name, item in labelled_move_mix(store, session_ids).items()},
    }
    manifest = {
        "artifact": REFERENCE_FILE,
        "data": {"file": path.name, "sha256": file_sha256(path), "records": len(session_ids),
                 "skipped_lines": skipped},
        "computed": datetime.now(timezone.utc).date().isoformat(),
        "command": f"practicum eval reference --input {path.name}",
        "how": ("Each MathDial dialogue is imported as a session and measured as a practice session is: "
                "success@k and telling@k from evaluation/session_metrics.py on the dialogue; move shares from "
                "the move classifier's predictions on the teacher turns (the human labels' mix is kept apart as "
                "labelled_moves); judge.<dimension> is the share of a dialogue's teacher turns that the judge put "
                "at the good pole. Every figure is a per-dialogue value averaged over dialogues."),
        "metrics_version": version,
        "moves_by": reference["moves_by"],
        "judge": rater,
        "license": "CC BY-SA 4.0",
        "attribution": ATTRIBUTION,
    }
    return reference, manifest


def write_reference(reference: dict, manifest: dict, out_dir: str | Path | None = None) -> Path:
    """Write the reference and its manifest (default: the package's artifacts folder); return the reference path."""
    out_dir = Path(out_dir) if out_dir else ARTIFACT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / REFERENCE_FILE
    target.write_text(json.dumps(reference, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    _cache.clear()
    return target


def load_reference(path: str | Path | None = None) -> dict | None:
    """The shipped reference figures (or those at `path`); None when the file does not exist."""
    path = Path(path) if path else ARTIFACT_DIR / REFERENCE_FILE
    key = str(path)
    if key not in _cache:
        if not path.exists():
            return None
        try:
            _cache[key] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: cannot read the reference figures ({exc})") from None
    return _cache[key]
