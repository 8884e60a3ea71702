"""MinHash near-duplicate detection: the estimate tracks exact Jaccard, and clusters keep one original."""

from __future__ import annotations

import random

from practicum.agents.runs.near_duplicates import (
    exact_jaccard, find_near_duplicates, shingles, signature, similarity, words,
)


def _doc(rng: random.Random, n: int = 120) -> list[str]:
    vocab = [f"w{i}" for i in range(400)]
    return [rng.choice(vocab) for _ in range(n)]


def test_estimate_tracks_exact_jaccard():
    rng = random.Random(3)
    errors = []
    for _ in range(30):
        a = _doc(rng)
        b = list(a)
        for i in rng.sample(range(len(b)), rng.randint(0, 60)):  # perturb a random share of words
            b[i] = f"x{rng.randint(0, 10_000)}"
        sa, sb = shingles(a), shingles(b)
        errors.append(abs(similarity(signature(sa, 128), signature(sb, 128)) - exact_jaccard(sa, sb)))
    assert max(errors) < 0.2 and sum(errors) / len(errors) < 0.06


def test_identical_and_reworded_dialogues_are_marked_unrelated_are_not():
    base = "teacher asks how did you add the fractions student says i added the tops and the bottoms " * 3
    docs = [
        (1, base),
        (2, "Something else entirely: the mitochondria is where respiration happens in the cell, she said."),
        (3, base),  # exact copy
        (4, base.replace("bottoms", "denominators", 1)),  # one word changed
        (5, ""),  # empty dialogues are nobody's duplicate
        (6, ""),
    ]
    found = {d.item: d for d in find_near_duplicates(docs, threshold=0.8)}
    assert set(found) == {3, 4}
    assert found[3].original == 1 and found[3].similarity == 1.0
    assert found[4].original == 1 and 0.8 <= found[4].similarity < 1.0


def test_a_cluster_keeps_exactly_one_original():
    text = " ".join(f"word{i}" for i in range(60))
    found = find_near_duplicates([(i, text) for i in range(10, 15)], threshold=0.9)
    assert [(d.item, d.original) for d in found] == [(11, 10), (12, 10), (13, 10), (14, 10)]


def test_words_are_normalized():
    assert words("Okay, OKAY... it's 7/12!") == ["okay", "okay", "it", "s", "7", "12"]
    assert shingles(["a", "b"]) == {"a b"} and shingles([]) == set()
