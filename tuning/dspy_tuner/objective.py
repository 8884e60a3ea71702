"""What the DSPy tuner optimizes: the evaluation metrics, scored one reply at a time.

Teacher replies are scored with the trained teacher-move classifier (the one behind
`guiding_rate` and `telling_rate`), given the reply in its context (the previous student
and teacher turns, the problem's numbers), exactly as a stored session's turn is classified:

    credit(move) = 1 for focus and probing, 0.25 for generic, 0 for telling
    score = 0.5 * credit(predicted move) + 0.5 * sum over moves of P(move) * credit(move)
    score = 0 when the reply states the scenario's answer (`states_answer`) or is empty

The hard half makes the predicted move decide (a reply read as telling stays below 0.4, one
read as focus or probing lands above 0.7); the soft half ranks replies within a move, which
MIPROv2 and GEPA need to tell candidates apart.

Student replies are scored for fidelity to a simulated struggling student:

    score = 0 for an empty reply, or a competence leak (the answer stated before any teacher
            turn that guides or tells, as `student.competence_leak` defines it);
    otherwise 1 - 0.5 * (highest word-bigram overlap with an earlier student line)
                - 0.25 if it runs past 40 words (students here answer in a sentence or two)
                - 0.25 if it talks like the tutor (praises, assigns the next step)

For GEPA the same numbers come with feedback text that says what to change. The scenario's facts
(answer, worked solution, the student's attempt) come from the examples' metadata as data
(`tuner.make_objective`), never from the prompt text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from practicum.agents.roles import END_MARKER, clean_reply
from practicum.records import STUDENT, TEACHER
from practicum.scenarios.answers import states_answer
from practicum.evaluation.move_context import ProblemFacts, teacher_contexts
from practicum.evaluation.session_metrics import GUIDANCE_MOVES

CREDIT = {"focus": 1.0, "probing": 1.0, "generic": 0.25, "telling": 0.0}
STUDENT_MAX_WORDS = 40
_TUTOR_TALK = re.compile(
    r"\b(great job|good job|well done|excellent|let'?s (?:try|look|start|think)|can you (?:tell|explain|show) me|"
    r"what do you think|try again|you(?:'re| are) (?:right|correct))\b", re.IGNORECASE)

FactsFor = Callable[[dict], ProblemFacts]


def word_bigrams(text: str) -> set[tuple[str, str]]:
    """Lower-cased word bigrams (single words for a one-word line), as `student.repetitiveness` counts them."""
    tokens = re.findall(r"[a-z0-9]+", (text or "").lower())
    return set(zip(tokens, tokens[1:])) or {(t, "") for t in tokens}


@dataclass
class Judgement:
    """One reply's score, the move it reads as, and what to change (for GEPA and reports)."""

    score: float
    feedback: str
    move: str | None = None
    probabilities: dict[str, float] = field(default_factory=dict)
    states_answer: bool = False
    empty: bool = False


def spoken_turns(dialogue: list[dict]) -> list[dict]:
    """The dialogue without the prompt-only opening line (Role.inputs always puts the student's attempt first)."""
    return list(dialogue[1:]) if dialogue and dialogue[0].get("role") == STUDENT else list(dialogue)


def _field(example, name: str, default=None):
    return example.get(name, default) if hasattr(example, "get") else getattr(example, name, default)


def reply_text(prediction) -> str:
    """The reply of a prediction (or a raw completion) as a session keeps it: [END] dropped, cleaned."""
    text = prediction if isinstance(prediction, str) else _field(prediction, "reply", "") or ""
    text = re.sub(re.escape(END_MARKER), "", str(text), flags=re.IGNORECASE)
    return clean_reply(text)


class TeacherObjective:
    """Score teacher replies with the move classifier: guiding high, telling low, stating the answer 0."""

    role = TEACHER

    def __init__(self, classifier, facts_for: FactsFor):
        """`classifier` is a MoveClassifier; `facts_for(example)` gives the ProblemFacts of its scenario."""
        self.classifier = classifier
        self.facts_for = facts_for

    def judge(self, example, reply: str) -> Judgement:
        """Score one reply to `example` (which holds `situation` and `dialogue`)."""
        facts = self.facts_for(example)
        if not reply.strip():
            return Judgement(0.0, "The reply is empty: write one short question for the student.", empty=True)
        turns = spoken_turns(_field(example, "dialogue", []) or []) + [{"role": TEACHER, "text": reply}]
        context = teacher_contexts(turns, facts)[-1]
        row = self.classifier.predict_proba([context])[0]
        probabilities = {move: float(p) for move, p in zip(self.classifier.classes, row)}
        move = max(probabilities, key=probabilities.get)
        reveals = bool(facts.answer) and states_answer(reply, facts.answer)
        soft = sum(p * CREDIT.get(m, 0.0) for m, p in probabilities.items())
        score = 0.0 if reveals else min(1.0, 0.5 * CREDIT.get(move, 0.0) + 0.5 * soft)
        return Judgement(score, teacher_feedback(move, probabilities, reveals, facts.answer, reply),
                         move, probabilities, reveals)

    def __call__(self, example, prediction, trace=None) -> float:
        """DSPy metric: the score of the predicted reply."""
        return self.judge(example, reply_text(prediction)).score

    def feedback_metric(self, gold, pred, trace=None, pred_name=None, pred_trace=None):
        """GEPA metric: dspy.Prediction(score=..., feedback=...)."""
        import dspy

        judgement = self.judge(gold, reply_text(pred))
        return dspy.Prediction(score=judgement.score, feedback=judgement.feedback)


