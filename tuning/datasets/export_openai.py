"""OpenAI fine-tuning files: chat SFT with per-message weights, and DPO preference pairs.

SFT rows are `{"messages": [...]}` with the trained role as `assistant`: a session becomes one
multi-turn conversation (split only where the prompts stop extending each other), and every
assistant message carries `weight` 1 when it is learned, 0 when it is low-rated or prompt-only.
DPO rows follow OpenAI's preference format: `input.messages` (the prompt up to the turn),
`preferred_output` and `non_preferred_output`, each a one-message assistant list. Rows hold only
OpenAI's keys; each row's scenario fields go to the sidecar `NAME.meta.jsonl` (see example_meta).
"""

from __future__ import annotations

from practicum.tuning.datasets.example_meta import example_meta
from practicum.tuning.datasets.examples import ExportRow, TurnExample, assistant, pack_conversations
from practicum.tuning.datasets.preferences import alternatives_at, preference_pairs
from practicum.tuning.datasets.selection import ExportFilters, SessionData


def openai_sft_rows(items: list[tuple[SessionData, list[TurnExample]]], filters: ExportFilters, settings) -> list[ExportRow]:
    """Weighted multi-turn conversations, one or more per session."""
    rows = []
    for session, examples in items:
        for conversation in pack_conversations(examples):
            replies = [m for m in conversation if m["role"] == "assistant"]
            learned = sum(1 for m in replies if m["weight"] == 1)
            rows.append(ExportRow(session.scenario.id, session.session_id, {"messages": conversation},
                                  learned=learned, context_only=len(replies) - learned, meta=example_meta(session)))
    return rows


def openai_dpo_rows(items: list[tuple[SessionData, list[TurnExample]]], filters: ExportFilters, settings) -> list[ExportRow]:
    """One row per preference pair at a turn of the trained role."""
    rows = []
    for session, examples in items:
        for example in examples:
            for chosen, rejected in preference_pairs(alternatives_at(session, example), filters, settings.min_margin):
                data = {
                    "input": {"messages": example.prompt},
                    "preferred_output": [assistant(chosen.text)],
                    "non_preferred_output": [assistant(rejected.text)],
                }
                rows.append(ExportRow(session.scenario.id, session.session_id, data, learned=1,
                                      meta=example_meta(session, example.turn_idx, example.move)))
    return rows
