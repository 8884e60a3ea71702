"""ScenarioGenerator: the model's part in making scenarios, always behind the same checks.

Scenarios are built without a model (`scenarios/problems/`): answers are computed and each wrong
attempt is a named misconception rule applied to the same numbers. A backend may then reword a
built problem's surface (names, setting); a rewording that changes, drops or adds a number is
rejected and the template text kept. For strong backends (`openai:MODEL`) the model may also write
whole scenarios, one field per call; those pass `scenario_faults` too, and a math answer must agree
with an independent solve. Each step is a one-output DSPy predictor that the DSPy tuner can optimize.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from dataclasses import dataclass, field

import dspy

from practicum.agents.backends.base import ChatBackend, GenerationOptions
from practicum.agents.dspy_bridge import PlainChatAdapter
from practicum.errors import InputError
from practicum.scenarios.answers import extract_numbers, final_answer, parse_numeric_answer
from practicum.scenarios.checks import is_math, rewording_faults, scenario_faults
from practicum.scenarios.model import Scenario, StudentProfile
from practicum.scenarios.problems import misconceptions
from practicum.scenarios.problems.people import Cast


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


class ProposeAttempt(dspy.Signature):
    """Write a student's wrong attempt that follows the mistake, ending with the student's final answer."""

    problem: str = dspy.InputField()
    misconception: str = dspy.InputField()
    attempt: str = dspy.OutputField()


class SolveProblem(dspy.Signature):
    """Solve the problem step by step and end with the final answer as a number."""

    problem: str = dspy.InputField()
    solution: str = dspy.OutputField()


class RewordProblem(dspy.Signature):
    """Retell this word problem with other names and setting, keeping every number and the question."""

    problem: str = dspy.InputField()
    reworded: str = dspy.OutputField()


RewordProblem = RewordProblem.with_instructions(
    "Retell this word problem with different names and a different everyday setting. Keep every number exactly "
    "as written and keep the question. Write only the new problem.")


REWORD_DEMO = dspy.Example(
    problem="Mia bought 3 packs of pens with 12 pens in each pack. How many pens did she buy?",
    reworded="Leo picked 3 baskets of apples with 12 apples in each basket. How many apples did he pick?",
).with_inputs("problem")


def first_sentence_block(text: str, limit: int = 400) -> str:
    """Keep the first paragraph of a completion, trimmed to a sentence boundary within `limit`."""
    text = text.strip().split("\n\n")[0].replace("\n", " ").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > 0 else cut


@dataclass
class RewordReport:
    """How a batch rewording went: kept, rejected with reasons, and the wall time."""

    kept: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    examples: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (original, reworded, faults)

    def add(self, original: str, reworded: str, faults: list[str]) -> None:
        """Count one rewording."""
        if faults:
            self.rejected += 1
            for fault in faults:
                kind = fault.split(":")[0]
                self.reasons[kind] = self.reasons.get(kind, 0) + 1
        else:
            self.kept += 1
        self.examples.append((original, reworded, faults))


class ScenarioGenerator(dspy.Module):
    """One-field predictors: rewording a built problem, or writing a whole scenario on a strong backend."""

    def __init__(self):
        """Create the predictors."""
        super().__init__()
        self.problem = dspy.Predict(ProposeProblem)
        self.answer = dspy.Predict(ProposeAnswer)
        self.misconception = dspy.Predict(ProposeMisconception)
        self.attempt = dspy.Predict(ProposeAttempt)
        self.solve = dspy.Predict(SolveProblem)
        self.reword = dspy.Predict(RewordProblem)
        self.reword.demos = [REWORD_DEMO]

    def _messages(self, predictor: dspy.Predict, inputs: dict) -> list[dict]:
        return PlainChatAdapter("generator").format(predictor.signature, predictor.demos, inputs)

    def _ask(self, backend: ChatBackend, predictor: dspy.Predict, inputs: dict, seed: int, tokens: int = 80) -> str:
        options = GenerationOptions(max_tokens=tokens, temperature=0.7, seed=seed)
        return first_sentence_block(backend.complete(self._messages(predictor, inputs), options).text)

    def reword_batch(self, backend: ChatBackend, scenarios: list[Scenario], seed: int = 0) -> RewordReport:
        """Let `backend` reword each problem's surface in one batch; keep a rewording only if it passes
        `rewording_faults` (same numbers in the same order, no new number words, still a question)."""
        report = RewordReport()
        if not scenarios:
            return report
        start = time.perf_counter()
        requests = [self._messages(self.reword, {"problem": s.problem}) for s in scenarios]
        # One max_tokens for all, so a local backend decodes the whole batch in one pass (it batches
        # requests whose options differ only in seed).
        tokens = min(200, 2 * max(len(s.problem.split()) for s in scenarios) + 20)
        options = [GenerationOptions(max_tokens=tokens, temperature=0.7, seed=seed * 1000 + i)
                   for i in range(len(scenarios))]
        completions = backend.complete_batch(requests, options)
        for scenario, completion in zip(scenarios, completions):
            text = first_sentence_block(completion.text, limit=3 * len(scenario.problem))
            faults = rewording_faults(scenario.problem, text)
            report.add(scenario.problem, text, faults)
            if not faults:
                scenario.problem = text
                scenario.source = f"{scenario.source}+reworded:{backend.spec}"
        report.seconds = time.perf_counter() - start
        return report

    def generate(
        self, backend: ChatBackend, *, subject: str, grade: str, topic: str, seed: int = 0, attempts: int = 3,
        misconception: str = "",
    ) -> Scenario:
        """A model-written scenario that passes `scenario_faults` (and, for math, agrees with an independent
        solve), retrying with new seeds; InputError says why the last try failed."""
        if not subject.strip() or not str(grade).strip():
            raise InputError("scenario generation needs --subject and --grade")
        held = ""
        if misconception:
            if misconception not in misconceptions():
                raise InputError(f"--misconception '{misconception}': not in the library; "
                                 "list it with `practicum scenarios misconceptions`")
            held = misconceptions()[misconception].held
        reasons: list[str] = []
        for attempt in range(attempts):
            s = seed * 101 + attempt * 7
            request = f"Subject: {subject}. Grade: {grade}. Topic: {topic or subject}."
            if held:
                request += f" Write it so that this mistake would lead a student astray: {held}"
            problem = self._ask(backend, self.problem, {"request": request}, s)
            answer = self._ask(backend, self.answer, {"problem": problem}, s + 1).rstrip(".")
            belief = held or self._ask(backend, self.misconception, {"problem": problem}, s + 2)
            wrong = self._ask(backend, self.attempt, {"problem": problem, "misconception": belief}, s + 3, 120)
            scenario = self._assemble(subject, grade, topic, problem, answer, belief, wrong, seed, backend.spec,
                                      misconception)
            reasons = scenario_faults(scenario)
            if not reasons and is_math(subject):  # the extra call only for a scenario that passed the rest
                reasons = self._solve_faults(backend, problem, answer, s + 4)
            if not reasons:
                return scenario
        raise InputError(f"generator ({backend.spec}) made no valid scenario in {attempts} tries: {'; '.join(reasons)}")

    def _solve_faults(self, backend: ChatBackend, problem: str, answer: str, seed: int) -> list[str]:
        target = parse_numeric_answer(answer)
        if target is None:
            return []  # scenario_faults already says the answer is not one number
        options = GenerationOptions(max_tokens=200, temperature=0.0, seed=seed)
        worked = backend.complete(self._messages(self.solve, {"problem": problem}), options).text
        numbers = extract_numbers(worked)
        if not numbers or abs(numbers[-1] - target) > 1e-9 * max(1.0, abs(target)):
            return [f"an independent solve ended at {final_answer(worked) or 'no number'}, not {answer}"]
        return []

    @staticmethod
    def _assemble(subject, grade, topic, problem, answer, belief, wrong, seed, spec, name="") -> Scenario:
        student = Cast(random.Random(seed)).student()
        digest = hashlib.sha256(f"{subject}|{grade}|{topic}|{problem}".encode()).hexdigest()[:8]
        slug = re.sub(r"[^a-z0-9]+", "-", f"{subject}-{topic or 'general'}".lower()).strip("-")[:40]
        wrong_answer = final_answer(wrong) if is_math(subject) else ""
        return Scenario(
            id=f"gen-{slug}-{digest}", title=(topic or subject).capitalize() + f" (grade {grade})",
            subject=subject, grade=str(grade), topic=topic,
            objective=f"Help {student.name} find and correct the mistake without being told the answer.",
            problem=problem, answer=answer,
            student_profile=StudentProfile(
                name=student.name, grade=str(grade), persona=student.persona(grade),
                knowledge_state=f"Knows the basics of {topic or subject} but applies them inconsistently.",
                misconceptions=[belief], incorrect_solution=wrong, traits=student.traits,
                learning_style=student.learning_style, misconception_id=name, wrong_answer=wrong_answer,
                problem_family="model-written",
            ),
            source=f"generated:{spec}",
        )
