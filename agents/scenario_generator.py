"""ScenarioGenerator: makes new scenarios from a subject/grade/topic request and validates them.

A small model cannot write a whole structured scenario, so the generator asks for one field
per call (problem, answer, misconception, student persona), each a one-output DSPy
predictor that the DSPy tuner can optimize, and checks the result before returning it.
Names and traits are sampled from the seed so a batch of scenarios varies.
"""

from __future__ import annotations

import hashlib
import random
import re

import dspy

from practicum.agents.backends.base import ChatBackend, GenerationOptions
from practicum.agents.dspy_bridge import PlainChatAdapter
from practicum.errors import InputError
from practicum.scenarios.answers import extract_numbers
from practicum.scenarios.model import Scenario, StudentProfile, Traits

NAMES = ["Ava", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gabe", "Hana", "Isaac", "Jada", "Kofi", "Lena",
         "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Yusuf"]
LEVELS = ("low", "medium", "high")


class ProposeProblem(dspy.Signature):
    """Write one short practice problem for a student. Write only the problem, ending with a question."""

    request: str = dspy.InputField(desc="subject, grade and topic")
    problem: str = dspy.OutputField()


class ProposeAnswer(dspy.Signature):
    """Give only the final answer to the problem, as briefly as possible (a number or a few words)."""

    problem: str = dspy.InputField()
    answer: str = dspy.OutputField()


class ProposeMisconception(dspy.Signature):
    """In one sentence, describe a common mistake a student in this grade makes on this problem."""

    problem: str = dspy.InputField()
    misconception: str = dspy.OutputField()


def first_sentence_block(text: str, limit: int = 400) -> str:
    """Keep the first paragraph of a completion, trimmed to a sentence boundary within `limit`."""
    text = text.strip().split("\n\n")[0].replace("\n", " ").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > 0 else cut


def check_fields(subject: str, problem: str, answer: str, misconception: str) -> list[str]:
    """Return what is wrong with generated fields (empty when they make a usable scenario)."""
    problems = []
    if len(problem.split()) < 6:
        problems.append("problem is shorter than 6 words")
    if not answer or len(answer) > 60:
        problems.append("answer is empty or longer than 60 characters")
    if subject.lower() in ("math", "mathematics") and not extract_numbers(answer):
        problems.append("a math answer must contain a number")
    if len(misconception.split()) < 4:
        problems.append("misconception is shorter than 4 words")
    return problems


class ScenarioGenerator(dspy.Module):
    """Three one-field predictors (problem, answer, misconception) plus seeded student sampling."""

    def __init__(self):
        """Create the predictors."""
        super().__init__()
        self.problem = dspy.Predict(ProposeProblem)
        self.answer = dspy.Predict(ProposeAnswer)
        self.misconception = dspy.Predict(ProposeMisconception)

    def _ask(self, backend: ChatBackend, predictor: dspy.Predict, inputs: dict, seed: int) -> str:
        messages = PlainChatAdapter("generator").format(predictor.signature, predictor.demos, inputs)
        completion = backend.complete(messages, GenerationOptions(max_tokens=80, temperature=0.7, seed=seed))
        return first_sentence_block(completion.text)

    def generate(
        self, backend: ChatBackend, *, subject: str, grade: str, topic: str, seed: int = 0, attempts: int = 3
    ) -> Scenario:
        """Return a validated scenario, retrying with new seeds; InputError says why the last try failed."""
        if not subject.strip() or not grade.strip():
            raise InputError("scenario generation needs --subject and --grade")
        reasons: list[str] = []
        for attempt in range(attempts):
            s = seed * 101 + attempt
            request = f"Subject: {subject}. Grade: {grade}. Topic: {topic or subject}."
            problem = self._ask(backend, self.problem, {"request": request}, s)
            answer = self._ask(backend, self.answer, {"problem": problem}, s + 1).rstrip(".")
            misconception = self._ask(backend, self.misconception, {"problem": problem}, s + 2)
            reasons = check_fields(subject, problem, answer, misconception)
            if not reasons:
                return self._assemble(subject, grade, topic, problem, answer, misconception, seed, backend.spec)
        raise InputError(f"generator ({backend.spec}) made no valid scenario in {attempts} tries: {'; '.join(reasons)}")

    @staticmethod
    def _assemble(subject, grade, topic, problem, answer, misconception, seed, spec) -> Scenario:
        rng = random.Random(seed)
        name = rng.choice(NAMES)
        traits = Traits(confidence=rng.choice(LEVELS), motivation=rng.choice(LEVELS), verbosity="short")
        digest = hashlib.sha256(f"{subject}|{grade}|{topic}|{problem}".encode()).hexdigest()[:8]
        slug = re.sub(r"[^a-z0-9]+", "-", f"{subject}-{topic or 'general'}".lower()).strip("-")[:40]
        return Scenario(
            id=f"gen-{slug}-{digest}",
            title=(topic or subject).capitalize() + f" (grade {grade})",
            subject=subject, grade=str(grade), topic=topic,
            objective=f"Help {name} find and correct the mistake without being told the answer.",
            problem=problem, answer=answer,
            student_profile=StudentProfile(
                name=name, grade=str(grade),
                persona=f"{name} is a grade {grade} student with {traits.confidence} confidence "
                f"and {traits.motivation} motivation in {subject}.",
                knowledge_state=f"Knows the basics of {topic or subject} but applies them inconsistently.",
                misconceptions=[misconception], traits=traits,
            ),
            source=f"generated:{spec}",
        )
