"""Best-of-n: sample n replies in one batch, check each with the fidelity gate, keep the one a ranker scores best.

The ranker is injected (agents/ cannot import evaluation/): `practicum` passes the packaged pedagogical
judge (evaluation/judge_ranker.py), and a test can pass a scripted one. Every candidate, with its gate
defects and the ranker's ratings, goes into the turn's metadata under `best_of`; the store moves the
candidates into `turn_candidates` (with their ratings in `candidate_ratings`), so preference pairs come
for free (tuning/datasets/preferences.py).

Which candidate is kept: among the candidates the gate passes, the highest total; when none passes,
the highest total among those with only mild defects; when every candidate has a severe defect, the
gate's own choice (a student's in-character fallback line, or a teacher's least-bad candidate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from practicum.agents.fidelity_gate import SEVERE, GateResult, check, choose

METADATA_KEY = "best_of"
MAX_BEST_OF = 16


@dataclass
class Ranked:
    """A ranker's verdict on one candidate: a total to maximise and the ratings to store."""

    total: float
    ratings: list[tuple[str, float, str]] = field(default_factory=list)  # (dimension, score, comment)


class Ranker(Protocol):
    """Scores candidate replies for one turn; `rater` is the name its ratings are stored under."""

    rater: str

    def rank(self, scenario, history: list, texts: list[str]) -> list[Ranked]:
        """One Ranked per text, in order."""
        ...


RankerFactory = Callable[[str], Ranker]  # role -> ranker (the CLI passes the packaged judge's)


@dataclass
class BestOf:
    """What best-of-n kept and everything it considered."""

    text: str
    index: int  # the kept candidate (-1: the gate's fallback line)
    gate: GateResult
    ranked: list[Ranked]
    rater: str

    def as_metadata(self) -> dict:
        """{rater, kept, candidates: [{text, defects, total, ratings}]} for the turn's metadata."""
        return {
            "rater": self.rater, "kept": self.index,
            "candidates": [{"text": c.text, "defects": list(c.defects), "total": round(r.total, 4),
                            "ratings": [list(x) for x in r.ratings]}
                           for c, r in zip(self.gate.candidates, self.ranked)],
        }


def pick(texts: list[str], role: str, scenario, history: list, state, ranker: Ranker) -> BestOf:
    """Gate-check every candidate, rank them all, keep the best-ranked one the gate allows."""
    checked = [check(t, role, scenario, history, state) for t in texts]
    ranked = list(ranker.rank(scenario, history, [c.text for c in checked]))
    if len(ranked) != len(checked):
        raise ValueError(f"the ranker scored {len(ranked)} of {len(checked)} candidates")
    clean = [i for i, c in enumerate(checked) if c.clean and c.text]
    mild = [i for i, c in enumerate(checked) if c.text and not set(c.defects) & set(SEVERE)]
    pool = clean or mild
    if pool:
        index = max(pool, key=lambda i: (ranked[i].total, -i))
        gate = GateResult(checked[index].text, index, checked)
    else:
        fallback = choose(texts, role, scenario, history, state)
        gate, index = GateResult(fallback.text, fallback.index, checked, fallback.fallback), fallback.index
    return BestOf(gate.text, index, gate, ranked, ranker.rater)
