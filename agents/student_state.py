"""The simulated student's knowledge state: what it still believes, what it has seen, whether it may answer.

A 135M model does not follow a long profile, but it follows a short directive. So the student
carries a small state, updated from what the teacher did, and its prompt ends with one line
saying what it believes right now ("Right now you still believe ...; say your answer 4").

The state is a pure function of the scenario and the turns so far (`track`), so a session
resumed from stored turns gets the same state, and the state that shaped each student turn is
stored with it (turn metadata). Three stages:

- stuck: the profile's misconception and attempt hold until a teacher turn addresses the mistake
  (a guiding or telling move whose content names a quantity, step or result of the problem, the
  student's wrong numbers, or the misconception's words);
- partial: the student sees that its answer may be wrong and works on the step the teacher asks
  about, seeing more steps as the teacher tells them or the student computes them;
- understood: the teacher stated the answer, the student already said it, or the student was guided
  through enough of the mistake (enough addressing turns, at least one telling a step or the student
  finding the steps). Only then may the student say the answer.

A teacher turn's move comes from the caller (the move classifier, a stored label) when given, and
otherwise from the content rules below; the thresholds were set on the MathDial dev slice's
training dialogues (tests/agents/test_student_state.py pins the transitions).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Callable, Sequence

from practicum.records import MOVES, STUDENT, TEACHER
from practicum.scenarios.answers import extract_numbers, final_answer, parse_numeric_answer, states_answer

STUCK, PARTIAL, UNDERSTOOD = "stuck", "partial", "understood"
STAGES = (STUCK, PARTIAL, UNDERSTOOD)
GUIDING = ("focus", "probing")
ADDRESS_TO_UNDERSTAND = 5  # addressing teacher turns before a guided student may say the answer
MoveLabeller = Callable[[object, list], list]  # (scenario, turns) -> move per teacher turn (None: unknown)

_WORD = re.compile(r"[a-z]+")
_STOP = frozenset(
    "the and for are but not you your this that these those with from was were has have had did does can could "
    "would should will into onto about over under than then them they their there here what which when where why "
    "how much many more most less instead of student students problem answer answers number numbers".split()
)
# Operation words a misconception names, folded to one stem so "adding", "add" and "addition" meet.
_OPERATION_STEMS = {
    "addition": "add", "adding": "add", "added": "add", "adds": "add", "plus": "add", "sum": "add", "total": "add",
    "subtraction": "subtract", "subtracting": "subtract", "subtracted": "subtract", "minus": "subtract",
    "difference": "subtract", "multiplication": "multiply", "multiplying": "multiply", "multiplied": "multiply",
    "times": "multiply", "product": "multiply", "division": "divide", "dividing": "divide", "divided": "divide",
    "per": "divide", "percentage": "percent", "percent": "percent", "fraction": "fraction", "fractions": "fraction",
}
_GUIDE_CUES = re.compile(r"\b(try|look at|think about|check|remember|consider|what about|how many|how much|"
                         r"what is|what's|can you|could you|let's|lets|work out|calculate|read)\b", re.I)


def _stem(word: str) -> str:
    word = _OPERATION_STEMS.get(word, word)
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _stems(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall((text or "").lower()) if len(w) >= 3 and w not in _STOP}


def _values(text: str) -> set[float]:
    return {round(v, 6) for v in extract_numbers(text or "")}


@dataclass(frozen=True)
class Step:
    """One step of the worked solution: its sentence and the result it computes."""

    text: str
    result: float


@dataclass(frozen=True)
class StudentFacts:
    """What the state tracker reads from a scenario, computed once per scenario."""

    answer: str
    wrong_answer: str = ""  # the final answer of the student's attempt, when it differs from the answer
    misconception: str = ""
    misconception_stems: frozenset[str] = frozenset()
    steps: tuple[Step, ...] = ()  # intermediate steps of the worked solution (not the final answer)
    problem_numbers: frozenset[float] = frozenset()
    result_numbers: frozenset[float] = frozenset()  # intermediate results of the solution
    wrong_numbers: frozenset[float] = frozenset()  # numbers only the student's wrong attempt has
    problem_stems: frozenset[str] = frozenset()

    @classmethod
    def of(cls, scenario) -> StudentFacts:
        """Collect the facts of a Scenario (structured profile fields win over parsing text); cached per content."""
        profile = scenario.student_profile
        return _facts(scenario.answer, scenario.problem, scenario.solution or "", profile.incorrect_solution or "",
                      getattr(profile, "wrong_answer", "") or "",
                      (profile.misconceptions[0] if profile.misconceptions else "").strip())


@lru_cache(maxsize=512)
def _facts(answer: str, problem: str, solution: str, incorrect: str, wrong_answer: str,
           misconception: str) -> StudentFacts:
    """StudentFacts from a scenario's texts (StudentFacts.of; cached, the loop asks for them every turn)."""
    wrong = (wrong_answer or final_answer(incorrect)).strip()
    if wrong and (states_answer(wrong, answer) or wrong == answer):
        wrong = ""
    given = _values(problem)
    target = parse_numeric_answer(answer)
    steps, results = [], set()
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", solution):
        after = extract_numbers(sentence.rsplit("=", 1)[1]) if "=" in sentence else []
        if not after:
            continue
        result = round(after[0], 6)
        if target is not None and abs(result - target) < 1e-9:
            continue
        if result not in given and result not in results:
            steps.append(Step(sentence.strip(), result))
            results.add(result)
    wrong_numbers = _values(incorrect) - given - results
    if target is not None:
        wrong_numbers.discard(round(target, 6))
    return StudentFacts(
        answer=answer, wrong_answer=wrong, misconception=misconception,
        misconception_stems=frozenset(_stems(misconception)), steps=tuple(steps),
        problem_numbers=frozenset(given), result_numbers=frozenset(results),
        wrong_numbers=frozenset(wrong_numbers), problem_stems=frozenset(_stems(problem)),
    )


