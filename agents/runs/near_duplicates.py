"""Near-duplicate dialogues: MinHash over word shingles with LSH banding, in pure Python.

A generation run that keeps producing the same conversation wastes a dataset's budget, so
each finished run marks dialogues that are nearly the same as an earlier one. Signatures use
one-permutation MinHash (one 64-bit hash per shingle, split into `num_perm` bins, empty bins
filled from their neighbours) so a signature costs one hash per shingle instead of one per
shingle and permutation; candidate pairs come from LSH bands and are confirmed by the
estimated Jaccard similarity.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Iterable

EMPTY = (1 << 64) - 1
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits)."""
    return _WORD.findall(text.lower())


def shingles(tokens: list[str], size: int = 3) -> set[str]:
    """Contiguous word n-grams of `size` (the whole text when it is shorter)."""
    if len(tokens) <= size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=8).digest(), "little")


def signature(features: Iterable[str], num_perm: int = 64) -> tuple[int, ...]:
    """One-permutation MinHash of a set of features: `num_perm` bins, densified by rotation."""
    bins = [EMPTY] * num_perm
    width = EMPTY // num_perm + 1
    for feature in features:
        value = _hash64(feature)
        index, offset = divmod(value, width)
        if offset < bins[index]:
            bins[index] = offset
    if all(b == EMPTY for b in bins):
        return tuple(bins)
    # Rotation densification: an empty bin borrows the next filled bin's value, tagged by distance,
    # so two sets agree on a borrowed bin only when they agree on the bin it came from.
    out = list(bins)
    for i in range(num_perm):
        if bins[i] != EMPTY:
            continue
        j, distance = (i + 1) % num_perm, 1
        while bins[j] == EMPTY:
            j, distance = (j + 1) % num_perm, distance + 1
        out[i] = bins[j] + distance * width
    return tuple(out)


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of the sets behind two signatures."""
    if not a or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b)) / len(a)


def exact_jaccard(a: set, b: set) -> float:
    """Exact Jaccard similarity of two sets (for checking the estimate)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@dataclass
class Duplicate:
    """`item` is a near duplicate of the earlier `original`, with estimated similarity."""

    item: int
    original: int
    similarity: float


def find_near_duplicates(
    documents: Iterable[tuple[int, str]], *, threshold: float = 0.8, num_perm: int = 64, bands: int = 16,
    shingle_size: int = 3,
) -> list[Duplicate]:
    """Mark each document that is a near duplicate (estimated Jaccard >= threshold) of an earlier one.

    Documents are (id, text) in order; a duplicate points at the most similar earlier document
    that is not itself a duplicate (ties: the earliest), so a cluster keeps exactly one original.
    """
    if num_perm % bands:
        raise ValueError("num_perm must be a multiple of bands")
    rows = num_perm // bands
    buckets: dict[tuple, list[int]] = {}
    kept: dict[int, tuple[int, ...]] = {}
    duplicates: list[Duplicate] = []
    for doc_id, text in documents:
        sig = signature(shingles(words(text), shingle_size), num_perm)
        if sig[0] == EMPTY:
            continue  # nothing to compare: an empty dialogue is nobody's duplicate
        keys = [(band, sig[band * rows : (band + 1) * rows]) for band in range(bands)]
        best: tuple[float, int] | None = None
        seen: set[int] = set()
        for key in keys:
            for other in buckets.get(key, ()):
                if other in seen:
                    continue
                seen.add(other)
                score = similarity(sig, kept[other])
                if score >= threshold and (best is None or (score, -other) > (best[0], -best[1])):
                    best = (score, other)
        if best is not None:
            duplicates.append(Duplicate(doc_id, best[1], best[0]))
            continue
        kept[doc_id] = sig
        for key in keys:
            buckets.setdefault(key, []).append(doc_id)
    return duplicates
