"""Checks for TRL conversational datasets (SFT, DPO, KTO) and practicum's DSPy example files.

TRL reads a JSONL file through `datasets`, which needs the same columns on every row, and
applies the chat template to each message list, which needs `role` and `content` everywhere.
Error classes: invalid_json, data_type, missing_column, inconsistent_columns, message_missing_key,
unrecognized_role, missing_content, invalid_completion (a reply must be one assistant message),
invalid_label (KTO labels are booleans), identical_outputs (DPO).
"""

from __future__ import annotations

import json
from pathlib import Path

from practicum.tuning.datasets.validation import ValidationReport

ROLES = ("system", "user", "assistant")
COLUMNS = {
    "hf-sft": (("prompt", "completion"), ("messages",)),
    "hf-dpo": (("prompt", "chosen", "rejected"),),
    "hf-kto": (("prompt", "completion", "label"),),
}
REPLY_COLUMNS = ("completion", "chosen", "rejected")


def _check_messages(value, at: str, column: str, report: ValidationReport) -> bool:
    if not isinstance(value, list) or not value:
        report.error(at, "data_type", f"'{column}' must be a non-empty list of messages")
        return False
    ok = True
    for i, message in enumerate(value):
        path = f"{column}[{i}]"
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            report.error(at, "message_missing_key", f"{path} needs role and content")
            ok = False
            continue
        if message["role"] not in ROLES:
            report.error(at, "unrecognized_role", f"{path}.role {message['role']!r} is not one of {', '.join(ROLES)}")
            ok = False
        if not isinstance(message["content"], str) or not message["content"].strip():
            report.error(at, "missing_content", f"{path} has no text content")
            ok = False
    return ok


def check_records(records: list[tuple[str, object]], fmt: str, report: ValidationReport) -> None:
    """Check rows of an hf-sft, hf-dpo or hf-kto file."""
    first_columns = None
    for at, row in records:
        if not isinstance(row, dict):
            report.error(at, "data_type", f"row is {type(row).__name__}, not an object")
            continue
        layout = next((cols for cols in COLUMNS[fmt] if all(c in row for c in cols)), None)
        if layout is None:
            wanted = " or ".join("/".join(cols) for cols in COLUMNS[fmt])
            report.error(at, "missing_column", f"row needs columns {wanted}")
            continue
        columns = tuple(sorted(row))
        if first_columns is None:
            first_columns = columns
        elif columns != first_columns:
            report.error(at, "inconsistent_columns", f"columns {', '.join(columns)} differ from the first row's")
        for column in layout:
            if column == "label":
                if not isinstance(row["label"], bool):
                    report.error(at, "invalid_label", "'label' must be true or false")
                continue
            if _check_messages(row[column], at, column, report) and column in REPLY_COLUMNS:
                reply = row[column]
                if len(reply) != 1 or reply[0]["role"] != "assistant":
                    report.error(at, "invalid_completion", f"'{column}' must be one assistant message")
        if fmt == "hf-dpo" and row.get("chosen") == row.get("rejected"):
            report.error(at, "identical_outputs", "chosen and rejected are the same")
    report.tokens = {}


def check_dspy_file(path: Path, report: ValidationReport) -> None:
    """Check a practicum DSPy export: the header and every example's fields."""
    from practicum.tuning.datasets.export_dspy import FORMAT_NAME

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        report.error(f"line {exc.lineno}", "invalid_json", f"not valid JSON: {exc.msg}")
        return
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        report.error("file", "data_type", f"not a practicum DSPy export (format must be '{FORMAT_NAME}')")
        return
    inputs, output = document.get("input_keys") or [], document.get("output_key")
    examples = document.get("examples")
    if not isinstance(examples, list):
        report.error("file", "missing_column", "no 'examples' list")
        return
    report.n_examples = len(examples)
    for i, example in enumerate(examples):
        at = f"examples[{i}]"
        if not isinstance(example, dict):
            report.error(at, "data_type", "example is not an object")
            continue
        missing = [k for k in [*inputs, output] if k not in example]
        if missing:
            report.error(at, "missing_column", f"missing field(s) {', '.join(map(str, missing))}")
        elif not isinstance(example[output], str) or not example[output].strip():
            report.error(at, "missing_content", f"'{output}' is empty")
