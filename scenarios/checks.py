"""What makes a scenario usable, and what makes a rewording of its problem safe.

Built and model-written scenarios pass the same `scenario_faults`; a model's rewording of a built
problem passes `rewording_faults`, which refuses any change to the numbers: the answer and the wrong
attempt were computed from them.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from practicum.scenarios.answers import extract_numbers, parse_numeric_answer, states_answer
from practicum.scenarios.model import Scenario

MATH_SUBJECTS = ("math", "mathematics", "maths")
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "dozen half halves twice double triple quarter quarters third thirds".split()
)
# Chat-model habits that mean the reply is not a reworded problem.
_NOT_A_PROBLEM = re.compile(
    r"\b(rewrit|reword|here is|here's|sure[,!]|certainly|original problem|new problem|as an ai|i hope|"
    r"let me know|answer:|solution:)", re.IGNORECASE)


def is_math(subject: str) -> bool:
    """True for the subject names that mean mathematics."""
    return subject.strip().lower() in MATH_SUBJECTS


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def scenario_faults(scenario: Scenario) -> list[str]:
    """Return what is wrong with a scenario for tutoring (empty when usable)."""
    faults = []
    profile = scenario.student_profile
    if len(scenario.problem.split()) < 6:
        faults.append("problem is shorter than 6 words")
    if not profile.misconceptions:
        faults.append("the student profile names no misconception")
    if not profile.incorrect_solution.strip():
        faults.append("the student profile has no incorrect attempt")
    if is_math(scenario.subject):
        faults.extend(_math_faults(scenario))
    else:
        if len(scenario.answer) > 60:
            faults.append("answer is longer than 60 characters")
        if profile.incorrect_solution and states_answer(profile.incorrect_solution, scenario.answer):
            faults.append("the incorrect attempt states the correct answer")
    return faults


def _math_faults(scenario: Scenario) -> list[str]:
    faults = []
    answer = parse_numeric_answer(scenario.answer)
    if answer is None:
        return ["a math answer must be a single number (e.g. 24, -3, 5/6, 0.75)"]
    attempt = scenario.student_profile.incorrect_solution
    numbers = extract_numbers(attempt)
    if attempt.strip() and not numbers:
        return ["the incorrect attempt has no final number"]
    if numbers and _close(numbers[-1], answer):
        faults.append(f"the incorrect attempt ends at the correct answer {scenario.answer}")
    wrong = scenario.student_profile.wrong_answer
    if wrong and numbers:
        wrong_value = parse_numeric_answer(wrong)
        if wrong_value is None or not _close(wrong_value, numbers[-1]):
            faults.append(f"wrong_answer {wrong!r} is not the attempt's final number")
    return faults


def rewording_faults(original: str, reworded: str) -> list[str]:
    """Return why `reworded` may not replace `original` (empty when it may).

    The numbers must be exactly the same values in the same order; no number word may appear that
    the original does not have; a question must stay a question; the length may change by at most
    half; and the text must not be chat talk about rewriting.
    """
    faults = []
    text = reworded.strip()
    if not text:
        return ["empty rewording"]
    before, after = extract_numbers(original), extract_numbers(text)
    if len(before) != len(after) or not all(_close(a, b) for a, b in zip(before, after)):
        faults.append(f"numbers changed: {_show(before)} -> {_show(after)}")
    added = _number_words(text) - _number_words(original)
    if added:
        faults.append(f"adds number words: {', '.join(sorted(added))}")
    if "?" in original and "?" not in text:
        faults.append("no longer asks a question")
    ratio = len(text.split()) / max(1, len(original.split()))
    if not 0.5 <= ratio <= 1.5:
        faults.append(f"length changed {ratio:.1f}x")
    if _NOT_A_PROBLEM.search(text):
        faults.append("talks about the task instead of rewording it")
    return faults


def _number_words(text: str) -> set[str]:
    counts = Counter(re.findall(r"[a-z]+", text.lower()))
    return {word for word in counts if word in NUMBER_WORDS}


def _show(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"
