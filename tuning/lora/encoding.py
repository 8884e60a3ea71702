"""Tokenize conversations with the model's chat template and mask everything but the learned turns.

The rendered text is cut into pieces at the start and end of each learned assistant message and
each piece is tokenized on its own: the prompt up to `<|im_start|>assistant\\n` becomes exactly the
tokens the model is given at inference (the backend tokenizes the prompt alone and generates from
there), and the learned piece is the reply plus the end-of-turn token, so the model learns to stop.
Labels are -100 on every other token. Batches are padded on the right with attention mask 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from practicum.errors import InputError

IGNORE = -100


@dataclass
class Encoded:
    """Token ids and labels of one sequence (labels are -100 where no loss is taken)."""

    input_ids: list[int]
    labels: list[int]
    line: int = 0
    truncated: bool = False  # cut at max_length
    shortened: bool = False  # oldest turns dropped to fit max_length

    @property
    def n_learned(self) -> int:
        """How many tokens carry a label."""
        return sum(1 for label in self.labels if label != IGNORE)


def _render(tokenizer, messages: list[dict], generation_prompt: bool = False) -> str:
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)


def learned_pieces(tokenizer, messages: list[dict], learned: list[bool], where: str = "") -> list[tuple[str, bool]]:
    """The rendered conversation as (text, learned) pieces, ending with the last learned reply."""
    pieces: list[tuple[str, bool]] = []
    placed = ""  # the rendered text already cut into pieces
    for i, flag in enumerate(learned):
        if not flag:
            continue
        head = _render(tokenizer, messages[:i], generation_prompt=True)
        full = _render(tokenizer, messages[: i + 1])
        if not full.startswith(head) or not head.startswith(placed):
            raise InputError(
                f"{where}: the chat template does not render this conversation turn by turn "
                f"(message {i} changes the text before it); train with a template that does"
            )
        reply = full[len(head):]
        # The reply ends with the end-of-turn token; what follows it (a newline) belongs to no one.
        reply = reply[: len(reply.rstrip())] or reply
        pieces.append((head[len(placed):], False))
        pieces.append((reply, True))
        placed = head + reply
    return [(text, flag) for text, flag in pieces if text]


def _tokens(tokenizer, messages: list[dict], learned: list[bool], where: str) -> tuple[list[int], list[int]]:
    ids: list[int] = []
    labels: list[int] = []
    for text, flag in learned_pieces(tokenizer, messages, learned, where):
        tokens = tokenizer(text, add_special_tokens=False)["input_ids"]
        ids.extend(tokens)
        labels.extend(tokens if flag else [IGNORE] * len(tokens))
    return ids, labels


def drop_oldest_turn(messages: list[dict], learned: list[bool]) -> tuple[list[dict], list[bool]] | None:
    """The conversation without its oldest turn after the system prompt (None when only the last reply is left).

    Whole messages go, so the system prompt (scenario, problem) and the most recent turns stay, and
    the history still opens with a user message, as strict chat templates require.
    """
    start = 1 if messages and messages[0]["role"] == "system" else 0
    if start >= max(i for i, flag in enumerate(learned) if flag):
        return None
    messages, learned = list(messages), list(learned)
    del messages[start], learned[start]
    while messages[start]["role"] == "assistant" and not learned[start]:
        del messages[start], learned[start]
    return messages, learned


def encode_conversation(tokenizer, messages: list[dict], learned: list[bool], max_length: int,
                        where: str = "") -> Encoded:
    """Token ids with labels on the learned replies only, within max_length.

    A conversation too long loses its oldest turns first; if the system prompt and the last reply
    alone are still too long, the sequence is cut at the end.
    """
    ids, labels = _tokens(tokenizer, messages, learned, where)
    shortened = False
    while len(ids) > max_length:
        fewer = drop_oldest_turn(messages, learned)
        if fewer is None:
            break
        messages, learned = fewer
        ids, labels = _tokens(tokenizer, messages, learned, where)
        shortened = True
    truncated = len(ids) > max_length
    return Encoded(ids[:max_length], labels[:max_length], truncated=truncated, shortened=shortened)


@dataclass
class EncodedPair:
    """A preference pair as two sequences sharing their prompt."""

    chosen: Encoded
    rejected: Encoded
    line: int = 0

    @property
    def n_learned(self) -> int:
        """Learned tokens of the shorter side (zero means the pair cannot be scored)."""
        return min(self.chosen.n_learned, self.rejected.n_learned)


def encode_rows(tokenizer, rows: list, max_length: int, path: str = "") -> tuple[list, dict]:
    """Encode Conversation or PreferencePair rows; drop those left with no learned token; count what happened."""
    from practicum.tuning.lora.data import PreferencePair

    encoded = []
    counts = {"rows": len(rows), "shortened": 0, "truncated": 0, "dropped": 0, "tokens": 0, "learned_tokens": 0}
    for row in rows:
        where = f"{path}:{row.line}"
        if isinstance(row, PreferencePair):
            sides = [
                encode_conversation(tokenizer, row.prompt + [{"role": "assistant", "content": text}],
                                    [False] * len(row.prompt) + [True], max_length, where)
                for text in (row.chosen, row.rejected)
            ]
            item = EncodedPair(*sides, line=row.line)
            truncated = any(side.truncated for side in sides)
            shortened = any(side.shortened for side in sides)
            tokens = sum(len(side.input_ids) for side in sides)
        else:
            item = encode_conversation(tokenizer, row.messages, row.learned, max_length, where)
            item.line = row.line
            truncated, shortened, tokens = item.truncated, item.shortened, len(item.input_ids)
        counts["truncated"] += truncated
        counts["shortened"] += shortened
        if item.n_learned == 0:
            counts["dropped"] += 1
            continue
        counts["tokens"] += tokens
        counts["learned_tokens"] += item.n_learned
        encoded.append(item)
    return encoded, counts


def collate(items: list[Encoded], pad_id: int):
    """Right-pad a batch: input_ids, attention_mask and labels tensors."""
    import torch

    width = max(len(item.input_ids) for item in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
    for row, item in enumerate(items):
        n = len(item.input_ids)
        ids[row, :n] = torch.tensor(item.input_ids)
        mask[row, :n] = 1
        labels[row, :n] = torch.tensor(item.labels)
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}