@dataclass(frozen=True)
class KnowledgeState:
    """Where the student stands before its next turn."""

    stage: str = STUCK
    addressed: int = 0  # teacher turns that addressed the mistake
    told: int = 0  # of which told a step or the answer
    steps_seen: tuple[int, ...] = ()  # indexes of solution steps the student has seen or computed
    reason: str = "the profile's misconception"  # why the stage is what it is

    def as_metadata(self) -> dict:
        """The state as stored with a turn (turn metadata 'knowledge')."""
        data = asdict(self)
        data["steps_seen"] = list(self.steps_seen)
        return data


def infer_move(text: str, facts: StudentFacts) -> str:
    """A teacher move from the turn's content alone: telling, focus, probing or generic."""
    numbers = _values(text)
    if states_answer(text, facts.answer) or numbers & facts.result_numbers:
        return "telling"
    question = "?" in text
    names_problem = bool(numbers & (facts.problem_numbers | facts.wrong_numbers)
                         or _stems(text) & facts.misconception_stems)
    if question and names_problem:
        return "focus"
    if _GUIDE_CUES.search(text or ""):
        return "focus" if names_problem else "probing"
    return "probing" if question and len(_WORD.findall(text.lower())) > 4 else "generic"


def addresses_mistake(text: str, facts: StudentFacts) -> bool:
    """True when a teacher turn names something the mistake is about: a quantity, a step, a wrong number, a word."""
    numbers = _values(text)
    if numbers & (facts.problem_numbers | facts.result_numbers | facts.wrong_numbers):
        return True
    if states_answer(text, facts.answer):
        return True
    return bool(_stems(text) & (facts.misconception_stems | facts.problem_stems))


