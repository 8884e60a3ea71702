"""Feedback on one teacher turn in plain words: its move (the move classifier) and the pedagogical judge's labels.

The one place the practice screens meet the judge (`evaluation/judge_model.py`): `resolve_judge`
loads it, `turn_feedback` asks it about one turn and stores its labels as ratings by the judge's
rater (`judge_ratings.to_rating_rows`), so review, agreement and reports see them; `stored_feedback`
reads them back; `TurnFeedback.phrases` says what they mean ("revealed the answer", "no clear
next step"). A judge is any object with `rater` and `score(contexts, responses, answers)` returning
one {MRBench dimension: verdict with `.label`} per response.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from practicum.records import TEACHER
from practicum.storage import metrics_queries, practice_queries
from practicum.evaluation.judge_ratings import (
    JUDGE_NAMES, comparison_name, judge_context, judge_score, rating_scale, to_rating_rows,
)

GOOD, PARTLY, BAD = "good", "partly", "bad"
TONES = (BAD, PARTLY, GOOD)  # by 0-2 score
# What a 0, 1 or 2 score on each judge dimension means, as a trainee reads it. Keys are the judge's
# lower-case names, plus the review rubric's 'guidance', which also scores 0 when the answer is revealed.
PHRASES = {
    "mistake_identification": ("misses the mistake", "half-notices the mistake", "points at the mistake"),
    "mistake_location": ("does not say where the mistake is", "roughly locates the mistake",
                         "says where the mistake is"),
    "revealing_of_the_answer": ("revealed the answer", "revealed a wrong answer", "keeps the answer back"),
    "providing_guidance": ("no guidance", "some guidance", "guides the student"),
    "guidance": ("no guidance, or gives it away", "some guidance", "guides without telling"),
    "actionability": ("no clear next step", "vague next step", "clear next step"),
    "coherence": ("does not follow the student", "partly follows the student", "follows the student"),
    "tutor_tone": ("harsh tone", "neutral tone", "encouraging"),
    "encouraging_tone": ("harsh tone", "neutral tone", "encouraging"),
    "human_likeness": ("sounds robotic", "a bit robotic", "sounds human"),
}
ALWAYS_SHOWN = ("mistake_identification", "revealing_of_the_answer", "providing_guidance", "guidance",
                "actionability")  # in brief, the rest are shown only at their bad pole (e.g. a harsh tone)

_lock = threading.RLock()  # one judge call at a time: the feedback and scorecard workers share the judge


@dataclass
class TurnFeedback:
    """What the classifier and the judge said about one teacher turn (scores 0-2 by judge dimension name)."""

    turn_idx: int
    move: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    error: str = ""

    def phrases(self, brief: bool = True) -> list[tuple[str, str]]:
        """(words, tone) per dimension; `brief` keeps the key ones, and the others only at their bad pole."""
        out = []
        revealed = self.scores.get("revealing_of_the_answer") == 0
        for name, words in PHRASES.items():
            score = self.scores.get(name)
            if score is None or (name == "guidance" and revealed):
                continue  # the rubric's guidance scores its lowest when the answer is revealed: said already
            level = max(0, min(2, int(round(score))))
            if brief and level > 0 and name not in ALWAYS_SHOWN:
                continue
            out.append((words[level], TONES[level]))
        return out


def resolve_judge(judge="auto"):
    """(judge or None, why not): "auto" loads the packaged judge; an object is used as given."""
    if not (isinstance(judge, str) and judge == "auto"):
        return judge, "" if judge is not None else "no judge given"
    try:
        from practicum.evaluation.judge_model import load_judge

        return load_judge(), ""
    except Exception as exc:  # not built yet, or broken: practice goes on without it
        return None, str(exc) or type(exc).__name__


def resolve_classifier(classifier="auto"):
    """(move classifier or None, why not): "auto" loads the packaged one when it can run here."""
    if not (isinstance(classifier, str) and classifier == "auto"):
        return classifier, "" if classifier is not None else "no move classifier given"
    try:
        from practicum.evaluation.compute import default_classifier

        found = default_classifier()
        return found, "" if found is not None else "the move classifier cannot run here (practicum[local])"
    except Exception as exc:
        return None, str(exc) or type(exc).__name__


def _role(turn) -> str:
    return turn["role"] if isinstance(turn, dict) else turn.role


def _idx(turn) -> int:
    return turn["idx"] if isinstance(turn, dict) else turn.idx


def _text(turn) -> str:
    return (turn["text"] if isinstance(turn, dict) else turn.text) or ""


def labels_to_scores(labels: dict[str, str]) -> dict[str, float]:
    """MRBench labels ({'Actionability': 'No', ...}) as 0-2 scores by judge name (unknown labels left out)."""
    scores = {}
    for dimension, label in labels.items():
        name = JUDGE_NAMES.get(dimension, dimension)
        score = judge_score(name, label)
        if score is not None:
            scores[name] = score
    return scores


def predict_move(classifier, turns: list, position: int, scenario, conversation: str = "") -> str:
    """The classifier's move for the teacher turn at `position` in `turns` (it sees only what came before)."""
    from practicum.evaluation.move_context import ProblemFacts, teacher_contexts

    contexts = teacher_contexts(turns[: position + 1], ProblemFacts.from_scenario(scenario), conversation)
    return classifier.predict([contexts[-1]])[0]


