"""A sentence budget: stop a completion once it has finished N sentences.

A sentence ends at '.', '!' or '?' (closing quotes or brackets may follow) followed by white space
and more text, the rule clean_reply and the fidelity gate split on; "3.5" or "1/3." at the very end
does not count until the next word shows the sentence is over. A sentence of fewer than MIN_WORDS
words ("Oh.", "Yes!", "I see.") does not use up the budget, so an acknowledgement never becomes the
whole reply. Local engines stop decoding a row at its budget (the next word is the one token spent
past it); the OpenAI backend's text is cut to it, so `GenerationOptions.max_sentences` means the
same thing on every model backend (scripted replies are used as queued).

A budget may carry an acceptance check (`GenerationOptions.accept`: the fidelity gate's verdict on the
reply so far, set by a gated speaker): the reply then stops at the first finished sentence from the
N-th on that the check accepts, so a first sentence the gate would refuse ("I think I need to find
the total.", off the problem) is followed by another instead of ending the reply; a reply no prefix
of which is accepted runs to its token cap and is left to the gate. Rows sharing one check are one
turn's candidates: the first of them to be accepted ends them all (the others have nothing the gate
would keep yet), so a turn waits for its fastest good candidate, not its slowest.
"""

from __future__ import annotations

import re
from typing import Callable

Accept = Callable[[str], bool]

BOUNDARY = re.compile(r"[.!?]+[\"')\]]*\s+(?=\S)")
MIN_WORDS = 4


def _ends(text: str):
    """End offsets of the finished sentences that count (MIN_WORDS or more words each)."""
    start = 0
    for match in BOUNDARY.finditer(text):
        if len(text[start: match.start()].split()) >= MIN_WORDS:
            yield match.end()
            start = match.end()


def finished_sentences(text: str) -> int:
    """How many finished sentences of MIN_WORDS or more `text` has (what a budget counts)."""
    return sum(1 for _ in _ends(text))


def budget_cut(text: str, limit: int | None, accept: Accept | None = None) -> str | None:
    """`text` up to where its budget ends (the `limit`-th finished sentence, or the first after it that `accept`
    takes), or None when the budget is not used up yet (no limit: None)."""
    if not limit:
        return None
    for count, end in enumerate(_ends(text), start=1):
        if count >= limit and (accept is None or accept(text[:end].rstrip())):
            return text[:end].rstrip()
    return None


def cut_sentences(text: str, limit: int | None, accept: Accept | None = None) -> str:
    """`text` cut where its budget ends (all of it when the budget is not used up or there is no limit)."""
    cut = budget_cut(text, limit, accept)
    return text if cut is None else cut


def reached(text: str, limit: int | None, accept: Accept | None = None) -> bool:
    """True when `text` has used up its budget (finished `limit` sentences, one that `accept` takes, and started
    the next)."""
    return budget_cut(text, limit, accept) is not None


def transformers_criteria(tokenizer, prompt_width: int, limit: int, accepts: list[Accept | None] | None = None):
    """A transformers stopping-criteria list that marks a row done once its reply has used up its budget
    (`accepts`: one acceptance check per row, or None)."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class SentenceBudget(StoppingCriteria):
        """Per-row check on the decoded reply so far, made again only when the row finished another sentence (the
        budget cannot change in between); rows already done stay done."""

        def __init__(self):
            self.done: dict[int, bool] = {}
            self.counted: dict[int, int] = {}

        def __call__(self, input_ids, scores, **kwargs):
            for row, ids in enumerate(input_ids[:, prompt_width:].tolist()):
                if self.done.get(row):
                    continue
                text = tokenizer.decode(ids, skip_special_tokens=True)
                count = finished_sentences(text)
                if count == self.counted.get(row):
                    continue
                self.counted[row] = count
                accept = accepts[row] if accepts else None
                if reached(text, limit, accept):
                    self.done[row] = True
                    if accept is not None:  # accepted: this turn's other candidates (same check) stop too
                        for other, check in enumerate(accepts):
                            self.done[other] = self.done.get(other) or check is accept
            flags = [bool(self.done.get(row)) for row in range(input_ids.shape[0])]
            return torch.tensor(flags, dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([SentenceBudget()])