def advance(state: KnowledgeState, facts: StudentFacts, role: str, text: str, move: str | None = None) -> KnowledgeState:
    """The state after one more turn (pure): a teacher turn may address the mistake; a student turn may show progress."""
    if state.stage == UNDERSTOOD:
        return state
    numbers = _values(text)
    seen = tuple(sorted(set(state.steps_seen) | {i for i, s in enumerate(facts.steps) if s.result in numbers}))
    if role == STUDENT:
        if states_answer(text, facts.answer):
            return replace(state, stage=UNDERSTOOD, steps_seen=seen, reason="you said the answer yourself")
        if len(seen) > len(state.steps_seen):
            stage = PARTIAL if state.stage == STUCK and state.addressed else state.stage
            return replace(state, stage=stage, steps_seen=seen,
                           reason="you worked out a step" if stage == PARTIAL else state.reason)
        return state
    if role != TEACHER:
        return state
    if states_answer(text, facts.answer):
        return replace(state, stage=UNDERSTOOD, addressed=state.addressed + 1, told=state.told + 1, steps_seen=seen,
                       reason="the teacher told you the answer")
    move = move if move in MOVES else infer_move(text, facts)
    if move not in GUIDING + ("telling",) or not addresses_mistake(text, facts):
        return state
    addressed, told = state.addressed + 1, state.told + (move == "telling")
    finished_steps = len(seen) >= len(facts.steps) if facts.steps else told >= 2
    if addressed >= ADDRESS_TO_UNDERSTAND and finished_steps:
        return KnowledgeState(UNDERSTOOD, addressed, told, seen, "the teacher guided you through your mistake")
    reason = "the teacher told you a step" if move == "telling" else "the teacher's questions made you doubt"
    return KnowledgeState(PARTIAL, addressed, told, seen, reason)


def teacher_moves(turns: Sequence, moves: Sequence | None = None) -> list[str | None]:
    """The move of each teacher turn: from `moves` (in teacher-turn order) when given, else None (rules decide)."""
    teacher = [t for t in turns if _role(t) == TEACHER]
    if moves is None:
        return [None] * len(teacher)
    return [m if m in MOVES else None for m in list(moves)[: len(teacher)]] + [None] * (len(teacher) - len(moves))


def track(scenario, turns: Sequence, moves: Sequence | None = None, facts: StudentFacts | None = None) -> KnowledgeState:
    """The state after `turns` (Turn objects or dicts), from the profile's misconception at the start."""
    return states_after_each(scenario, turns, moves, facts)[-1]


def states_after_each(scenario, turns: Sequence, moves: Sequence | None = None,
                      facts: StudentFacts | None = None) -> list[KnowledgeState]:
    """The initial state, then the state after each turn: len(turns) + 1 states."""
    facts = facts or StudentFacts.of(scenario)
    labels = iter(teacher_moves(turns, moves))
    states = [KnowledgeState()]
    for turn in turns:
        role = _role(turn)
        move = next(labels, None) if role == TEACHER else None
        states.append(advance(states[-1], facts, role, _text(turn), move))
    return states


def directive(state: KnowledgeState, facts: StudentFacts) -> str:
    """One short line telling the student model what it believes right now and what it may say."""
    if state.stage == UNDERSTOOD:
        return f"Right now: you have understood; you may say the answer {facts.answer}."
    if state.stage == PARTIAL:
        if state.steps_seen:
            step = facts.steps[state.steps_seen[-1]].text.rstrip(".")
            return (f"Right now: you now see that {step}; you are not yet sure of the final answer. "
                    "Answer the teacher's question about this step only.")
        doubt = f"your answer {facts.wrong_answer} may be wrong" if facts.wrong_answer else "you may have made a mistake"
        return (f"Right now: you now see that {doubt}; you are not yet sure of the final answer. "
                "Answer the teacher's question about one step only.")
    belief = f" ({facts.misconception})" if facts.misconception else ""
    say = f"; say your answer {facts.wrong_answer} and how you got it" if facts.wrong_answer else ""
    return f"Right now: you still believe your own attempt is right{belief}{say}."


def student_directive(scenario, turns: Sequence, moves: Sequence | None = None) -> tuple[str, KnowledgeState]:
    """The directive line for the student's next turn and the state it comes from."""
    facts = StudentFacts.of(scenario)
    state = track(scenario, turns, moves, facts)
    return directive(state, facts), state


def _role(turn) -> str:
    return turn["role"] if isinstance(turn, dict) else turn.role


def _text(turn) -> str:
    return (turn["text"] if isinstance(turn, dict) else turn.text) or ""


__all__ = ["KnowledgeState", "StudentFacts", "advance", "addresses_mistake", "directive", "infer_move",
           "states_after_each", "student_directive", "teacher_moves", "track"]
