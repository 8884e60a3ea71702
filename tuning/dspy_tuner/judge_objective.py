"""The DSPy teacher objective read off the pedagogical judge (evaluation/judge_model.py), the loop's own measure.

    score = (mean over the judge's eight MRBench dimensions of the expected 0-2 score) / 2, in 0..1
    score = 0 when the reply states the scenario's answer before the student has, or is empty

The judge reads the reply as it reads a stored turn: after MRBench's opening (the student's attempt,
judge_ratings.judge_context) and the dialogue so far. GEPA gets feedback naming the dimensions the
judge marked down.
"""

from __future__ import annotations

from practicum.agents.best_of import Ranked
from practicum.agents.fidelity_gate import reveals_answer
from practicum.evaluation.judge_ranker import JudgeRanker
from practicum.records import TEACHER, Turn
from practicum.tuning.dspy_tuner.objective import Judgement, _field, reply_text, spoken_turns

ADVICE = {
    "mistake_identification": "say that something in the student's work is off",
    "mistake_location": "point at the step where it goes wrong",
    "guidance": "give a hint or a question that moves the student forward",
    "actionability": "end with something the student can do next",
    "coherence": "follow on from what the student just said",
    "revealing_of_the_answer": "keep the answer back",
}


class JudgeObjective:
    """Score teacher replies with the judge; stating the answer scores 0."""

    role = TEACHER

    def __init__(self, judge, scenario_of):
        """`judge` is a PedagogicalJudge; `scenario_of(example)` gives the example's Scenario."""
        self.ranker = JudgeRanker(judge)
        self.scenario_of = scenario_of

    def judge(self, example, reply: str) -> Judgement:
        """Score one reply to `example` (which holds `situation` and `dialogue`)."""
        if not reply.strip():
            return Judgement(0.0, "The reply is empty: write one short question for the student.", empty=True)
        scenario = self.scenario_of(example)
        history = [Turn(i, t["role"], t.get("text", "")) for i, t in
                   enumerate(spoken_turns(_field(example, "dialogue", []) or []))]
        if reveals_answer(reply, scenario, history):
            return Judgement(0.0, f"The reply states the answer ({scenario.answer}); let the student find it.",
                             states_answer=True)
        (ranked,) = self.ranker.rank(scenario, history, [reply])
        return Judgement(min(1.0, ranked.total / 2), feedback(ranked))

    def __call__(self, example, prediction, trace=None) -> float:
        """DSPy metric: the score of the predicted reply."""
        return self.judge(example, reply_text(prediction)).score

    def feedback_metric(self, gold, pred, trace=None, pred_name=None, pred_trace=None):
        """GEPA metric: dspy.Prediction(score=..., feedback=...)."""
        import dspy

        judgement = self.judge(gold, reply_text(pred))
        return dspy.Prediction(score=judgement.score, feedback=judgement.feedback)


def feedback(ranked: Ranked) -> str:
    """What the judge marked down, as advice."""
    weak = []
    for dimension, _, comment in ranked.ratings:
        label = comment.split(" (p=")[0].split(";")[0].strip().lower()
        good = "no" if dimension == "revealing_of_the_answer" else "yes"
        if dimension in ADVICE and label != good:
            weak.append(dimension)
    if not weak:
        return f"The judge rates this reply well ({ranked.total / 2:.2f}); keep it short and about the problem."
    return (f"The judge scores this reply {ranked.total / 2:.2f}. To do better: "
            + "; ".join(ADVICE[d] for d in weak) + ".")
