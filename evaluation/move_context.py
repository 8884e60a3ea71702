"""What the move classifier may look at for one teacher turn: the turn, what came before, and the problem.

The classifier never sees a turn's label or anything said after it, so the same
contexts can be built from a finished MathDial dialogue, a stored session, or a
session still running.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from practicum.records import STUDENT, TEACHER
from practicum.scenarios.answers import extract_numbers


@dataclass(frozen=True)
class ProblemFacts:
    """Numbers of one problem that tell a revealing turn apart: the answer and the solution's results."""

    answer: str = ""
    problem_numbers: frozenset[float] = frozenset()
    solution_results: frozenset[float] = frozenset()  # numbers the worked solution computes (not given)
    incorrect_numbers: frozenset[float] = frozenset()  # numbers of the student's wrong attempt

    @classmethod
    def from_texts(cls, answer: str, problem: str, solution: str, incorrect_solution: str = "") -> ProblemFacts:
        """Collect the numbers of a problem, its worked solution and the student's wrong attempt."""
        given = frozenset(_rounded(extract_numbers(problem)))
        computed = frozenset(_rounded(extract_numbers(solution))) - given
        wrong = frozenset(_rounded(extract_numbers(incorrect_solution))) - given - computed
        return cls(answer=answer, problem_numbers=given, solution_results=computed, incorrect_numbers=wrong)

    @classmethod
    def from_scenario(cls, scenario) -> ProblemFacts:
        """Collect the facts of a Scenario."""
        return cls.from_texts(
            scenario.answer, scenario.problem, scenario.solution, scenario.student_profile.incorrect_solution
        )


@dataclass(frozen=True)
class TeacherTurnContext:
    """One teacher turn with the conversation before it."""

    text: str
    prev_student: str = ""  # the last student turn before this one ('' at the start)
    prev_teacher: str = ""  # the previous teacher turn ('' for the first)
    teacher_index: int = 0  # 0 for the teacher's first turn
    turn_index: int = 0  # position among all turns
    conversation: str = ""  # group key for cross-validation
    facts: ProblemFacts = field(default_factory=ProblemFacts)
    history: tuple[tuple[str, str], ...] = ()  # every earlier (role, text) turn, oldest first


def _rounded(values) -> list[float]:
    return [round(v, 6) for v in values]


def teacher_contexts(turns, facts: ProblemFacts, conversation: str = "") -> list[TeacherTurnContext]:
    """Build one context per teacher turn of `turns` (Turn objects or dicts with role/text)."""
    contexts: list[TeacherTurnContext] = []
    prev_student = prev_teacher = ""
    history: list[tuple[str, str]] = []
    for position, turn in enumerate(turns):
        role = turn["role"] if isinstance(turn, dict) else turn.role
        text = (turn["text"] if isinstance(turn, dict) else turn.text) or ""
        if role == TEACHER:
            contexts.append(
                TeacherTurnContext(
                    text=text, prev_student=prev_student, prev_teacher=prev_teacher, teacher_index=len(contexts),
                    turn_index=position, conversation=conversation, facts=facts, history=tuple(history),
                )
            )
            prev_teacher = text
        elif role == STUDENT:
            prev_student = text
        history.append((role, text))
    return contexts
