"""Reuse the key/value states of a conversation's previous prompt when its next prompt extends it.

On a CPU the prompt (prefill) dominates a batched turn: every turn re-reads the role prompt,
the scenario and the whole dialogue, while only the last reply and message are new. A role's
prompt at turn k ends with the assistant header, and its prompt at turn k+2 is that prompt
plus the cleaned reply, the partner's line and a new header, so the earlier prompt is a token
prefix of the later one. This cache keeps each prompt's per-row key/value states after a batch
and, for the next batch, lets `LocalBackend` prefill only the new tokens. Bounded prompts
(agents/prompt_budget.py) stop extending each other once the window of shown turns moves; they
still share the instructions and scenario, so an entry sharing only a prefix (of at least HEAD
tokens) is cut to the shared part and reused. Matching is on token ids, so nothing is ever
reused wrongly.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

HEAD = 32  # tokens that index an entry; prompts of one role and scenario share them


@dataclass
class Entry:
    """One cached prompt: its token ids and per-layer key/value states, each [heads, tokens, head_dim]."""

    ids: tuple[int, ...]
    keys: list
    values: list

    @property
    def nbytes(self) -> int:
        """Memory held by the states."""
        return sum(t.numel() * t.element_size() for t in self.keys + self.values)


class PrefixCache:
    """Prompt states by token prefix, least recently used first out, bounded in bytes."""

    def __init__(self, max_bytes: int):
        """Hold at most `max_bytes` of key/value states (0 disables the cache)."""
        self.max_bytes = max_bytes
        self.entries: OrderedDict[int, Entry] = OrderedDict()
        self.by_head: dict[tuple[int, ...], set[int]] = {}
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self.reused_tokens = 0
        self.partial_hits = 0  # hits that shared only part of a cached prompt
        self._next = 0

    @property
    def enabled(self) -> bool:
        """False when the byte budget is zero."""
        return self.max_bytes > 0

    def take(self, ids: list[int]) -> Entry | None:
        """Remove and return the cached states of the longest shared prefix of `ids` (at least HEAD tokens).

        An entry that is a whole prefix of `ids` is returned as it is; one that shares only a prefix
        (a bounded prompt whose window moved on keeps its instructions and scenario) is cut to the
        shared tokens: keys and values at a position depend only on the tokens up to it. At least
        one token of `ids` is always left to prefill.
        """
        if not self.enabled:
            return None
        best_key, best, best_n = None, None, 0
        limit = len(ids) - 1
        for key in self.by_head.get(tuple(ids[:HEAD]), ()):
            entry = self.entries[key]
            n = _shared(entry.ids, ids, limit)
            if n > best_n:
                best_key, best, best_n = key, entry, n
        if best is None or best_n < HEAD:
            self.misses += 1
            return None
        self._drop(best_key)
        if best_n < len(best.ids):
            best = Entry(best.ids[:best_n], [k[:, :best_n] for k in best.keys], [v[:, :best_n] for v in best.values])
            self.partial_hits += 1
        self.hits += 1
        self.reused_tokens += best_n
        return best

    def put(self, entry: Entry) -> None:
        """Keep a prompt's states, evicting the least recently stored entries over budget."""
        if not self.enabled or len(entry.ids) <= HEAD or entry.nbytes > self.max_bytes:
            return
        key = self._next
        self._next += 1
        self.entries[key] = entry
        self.by_head.setdefault(entry.ids[:HEAD], set()).add(key)
        self.bytes += entry.nbytes
        while self.bytes > self.max_bytes and self.entries:
            self._drop(next(iter(self.entries)))

    def _drop(self, key: int) -> None:
        entry = self.entries.pop(key)
        self.bytes -= entry.nbytes
        head = self.by_head.get(entry.ids[:HEAD])
        if head is not None:
            head.discard(key)
            if not head:
                del self.by_head[entry.ids[:HEAD]]

    def clear(self) -> None:
        """Forget every entry."""
        self.entries.clear()
        self.by_head.clear()
        self.bytes = 0


def _shared(cached: tuple[int, ...], ids: list[int], limit: int) -> int:
    """Length of the common prefix of `cached` and `ids`, at most `limit`."""
    n = min(len(cached), limit)
    if tuple(ids[:n]) == cached[:n]:
        return n
    low, high = HEAD, n  # the heads match; bisect on prefix equality (prefixes of a prefix are equal)
    while low < high:
        mid = (low + high + 1) // 2
        if tuple(ids[:mid]) == cached[:mid]:
            low = mid
        else:
            high = mid - 1
    return low
