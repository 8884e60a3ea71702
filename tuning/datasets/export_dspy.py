"""DSPy examples for the role's signature: the inputs the role's predictor receives and the reply.

A file holds `{"format": "practicum.dspy-examples", "role", "signature", "input_keys",
"output_key", "examples": [...]}`; each example has the signature's fields (`situation`,
`dialogue`, `reply`) exactly as `Role.inputs` builds them at run time, plus `meta`: session, turn,
move and the whole scenario as data (`example_meta`), which the DSPy objective reads. `load_dspy_examples` returns `dspy.Example`s with the inputs marked.
"""

from __future__ import annotations

import json
from pathlib import Path

from practicum.errors import InputError
from practicum.tuning.datasets.example_meta import example_meta
from practicum.tuning.datasets.examples import ExportRow, TurnExample
from practicum.tuning.datasets.selection import ExportFilters, SessionData

FORMAT_NAME = "practicum.dspy-examples"
INPUT_KEYS = ("situation", "dialogue")
OUTPUT_KEY = "reply"
SIGNATURES = {"teacher": "TeacherTurn", "student": "StudentTurn"}


def dspy_rows(items: list[tuple[SessionData, list[TurnExample]]], filters: ExportFilters, settings) -> list[ExportRow]:
    """One example per learned turn."""
    rows = []
    for session, examples in items:
        for example in examples:
            if not example.learned:
                continue
            data = {key: example.inputs[key] for key in INPUT_KEYS}
            data[OUTPUT_KEY] = example.completion
            data["meta"] = example_meta(session, example.turn_idx, example.move)
            rows.append(ExportRow(session.scenario.id, session.session_id, data, learned=1, meta=data["meta"]))
    return rows


def dspy_document(rows: list[ExportRow], role: str) -> dict:
    """The JSON document written for a DSPy export."""
    return {
        "format": FORMAT_NAME, "role": role, "signature": SIGNATURES[role], "input_keys": list(INPUT_KEYS),
        "output_key": OUTPUT_KEY, "examples": [row.data for row in rows],
    }


def load_dspy_examples(path: str | Path, *, with_meta: bool = False) -> list:
    """Read a DSPy export back as `dspy.Example`s with `.with_inputs(situation, dialogue)`."""
    import dspy

    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read DSPy examples: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise InputError(f"{path}: not a practicum DSPy export (format must be '{FORMAT_NAME}')")
    examples = []
    for record in document.get("examples", []):
        fields = {k: v for k, v in record.items() if with_meta or k != "meta"}
        examples.append(dspy.Example(**fields).with_inputs(*document["input_keys"]))
    return examples
