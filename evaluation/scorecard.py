"""A practice session's scorecard: judge dimensions, move mix and MathDial outcomes, beside MathDial's teachers.

Every figure is a per-session number averaged over sessions, computed the same way for a trainee's
session and for the human teachers of the MathDial slice (`evaluation/reference.py`):

- `judge.<dimension>`: share of the session's teacher turns the judge put at the good pole;
- `move_share.*`: share of teacher turns per predicted move;
- `success@k`, `telling@k`: MathDial's outcomes (`session_metrics.py`).

The turns most worth revisiting are the teacher turns with the lowest judge scores, telling first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from practicum.records import TEACHER
from practicum.storage import metrics_queries, practice_queries
from practicum.evaluation.judge_ratings import rating_scale


@dataclass(frozen=True)
class Measure:
    """One scorecard line: its stored name, what it means to a trainee, and which way is better."""

    name: str
    label: str
    higher_is_better: bool | None = True  # None: no better direction (a mix)
    group: str = "judge"


JUDGE_MEASURES = [
    Measure("judge.mistake_identification", "Points at the mistake"),
    Measure("judge.mistake_location", "Says where the mistake is"),
    Measure("judge.guidance", "Guides without giving it away"),
    Measure("judge.providing_guidance", "Guides the student"),
    Measure("judge.revealing_of_the_answer", "Keeps the answer back"),
    Measure("judge.actionability", "Clear next step"),
    Measure("judge.coherence", "Follows the student"),
    Measure("judge.encouraging_tone", "Encouraging tone"),
    Measure("judge.tutor_tone", "Encouraging tone"),
    Measure("judge.human_likeness", "Sounds human"),
]
MOVE_MEASURES = [
    Measure("move_share.focus", "Focus moves", None, "moves"),
    Measure("move_share.probing", "Probing moves", None, "moves"),
    Measure("move_share.telling", "Telling moves", False, "moves"),
    Measure("move_share.generic", "Generic moves", None, "moves"),
]
OUTCOME_MEASURES = [
    Measure("success@1", "success@1: answered within 2 turns", True, "outcomes"),  # the student's turns
    Measure("success@3", "success@3: answered within 4 turns", True, "outcomes"),
    Measure("telling@1", "telling@1: you told it within 2 turns", False, "outcomes"),  # your turns
    Measure("telling@3", "telling@3: you told it within 4 turns", False, "outcomes"),
]
MEASURES = JUDGE_MEASURES + MOVE_MEASURES + OUTCOME_MEASURES
BY_NAME = {m.name: m for m in MEASURES}


def judge_shares(store, session_ids: list[int], rater: str, rubric=None) -> dict[int, dict[str, float]]:
    """{session id: {"judge.<dimension>": share of judged teacher turns at the top of that dimension's scale}}."""
    top: dict[tuple[int, str], list[bool]] = {}
    for row in practice_queries.judge_turn_scores(store, session_ids, rater):
        low, high = rating_scale(row["dimension"], rubric)
        top.setdefault((row["session_id"], f"judge.{row['dimension']}"), []).append(row["score"] >= high)
    out: dict[int, dict[str, float]] = {}
    for (session_id, name), flags in top.items():
        out.setdefault(session_id, {})[name] = sum(flags) / len(flags)
    return out


def session_values(store, session_ids: list[int], *, metrics_version: str, judge_rater: str | None,
                   rubric=None) -> dict[int, dict[str, float]]:
    """{session id: {measure name: value}} from stored metrics (one version) and one judge's ratings."""
    values: dict[int, dict[str, float]] = {i: {} for i in session_ids}
    wanted = {m.name for m in MOVE_MEASURES + OUTCOME_MEASURES}
    for name, by_session in metrics_queries.metric_values(store, session_ids, metrics_version).items():
        if name in wanted:
            for session_id, value in by_session.items():
                values[session_id][name] = value
    if judge_rater:
        for session_id, shares in judge_shares(store, session_ids, judge_rater, rubric).items():
            values[session_id].update(shares)
    return values


def mean_values(values: dict[int, dict[str, float]]) -> dict[str, dict]:
    """{measure: {"mean": m, "n": sessions with a value}} over sessions."""
    pooled: dict[str, list[float]] = {}
    for by_name in values.values():
        for name, value in by_name.items():
            pooled.setdefault(name, []).append(value)
    return {name: {"mean": sum(v) / len(v), "n": len(v)} for name, v in sorted(pooled.items())}


@dataclass
class ScoreLine:
    """One line of a scorecard: the session's value beside the reference's (either may be missing)."""

    measure: Measure
    yours: float | None
    reference: float | None

    @property
    def verdict(self) -> str:
        """'better', 'worse' or '' (no direction, a value missing, or within 0.05)."""
        if self.measure.higher_is_better is None or self.yours is None or self.reference is None:
            return ""
        difference = self.yours - self.reference
        if abs(difference) < 0.05:
            return ""
        return "better" if (difference > 0) == self.measure.higher_is_better else "worse"


@dataclass
class Revisit:
    """A teacher turn worth another look: where, what was said, and why."""

    turn_idx: int
    text: str
    reasons: list[str]
    badness: float


@dataclass
class Scorecard:
    """Everything the end-of-practice screen shows."""

    session_id: int
    lines: list[ScoreLine]
    revisit: list[Revisit] = field(default_factory=list)
    judge_rater: str | None = None
    notes: list[str] = field(default_factory=list)


def score_lines(yours: dict[str, float], reference: dict | None) -> list[ScoreLine]:
    """Lines for every measure that either side has, in MEASURES order.

    A judge dimension only the reference has is listed when the session has no judge figures at all
    (so the trainee still sees the teachers' numbers), not when another judge simply lacks it.
    """
    ref_values = {name: item["mean"] for name, item in (reference or {}).get("measures", {}).items()}
    judged = any(name.startswith("judge.") for name in yours)
    return [ScoreLine(m, yours.get(m.name), ref_values.get(m.name)) for m in MEASURES
            if m.name in yours or (m.name in ref_values and (m.group != "judge" or not judged))]


def revisit_turns(store, session_id: int, feedback: dict, limit: int = 3) -> list[Revisit]:
    """The teacher turns with the lowest judge scores (telling and revealing the answer count most), worst first.

    `feedback` is {turn_idx: TurnFeedback} (`turn_feedback.stored_feedback`). Turns with nothing to fix are left out.
    """
    from practicum.evaluation.turn_feedback import BAD, PARTLY

    texts = {t["idx"]: t["text"] for t in store.get_turns(session_id) if t["role"] == TEACHER}
    found = []
    for turn_idx, item in feedback.items():
        reasons, badness = [], 0.0
        if item.move == "telling":
            reasons.append("telling move")
            badness += 1.0
        for words, tone in item.phrases():
            if tone in (BAD, PARTLY):
                reasons.append(words)
                badness += 1.0 if tone == BAD else 0.5
        if item.scores.get("revealing_of_the_answer") == 0:
            badness += 1.0
        if badness > 0 and turn_idx in texts:
            found.append(Revisit(turn_idx, texts[turn_idx], reasons, badness))
    found.sort(key=lambda r: (-r.badness, r.turn_idx))
    return found[:limit]


def build_scorecard(store, session_id: int, *, metrics_version: str, judge_rater: str | None, reference: dict | None,
                    rubric=None) -> Scorecard:
    """The scorecard of one stored session (metrics and judge ratings must be stored already)."""
    from practicum.evaluation.turn_feedback import stored_feedback

    yours = session_values(store, [session_id], metrics_version=metrics_version, judge_rater=judge_rater,
                           rubric=rubric)[session_id]
    notes = []
    if reference is None:
        notes.append("No MathDial reference numbers here: build them with `practicum eval reference`.")
    elif not reference.get("judge"):
        notes.append("The MathDial reference has no judge figures (no judge when it was computed).")
    elif judge_rater and reference["judge"].get("rater") != judge_rater:
        notes.append(f"MathDial judge figures are by {reference['judge'].get('rater')}, yours by {judge_rater}.")
    feedback = stored_feedback(store, session_id, judge_rater, rubric)
    return Scorecard(session_id, score_lines(yours, reference), revisit_turns(store, session_id, feedback),
                     judge_rater, notes)
