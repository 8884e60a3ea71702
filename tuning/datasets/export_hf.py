"""Hugging Face TRL datasets in the conversational layout: SFT, DPO and KTO, one row per turn.

- `hf-sft`: `{"prompt": [...], "completion": [{"role": "assistant", ...}]}`, TRL's conversational
  prompt-completion type. SFTTrainer then trains on the completion only, so the history (earlier
  turns, the student's prompt-only opening line, low-rated turns) is context and never learned;
  TRL's `{"messages": [...]}` type cannot mark a message as context-only.
- `hf-dpo`: `{"prompt": [...], "chosen": [assistant], "rejected": [assistant]}`.
- `hf-kto`: `{"prompt": [...], "completion": [assistant], "label": true|false}`.
Each row's scenario fields go to the sidecar `NAME.meta.jsonl` (see example_meta), not into the row.
"""

from __future__ import annotations

from practicum.tuning.datasets.example_meta import example_meta
from practicum.tuning.datasets.examples import ExportRow, TurnExample, assistant
from practicum.tuning.datasets.preferences import DEFAULT_KTO_THRESHOLD, alternatives_at, kto_labels, preference_pairs
from practicum.tuning.datasets.selection import ExportFilters, SessionData


def hf_sft_rows(items: list[tuple[SessionData, list[TurnExample]]], filters: ExportFilters, settings) -> list[ExportRow]:
    """One prompt-completion row per learned turn."""
    return [
        ExportRow(session.scenario.id, session.session_id,
                  {"prompt": example.prompt, "completion": [assistant(example.completion)]}, learned=1,
                  meta=example_meta(session, example.turn_idx, example.move))
        for session, examples in items for example in examples if example.learned
    ]


def hf_dpo_rows(items: list[tuple[SessionData, list[TurnExample]]], filters: ExportFilters, settings) -> list[ExportRow]:
    """One row per preference pair at a turn."""
    rows = []
    for session, examples in items:
        for example in examples:
            for chosen, rejected in preference_pairs(alternatives_at(session, example), filters, settings.min_margin):
                data = {"prompt": example.prompt, "chosen": [assistant(chosen.text)], "rejected": [assistant(rejected.text)]}
                rows.append(ExportRow(session.scenario.id, session.session_id, data, learned=1,
                                      meta=example_meta(session, example.turn_idx, example.move)))
    return rows


def hf_kto_rows(items: list[tuple[SessionData, list[TurnExample]]], filters: ExportFilters, settings) -> list[ExportRow]:
    """One row per labelled reply at a turn: desirable (true) or undesirable (false)."""
    threshold = settings.kto_threshold
    if threshold is None:
        threshold = filters.min_turn_rating if filters.min_turn_rating is not None else DEFAULT_KTO_THRESHOLD
    rows = []
    for session, examples in items:
        for example in examples:
            for alt, label in kto_labels(alternatives_at(session, example), threshold):
                data = {"prompt": example.prompt, "completion": [assistant(alt.text)], "label": label}
                rows.append(ExportRow(session.scenario.id, session.session_id, data, learned=1,
                                      meta=example_meta(session, example.turn_idx, example.move)))
    return rows
