"""Stand-ins for the pedagogical judge and the move classifier, so the UI around them can be tested fast.

They answer by simple, documented rules (the real judge is tested in tests/evaluation and in
test_tui_real_judge.py); what is under test here is what the screens do with their answers.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Label:
    """A verdict: the label and its probability, like judge_model.Verdict."""

    label: str
    confidence: float = 0.9


def rule_verdict(response: str, answer: str) -> dict[str, Label]:
    """The stand-in judge's rules on one response."""
    text = response.lower()
    reveals = bool(answer) and answer.lower() in text
    points = any(word in text for word in ("mistake", "wrong", "bottom", "denominator"))
    question = "?" in response
    return {
        "Mistake_Identification": Label("Yes" if points else "No"),
        "Revealing_of_the_Answer": Label("Yes (and the answer is correct)" if reveals else "No"),
        "Providing_Guidance": Label("Yes" if question and not reveals else "To some extent"),
        "Actionability": Label("Yes" if question else "No"),
        "Tutor_Tone": Label("Neutral" if "wrong" in text else "Encouraging"),
    }


class RuleJudge:
    """Labels a response by words in it: 'mistake/wrong/bottom' points at the mistake, '?' gives a next step,
    the answer reveals it, 'wrong' sounds neutral rather than encouraging."""

    rater = "judge:stand-in@test"

    def __init__(self):
        """Record every call's contexts and responses."""
        self.calls: list[tuple[list, list]] = []
        self.finished_at: list[float] = []

    def score(self, contexts, responses, answers=None, progress=None):
        """One {MRBench dimension: Label} per response."""
        answers = list(answers) if answers is not None else [""] * len(responses)
        self.calls.append((list(contexts), list(responses)))
        verdicts = [rule_verdict(r, a) for r, a in zip(responses, answers)]
        self.finished_at.append(time.monotonic())
        return verdicts


class SlowJudge(RuleJudge):
    """A RuleJudge that waits until the test releases it (at most 30 s)."""

    def __init__(self):
        """Blocked until `release.set()`."""
        super().__init__()
        self.started = threading.Event()
        self.release = threading.Event()

    def score(self, contexts, responses, answers=None, progress=None):
        """Wait for the release, then answer."""
        self.started.set()
        self.release.wait(30)
        return super().score(contexts, responses, answers, progress)


class FailingJudge(RuleJudge):
    """A judge whose every call fails."""

    def score(self, contexts, responses, answers=None, progress=None):
        """Raise."""
        raise RuntimeError("judge exploded")


@dataclass
class _Config:
    embed_student: bool = False


@dataclass
class _Encoder:
    texts: list = field(default_factory=list)

    def encode(self, texts):
        """Nothing to warm up."""
        self.texts.extend(texts)


class RuleClassifier:
    """Moves by rule: telling when the turn states the answer, probing with a question mark, else generic."""

    version = "rules1"
    predicted_by = "moves:stand-in@rules1"

    def __init__(self):
        """The attributes `compute.ensure_metrics` reads."""
        self.config = _Config()
        self.encoder = _Encoder()

    def predict(self, contexts) -> list[str]:
        """One move per TeacherTurnContext."""
        moves = []
        for context in contexts:
            answer = context.facts.answer
            if answer and answer in context.text:
                moves.append("telling")
            elif "?" in context.text:
                moves.append("probing")
            else:
                moves.append("generic")
        return moves