def turn_feedback(store, session_id: int, turns: list, turn_idx: int, scenario, *, judge=None, classifier=None,
                  rubric=None) -> TurnFeedback:
    """Move and judge labels of one stored teacher turn; both are stored (predicted move, judge ratings).

    `turns` is the session so far (Turn objects or rows); only the turns before `turn_idx` are the context.
    A turn this judge already rated (the scorecard may have got there first) is not rated twice.
    """
    position = next(i for i, t in enumerate(turns) if _idx(t) == turn_idx)
    turn = turns[position]
    feedback = TurnFeedback(turn_idx)
    with _lock:
        if classifier is not None:
            feedback.move = predict_move(classifier, turns, position, scenario, str(session_id))
            metrics_queries.save_predicted_moves(store, session_id, {turn_idx: feedback.move},
                                                 classifier.predicted_by)
        if judge is not None:
            verdict = judge.score([judge_context(scenario, turns[:position])], [_text(turn)],
                                  [scenario.answer or ""])[0]
            labels = {name: v.label for name, v in verdict.items()}
            feedback.scores = labels_to_scores(labels)
            if turn_idx not in practice_queries.judged_turns(store, session_id, judge.rater):
                _store_labels(store, session_id, turn_idx, judge, verdict, rubric)
    return feedback


def _store_labels(store, session_id: int, turn_idx: int, judge, verdict: dict, rubric) -> None:
    labels = {name: v.label for name, v in verdict.items()}
    notes = {name: f"p={v.confidence:.2f}" for name, v in verdict.items() if hasattr(v, "confidence")}
    for dimension, score, comment in to_rating_rows(labels, rubric, notes):
        store.add_rating(session_id, rater=judge.rater, dimension=dimension, score=score, turn_idx=turn_idx,
                         comment=comment)


def complete_session(store, session_id: int, *, judge=None, classifier=None, rubric=None) -> int:
    """Predict the moves of every teacher turn and have the judge rate the ones it has not; return how many it rated."""
    session = store.get_session(session_id)
    scenario = store.get_scenario(session["scenario_id"])
    turns = session["turns"]
    with _lock:
        if classifier is not None:
            from practicum.evaluation.compute import predict_session_moves

            predict_session_moves(store, session_id, classifier, session, scenario)
        if judge is None:
            return 0
        done = practice_queries.judged_turns(store, session_id, judge.rater)
        todo = [i for i, t in enumerate(turns) if t["role"] == TEACHER and t["idx"] not in done]
        if not todo:
            return 0
        verdicts = judge.score([judge_context(scenario, turns[:i]) for i in todo], [turns[i]["text"] for i in todo],
                               [scenario.answer or ""] * len(todo))
        for i, verdict in zip(todo, verdicts):
            _store_labels(store, session_id, turns[i]["idx"], judge, verdict, rubric)
    return len(todo)


def scores_from_ratings(rows: list[dict], rubric=None) -> dict[int, dict[str, float]]:
    """{turn_idx: {judge name: 0-2 score}} from stored judge ratings of one session (`judge_turn_scores` rows)."""
    out: dict[int, dict[str, float]] = {}
    for row in rows:
        low, high = rating_scale(row["dimension"], rubric)
        level = (row["score"] - low) / (high - low) * 2
        name = row["dimension"] if row["dimension"] in PHRASES else comparison_name(row["dimension"])
        out.setdefault(row["turn_idx"], {})[name] = round(level, 3)
    return out


def stored_feedback(store, session_id: int, rater: str | None = None, rubric=None) -> dict[int, TurnFeedback]:
    """Feedback of each teacher turn from what is stored: predicted (or labelled) move and one judge's ratings.

    `rater` None takes the judge that rated this session most recently.
    """
    rater = rater or practice_queries.latest_judge(store, [session_id])
    rows = practice_queries.judge_turn_scores(store, [session_id], rater) if rater else []
    scores = scores_from_ratings(rows, rubric)
    out = {}
    for turn in store.get_turns(session_id):
        if turn["role"] == TEACHER:
            move = turn.get("predicted_move") or turn.get("move")
            out[turn["idx"]] = TurnFeedback(turn["idx"], move, scores.get(turn["idx"], {}))
    return out
