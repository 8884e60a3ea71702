"""Read hf-sft and hf-dpo JSONL files into conversations with the turns to learn marked.

Accepted rows (TRL's conversational types, as `practicum export --format hf-sft|hf-dpo` writes them):
- `{"messages": [...]}`: every assistant message is learned (one with `"weight": 0` is context only);
- `{"prompt": [...], "completion": [assistant]}`: only the completion is learned;
- `{"prompt": [...], "chosen": [assistant], "rejected": [assistant]}`: a preference pair (DPO).
A bad row is an InputError naming the file and line. The validation split is by conversation, so
turns of one dialogue never sit on both sides.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from practicum.errors import InputError

ROLES = ("system", "user", "assistant")


@dataclass
class Conversation:
    """Chat messages and, per message, whether the loss covers it."""

    messages: list[dict]
    learned: list[bool]
    line: int
    group: str = ""


@dataclass
class PreferencePair:
    """A prompt with a preferred and a dispreferred assistant reply."""

    prompt: list[dict]
    chosen: str
    rejected: str
    line: int
    group: str = ""


@dataclass
class TrainingData:
    """The rows of one file, their objective and the file's sha256."""

    path: Path
    objective: str  # "sft" or "dpo"
    rows: list = field(default_factory=list)
    sha256: str = ""


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _messages(value, where: str, column: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise InputError(f"{where}: '{column}' must be a non-empty list of messages")
    out = []
    for i, message in enumerate(value):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise InputError(f"{where}: {column}[{i}] needs 'role' and 'content'")
        if message["role"] not in ROLES:
            raise InputError(f"{where}: {column}[{i}].role {message['role']!r} is not one of {', '.join(ROLES)}")
        if not isinstance(message["content"], str) or not message["content"].strip():
            raise InputError(f"{where}: {column}[{i}] has no text content")
        out.append(message)
    return out


def _reply(value, where: str, column: str) -> dict:
    messages = _messages(value, where, column)
    if len(messages) != 1 or messages[0]["role"] != "assistant":
        raise InputError(f"{where}: '{column}' must be one assistant message")
    return messages[0]


def _conversation_key(messages: list[dict]) -> str:
    # Rows cut from one dialogue share its system prompt and opening message.
    head = [(m["role"], m["content"]) for m in messages[:2]]
    return hashlib.sha256(json.dumps(head).encode()).hexdigest()[:16]


def parse_row(row, where: str):
    """One JSON row as a Conversation or PreferencePair; InputError naming `where` when it is neither."""
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(row).__name__}")
    if "label" in row:
        raise InputError(f"{where}: KTO rows (with 'label') are not supported; export hf-sft or hf-dpo")
    if "messages" in row:
        messages = _messages(row["messages"], where, "messages")
        learned = [m["role"] == "assistant" and m.get("weight", 1) != 0 for m in messages]
        if not any(learned):
            raise InputError(f"{where}: no assistant message to learn")
        last = max(i for i, flag in enumerate(learned) if flag)
        return Conversation([_plain(m) for m in messages[: last + 1]], learned[: last + 1], 0, _conversation_key(messages))
    if "prompt" in row and "chosen" in row and "rejected" in row:
        prompt = _messages(row["prompt"], where, "prompt")
        chosen, rejected = _reply(row["chosen"], where, "chosen"), _reply(row["rejected"], where, "rejected")
        if chosen["content"] == rejected["content"]:
            raise InputError(f"{where}: chosen and rejected are the same")
        return PreferencePair([_plain(m) for m in prompt], chosen["content"], rejected["content"], 0,
                              _conversation_key(prompt))
    if "prompt" in row and "completion" in row:
        prompt = _messages(row["prompt"], where, "prompt")
        reply = _reply(row["completion"], where, "completion")
        messages = [_plain(m) for m in prompt] + [_plain(reply)]
        return Conversation(messages, [False] * len(prompt) + [True], 0, _conversation_key(prompt))
    raise InputError(f"{where}: expected columns messages, prompt/completion or prompt/chosen/rejected")


def _plain(message: dict) -> dict:
    return {"role": message["role"], "content": message["content"]}


def read_training_file(path: str | Path, objective: str = "auto") -> TrainingData:
    """Read and check every row of an hf-sft or hf-dpo JSONL file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    rows: list = []
    kind = None
    with open(path, encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            where = f"{path}:{number}"
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}: invalid JSON ({exc.msg})") from None
            item = parse_row(value, where)
            item.line = number
            row_kind = "dpo" if isinstance(item, PreferencePair) else "sft"
            if kind is None:
                kind = row_kind
            elif row_kind != kind:
                raise InputError(f"{where}: a {row_kind} row in a file whose first row is {kind}")
            rows.append(item)
    if not rows:
        raise InputError(f"{path}: no rows")
    if objective != "auto" and objective != kind:
        raise InputError(f"{path}: objective {objective} needs {_layout(objective)} rows; this file has {_layout(kind)}")
    return TrainingData(path, kind, rows, file_sha256(path))


def _layout(objective: str) -> str:
    return "prompt/chosen/rejected" if objective == "dpo" else "messages or prompt/completion"


def sibling_validation_file(train_path: str | Path) -> Path | None:
    """The NAME.val.EXT file `practicum export` writes beside NAME.EXT, when it exists."""
    path = Path(train_path).expanduser()
    candidate = path.with_name(f"{path.stem}.val{path.suffix}")
    return candidate if candidate.is_file() else None


def split_by_conversation(rows: list, fraction: float, seed: int) -> tuple[list, list]:
    """Hold out about `fraction` of the conversations (all their rows) for validation."""
    if fraction <= 0:
        return rows, []
    groups = sorted({row.group for row in rows})
    if len(groups) < 2:
        return rows, []
    random.Random(seed).shuffle(groups)
    held = set(groups[: max(1, math.floor(len(groups) * fraction))])
    return [r for r in rows if r.group not in held], [r for r in rows if r.group in held]
