"""The replay benchmark: a simulated student answers in each real MathDial student's place, one turn at a time.

For every real student turn, the simulated student gets the scenario built from the record (problem,
the student's incorrect solution, the profile) and the real dialogue up to that turn, and produces
its own turn through the very speaker a session uses (its prompt, knowledge-state directive,
adapter and fidelity gate). Requests go out in batches through `complete_batch` (the gate's
candidates in the same batch), ordered by turn position so each dialogue's prompt states can be
reused by the next batch. The result is one `ReplayTurn` per real student turn; `fidelity.py`
measures both sides.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

from practicum.evaluation.fidelity import ReplayTurn
from practicum.errors import InputError
from practicum.records import STUDENT

Progress = Callable[[int, int], None]


def replay_items(input_path: str | Path, *, limit: int | None = None, held_out: bool = False) -> list[ReplayTurn]:
    """One item per real student turn of the first `limit` dialogues (only unseen ones when `held_out`)."""
    from practicum.scenarios.mathdial import read_mathdial

    exclude = set(trained_qids()) if held_out else set()
    items, dialogues = [], 0
    for line, record in read_mathdial(input_path):
        if isinstance(record, Exception):
            raise record
        qid = record.metadata["qid"]
        if qid in exclude:
            continue
        if limit is not None and dialogues >= limit:
            break
        dialogues += 1
        turns = [t for t in record.turns]
        for position, turn in enumerate(turns):
            if turn.role != STUDENT or position == 0:
                continue
            items.append(ReplayTurn(dialogue_id=qid, turn=position, real=turn.text, simulated="",
                                    answer=record.scenario.answer, scenario=record.scenario,
                                    history=turns[:position], conversation=record.scenario.id))
    if not items:
        raise InputError(f"{input_path}: no student turns to replay" + (" among unseen dialogues" if held_out else ""))
    return items


def trained_qids() -> list:
    """The qids the packaged student adapter was trained on (from its manifest); [] when none ships."""
    from practicum.agents.speakers import default_adapter_path

    path = default_adapter_path(STUDENT)
    if path is None:
        return []
    try:
        return json.loads((path / "manifest.json").read_text())["data"]["train_qids"]
    except (OSError, ValueError, KeyError):
        return []


def replay(items: list[ReplayTurn], speaker, *, batch_size: int = 16, seed: int = 0,
           progress: Progress | None = None) -> list[ReplayTurn]:
    """Fill each item's `simulated` text (and metadata) from `speaker`, a student AgentSpeaker; returns the items."""
    # Dialogues go in blocks of `batch_size`, each block turn by turn: a dialogue's next prompt extends its last
    # one, and a block's prompt states fit the backend's prefix cache.
    conversations = list(dict.fromkeys(item.conversation for item in items))
    block = {c: i // max(1, batch_size) for i, c in enumerate(conversations)}
    order = sorted(range(len(items)), key=lambda i: (block[items[i].conversation], items[i].turn,
                                                     items[i].conversation))
    done = 0
    for start in range(0, len(order), batch_size):
        chunk = [items[i] for i in order[start : start + batch_size]]
        requests, rows = [], []
        for item in chunk:
            messages, options = speaker.request(item.scenario, item.history, _seed(seed, item))
            per = speaker.candidate_options(options)
            requests.append((messages, per))
            rows.append(len(per))
        flat = speaker.backend.complete_batch([m for m, per in requests for _ in per], [o for _, per in requests for o in per])
        at = 0
        for item, n in zip(chunk, rows):
            reply = speaker.accept_many(item.scenario, flat[at : at + n], item.history)
            item.first_candidate = speaker.module.clean(flat[at].text, item.scenario)
            at += n
            item.simulated = reply.text
            item.metadata = reply.metadata
        done += len(chunk)
        if progress is not None:
            progress(done, len(items))
    return items


def write_replay(items: list[ReplayTurn], path: str | Path) -> Path:
    """Write the replay file: one JSON row per turn with exactly dialogue_id, turn, real, simulated, answer."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for item in sorted(items, key=lambda t: (t.conversation, t.turn)):
            handle.write(json.dumps(item.row(), ensure_ascii=False) + "\n")
    return path


def _seed(seed: int, item: ReplayTurn) -> int:
    digest = hashlib.sha256(f"{seed}:{item.conversation}:{item.turn}".encode()).hexdigest()
    return int(digest[:8], 16)
