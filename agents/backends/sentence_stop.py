"""A sentence budget: stop a completion once it has finished N sentences.

A sentence ends at '.', '!' or '?' (closing quotes or brackets may follow) followed by white space
and more text, the rule clean_reply and the fidelity gate split on; "3.5" or "1/3." at the very end
does not count until the next word shows the sentence is over. A sentence of fewer than MIN_WORDS
words ("Oh.", "Yes!", "I see.") does not use up the budget, so an acknowledgement never becomes the
whole reply. Local engines stop decoding a row at its budget (the next word is the one token spent
past it); the OpenAI backend's text is cut to it, so `GenerationOptions.max_sentences` means the
same thing on every model backend (scripted replies are used as queued).
"""

from __future__ import annotations

import re

BOUNDARY = re.compile(r"[.!?]+[\"')\]]*\s+(?=\S)")
MIN_WORDS = 4


def _ends(text: str):
    """End offsets of the finished sentences that count (MIN_WORDS or more words each)."""
    start = 0
    for match in BOUNDARY.finditer(text):
        if len(text[start: match.start()].split()) >= MIN_WORDS:
            yield match.end()
            start = match.end()


def cut_sentences(text: str, limit: int | None) -> str:
    """`text` up to the end of its `limit`-th finished sentence (all of it when it has fewer or no limit)."""
    if not limit:
        return text
    for count, end in enumerate(_ends(text), start=1):
        if count >= limit:
            return text[:end].rstrip()
    return text


def reached(text: str, limit: int | None) -> bool:
    """True when `text` has finished `limit` sentences and started the next."""
    return bool(limit) and sum(1 for _ in _ends(text)) >= limit


def transformers_criteria(tokenizer, prompt_width: int, limit: int):
    """A transformers stopping-criteria list that marks a row done once its reply has finished `limit` sentences."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class SentenceBudget(StoppingCriteria):
        """Per-row check on the decoded reply so far; rows already done stay done."""

        def __call__(self, input_ids, scores, **kwargs):
            done = [reached(tokenizer.decode(row, skip_special_tokens=True), limit)
                    for row in input_ids[:, prompt_width:].tolist()]
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([SentenceBudget()])
