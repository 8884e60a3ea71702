"""Preference data from ratings: which reply at a turn is better than which, and which are good at all.

At one turn of the trained role the alternatives are the turn as said, generated candidates and
reviewers' rewrites (`storage.candidates`). Pairs (DPO):
- a rewrite beats the original it rewrites, unless both are scored and the scores say otherwise;
- of two scored alternatives, the higher beats the lower when they differ by at least `min_margin`.
A pair is kept only when its chosen reply is unscored or scored at least `min_turn_rating`.
Labels (KTO): a scored alternative is desirable when its score reaches the threshold; an unscored
rewrite is desirable and an unscored original that a reviewer rewrote is undesirable; other
unscored replies carry no label and are left out.
"""

from __future__ import annotations

from practicum.tuning.datasets.examples import TurnExample
from practicum.tuning.datasets.selection import Alternative, ExportFilters, SessionData

DEFAULT_KTO_THRESHOLD = 3.0  # the middle of a 1-5 rubric


def alternatives_at(session: SessionData, example: TurnExample) -> list[Alternative]:
    """The original turn (with its score) followed by the candidates and rewrites stored for it."""
    turn = next(t for t in session.turns if t.idx == example.turn_idx)
    original = Alternative("turn", "turn", turn.text, session.turn_scores.get(turn.idx))
    return [original] + list(session.alternatives.get(turn.idx, []))


def preference_pairs(
    alternatives: list[Alternative], filters: ExportFilters, min_margin: float = 0.0,
) -> list[tuple[Alternative, Alternative]]:
    """(chosen, rejected) pairs at one turn, each once: best chosen first, then the closest rejected."""
    pairs: dict[tuple[str, str], tuple[Alternative, Alternative]] = {}
    original = alternatives[0]
    for alt in alternatives[1:]:
        if alt.kind == "rewrite" and alt.text.strip() != original.text.strip():
            both = alt.score is not None and original.score is not None and alt.score != original.score
            chosen, rejected = (original, alt) if both and original.score > alt.score else (alt, original)
            pairs[(chosen.key, rejected.key)] = (chosen, rejected)
    scored = [a for a in alternatives if a.score is not None]
    for a in scored:
        for b in scored:
            if a.key != b.key and a.score - b.score >= max(min_margin, 1e-9) and a.text.strip() != b.text.strip():
                pairs.setdefault((a.key, b.key), (a, b))
    floor = filters.min_turn_rating
    kept = [(c, r) for c, r in pairs.values() if floor is None or c.score is None or c.score >= floor]
    return sorted(kept, key=lambda pair: (-(pair[0].score or 0), -(pair[1].score or 0), pair[0].key, pair[1].key))


def kto_labels(alternatives: list[Alternative], threshold: float) -> list[tuple[Alternative, bool]]:
    """(alternative, desirable) for every alternative at one turn that can be labelled."""
    rewritten = any(a.kind == "rewrite" for a in alternatives)
    labelled = []
    for alt in alternatives:
        if alt.score is not None:
            labelled.append((alt, alt.score >= threshold))
        elif alt.kind == "rewrite":
            labelled.append((alt, True))
        elif alt.kind == "turn" and rewritten:
            labelled.append((alt, False))
    return labelled