def teacher_feedback(move: str, probabilities: dict[str, float], reveals: bool, answer: str, reply: str) -> str:
    """What a teacher reply did and what to do instead, in words a prompt optimizer can act on."""
    shares = ", ".join(f"{m} {probabilities.get(m, 0.0):.2f}" for m in ("focus", "probing", "telling", "generic"))
    said = f"The reply reads as '{move}' (move probabilities: {shares})."
    if reveals:
        return (f"{said} It states the answer ({answer}), which scores 0: never give the answer or the result of "
                "a step. Ask one question that makes the student find the wrong step in their own attempt.")
    if move == "telling":
        return (f"{said} It tells the student what to do or what a result is. Instead ask one short question "
                "about the exact step where the student's attempt goes wrong, and let the student compute.")
    if move == "generic":
        return (f"{said} It is generic (praise or small talk) and does not move the student forward. Ask one "
                "focused question about the student's mistake, using the numbers from the problem.")
    hint = "" if "?" in reply else " Phrase it as a question."
    return (f"{said} Good: it guides without telling.{hint} Keep it to one short question about the student's "
            "last line.")


class StudentObjective:
    """Score simulated-student replies for fidelity: no early answer, not empty, in character, not repeating."""

    role = STUDENT

    def __init__(self, classifier=None, answer_for: Callable[[dict], str] | None = None):
        """`classifier` finds guiding teacher turns (None: any teacher turn counts); `answer_for(example)`."""
        self.classifier = classifier
        self.answer_for = answer_for or (lambda example: "")

    def _guided(self, turns: list[dict], answer: str) -> bool:
        teacher = [t for t in turns if t["role"] == TEACHER]
        if not teacher:
            return False
        if self.classifier is None:
            return True
        contexts = teacher_contexts(turns, ProblemFacts(answer=answer))
        return any(m in GUIDANCE_MOVES for m in self.classifier.predict(contexts))

    def judge(self, example, reply: str) -> Judgement:
        """Score one student reply to `example`."""
        if not reply.strip():
            return Judgement(0.0, "The reply is empty: answer the teacher in one short sentence.", empty=True)
        answer = self.answer_for(example)
        turns = spoken_turns(_field(example, "dialogue", []) or [])
        reveals = bool(answer) and states_answer(reply, answer)
        if reveals and not self._guided(turns, answer):
            return Judgement(0.0, f"The student states the correct answer ({answer}) before the teacher has guided "
                                  "them: keep the misconception from your own attempt until the teacher helps.",
                             states_answer=True)
        earlier = [word_bigrams(t["text"]) for t in turns if t["role"] == STUDENT]
        mine = word_bigrams(reply)
        overlap = max((len(mine & e) / len(mine | e) for e in earlier if mine | e), default=0.0)
        notes, score = [], 1.0 - 0.5 * overlap
        if overlap >= 0.5:
            notes.append("it repeats an earlier student line; say something new in reply to the teacher")
        if len(reply.split()) > STUDENT_MAX_WORDS:
            score -= 0.25
            notes.append(f"it is long ({len(reply.split())} words); a student answers in one short sentence")
        if _TUTOR_TALK.search(reply):
            score -= 0.25
            notes.append("it sounds like the tutor (praise, instructions); speak as the student")
        feedback = "In character." if not notes else "Fidelity problems: " + "; ".join(notes) + "."
        return Judgement(max(0.0, score), feedback, states_answer=reveals)

    def __call__(self, example, prediction, trace=None) -> float:
        """DSPy metric: the fidelity score of the predicted reply."""
        return self.judge(example, reply_text(prediction)).score

    def feedback_metric(self, gold, pred, trace=None, pred_name=None, pred_trace=None):
        """GEPA metric: dspy.Prediction(score=..., feedback=...)."""
        import dspy

        judgement = self.judge(gold, reply_text(pred))
        return dspy.Prediction(score=judgement.score, feedback=judgement.feedback)
