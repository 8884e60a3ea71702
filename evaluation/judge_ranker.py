"""The pedagogical judge as a best-of-n ranker (agents/best_of.py): candidates' expected scores on its dimensions.

A candidate's total is the mean over the judge's eight MRBench dimensions of the expected 0-2 score (each class's
probability times its score: yes 2, to some extent 1, no 0), so a confident "yes" outranks a hesitant
one. Its ratings are the judge's labels as stored for judged turns (judge_ratings.to_rating_rows), so a
candidate and a turn rated by the judge read the same in the TUI and in preference exports.
"""

from __future__ import annotations

from practicum.agents.best_of import Ranked
from practicum.evaluation.judge_ratings import _NO_ANSWER, JUDGE_NAMES, judge_context, judge_score, to_rating_rows


class JudgeRanker:
    """Ranks candidate replies with a PedagogicalJudge (evaluation/judge_model.py)."""

    def __init__(self, judge):
        """Wrap a loaded judge."""
        self.judge = judge
        self.rater = judge.rater

    def rank(self, scenario, history: list, texts: list[str]) -> list[Ranked]:
        """One Ranked per text: the judge reads each with the dialogue so far and the scenario's answer."""
        context = judge_context(scenario, list(history))
        answer = "" if (scenario.answer or "").strip().lower() in _NO_ANSWER else scenario.answer
        verdicts = self.judge.score([context] * len(texts), list(texts), [answer] * len(texts))
        out = []
        for verdict in verdicts:
            expected = []
            for name, v in verdict.items():
                dimension = JUDGE_NAMES.get(name, name)
                scores = [(p, judge_score(dimension, label)) for label, p in v.probabilities.items()]
                scores = [(p, s) for p, s in scores if s is not None]
                if scores:
                    expected.append(sum(p * s for p, s in scores) / max(sum(p for p, _ in scores), 1e-9))
            labels = {name: v.label for name, v in verdict.items()}
            notes = {name: f"p={v.confidence:.2f}" for name, v in verdict.items()}
            total = sum(expected) / len(expected) if expected else 0.0
            out.append(Ranked(total, to_rating_rows(labels, None, notes)))
        return out


def judge_ranker_factory(judge: str = "model"):
    """A SpeakerBuilder `make_ranker`: every role ranks with the judge at `judge` ('model': the packaged one)."""

    def make(role: str) -> JudgeRanker:
        from practicum.evaluation.judge_model import load_judge

        return JudgeRanker(load_judge(judge))

    return make
