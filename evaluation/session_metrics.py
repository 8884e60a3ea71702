"""Per-session metrics: what the teacher did (moves, telling, questions, uptake) and how the student behaved.

Every metric is a pure function of the transcript, the scenario and the
teacher turns' moves, so the definitions can be pinned with hand-computed
fixtures. success@k and telling@k follow MathDial (Macina et al. 2023) and its
reference implementation (interactivetutoring/evaluate.py): k counts student
turns from 0, the student's first turn being round 0; success@k holds when the
student's first statement of the numeric answer is among their first k+1
turns; telling@k holds when the teacher states the answer within their first
k+1 turns and before the student first does. A teacher and a student stating
it in the same round counts as telling, since the teacher spoke first. Both
are undefined (not stored) when the scenario's answer is not a single number.
"""

from __future__ import annotations

import math
import re

from practicum.records import STUDENT, TEACHER
from practicum.scenarios.answers import extract_numbers, final_answer, parse_numeric_answer, states_answer

METRICS_VERSION = "v1"
K_VALUES = (1, 3, 5)
GUIDING_MOVES = ("focus", "probing")
GUIDANCE_MOVES = ("focus", "probing", "telling")  # any move that helps with the problem

# What each metric means, for reports and the README; higher is not always better.
METRIC_HELP = {
    "move_share.focus": "share of teacher turns predicted focus",
    "move_share.probing": "share of teacher turns predicted probing",
    "move_share.telling": "share of teacher turns predicted telling",
    "move_share.generic": "share of teacher turns predicted generic",
    "telling_rate": "share of teacher turns that tell (reveal a step or the answer)",
    "guiding_rate": "share of teacher turns that scaffold (focus or probing)",
    **{f"success@{k}": f"student states the numeric answer within student turns 0..{k} (MathDial)" for k in K_VALUES},
    **{f"telling@{k}": f"teacher states the answer within teacher turns 0..{k}, before the student (MathDial)"
       for k in K_VALUES},
    "success": "student states the numeric answer at some point",
    "telling": "teacher states the numeric answer before the student does",
    "question_rate": "share of teacher turns containing a question mark",
    "teacher_words_mean": "mean words per teacher turn",
    "teacher_word_share": "teacher words / all words",
    "uptake": "mean share of the student's content words and numbers the next teacher turn takes up",
    "student.competence_leak": "student states the answer before any guiding or telling teacher turn",
    "student.misconception_persistence": "share of the student's turns before the correct answer that repeat the "
                                         "wrong answer of their misconception",
    "student.repetitiveness": "mean, over student turns, of the highest word-bigram Jaccard overlap with an "
                              "earlier student turn",
}

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_STOPWORDS = frozenset(
    "the and for are but not you your yours she her his him they them their its it's this that these those with "
    "from was were has have had did does doing done can could would should will shall may might must what which "
    "who whom whose why how when where there here then than so very just also too into onto about over under "
    "again once some any all each both few more most other such only own same our ours we us i'm i've me my "
    "yes yeah okay ok oh um uh let let's lets get got think know see well now one".split()
)


def _role(turn) -> str:
    return turn["role"] if isinstance(turn, dict) else turn.role


def _text(turn) -> str:
    return (turn["text"] if isinstance(turn, dict) else turn.text) or ""


def _words(text: str) -> list[str]:
    return re.findall(r"\S+", text or "")


# -- MathDial success@k / telling@k ---------------------------------------------------------------


def first_statements(turns, answer: str) -> dict:
    """Where each side first states `answer`: per role, its index among that role's turns and its position."""
    found = {STUDENT: (math.inf, math.inf), TEACHER: (math.inf, math.inf)}
    counts = {STUDENT: 0, TEACHER: 0}
    for position, turn in enumerate(turns):
        role = _role(turn)
        if role not in counts:
            continue
        if found[role][0] == math.inf and states_answer(_text(turn), answer):
            found[role] = (counts[role], position)
        counts[role] += 1
    return {"student_index": found[STUDENT][0], "student_position": found[STUDENT][1],
            "teacher_index": found[TEACHER][0], "teacher_position": found[TEACHER][1]}


def success_at_k(turns, answer: str, k: float) -> bool | None:
    """MathDial success@k; None when `answer` is not a single number."""
    if parse_numeric_answer(answer) is None:
        return None
    index = first_statements(turns, answer)["student_index"]
    return index != math.inf and index <= k


def telling_at_k(turns, answer: str, k: float) -> bool | None:
    """MathDial telling@k; None when `answer` is not a single number."""
    if parse_numeric_answer(answer) is None:
        return None
    first = first_statements(turns, answer)
    teacher = first["teacher_index"]
    return teacher != math.inf and teacher <= k and first["teacher_position"] < first["student_position"]


# -- teacher behaviour ----------------------------------------------------------------------------


def move_shares(moves: list[str]) -> dict[str, float]:
    """Share of each move among the teacher turns' moves."""
    n = len(moves)
    return {move: (moves.count(move) / n if n else 0.0) for move in ("focus", "probing", "telling", "generic")}


def question_rate(turns) -> float | None:
    """Share of teacher turns with a question mark; None without teacher turns."""
    teacher = [_text(t) for t in turns if _role(t) == TEACHER]
    return sum("?" in t for t in teacher) / len(teacher) if teacher else None


def teacher_words_mean(turns) -> float | None:
    """Mean number of words per teacher turn; None without teacher turns."""
    teacher = [len(_words(_text(t))) for t in turns if _role(t) == TEACHER]
    return sum(teacher) / len(teacher) if teacher else None


def teacher_word_share(turns) -> float | None:
    """Teacher words over all words; None for an empty transcript."""
    teacher = sum(len(_words(_text(t))) for t in turns if _role(t) == TEACHER)
    total = sum(len(_words(_text(t))) for t in turns)
    return teacher / total if total else None


def content_units(text: str) -> set[str]:
    """Content words (lower-case, 3+ letters, not stopwords) and numbers (by value) of a text."""
    words = {w for w in _WORD.findall((text or "").lower()) if len(w) >= 3 and w not in _STOPWORDS}
    numbers = {f"#{round(v, 6):g}" for v in extract_numbers(text or "")}
    return words | numbers


def uptake_scores(turns) -> list[float]:
    """For each teacher turn that answers a student turn: the share of that student turn's content it takes up.

    Our reading of uptake (Demszky et al. 2021: the teacher builds on what the student said) as lexical
    take-up, which those authors show tracks their learned uptake measure: content words and numbers of the
    student's turn that reappear in the teacher's reply. A student turn without content is skipped.
    """
    scores = []
    for prev, turn in zip(turns, turns[1:]):
        if _role(prev) == STUDENT and _role(turn) == TEACHER:
            student = content_units(_text(prev))
            if student:
                scores.append(len(student & content_units(_text(turn))) / len(student))
    return scores


# -- student fidelity -----------------------------------------------------------------------------


def competence_leak(turns, answer: str, moves: list[str]) -> bool:
    """True when the student states the answer before any teacher turn predicted focus, probing or telling.

    `moves` are the teacher turns' moves in order.
    """
    teacher_seen = 0
    for turn in turns:
        if _role(turn) == TEACHER:
            if teacher_seen < len(moves) and moves[teacher_seen] in GUIDANCE_MOVES:
                return False
            teacher_seen += 1
        elif _role(turn) == STUDENT and states_answer(_text(turn), answer):
            return True
    return False


def misconception_persistence(turns, answer: str, incorrect_solution: str) -> float | None:
    """Share of the student's turns before their first correct answer that state their misconception's answer.

    None when the misconception has no final number distinct from the answer, or the student's very first
    turn is already correct (nothing to persist).
    """
    wrong = final_answer(incorrect_solution or "")
    if not wrong or states_answer(wrong, answer):
        return None
    before = []
    for turn in turns:
        if _role(turn) != STUDENT:
            continue
        if states_answer(_text(turn), answer):
            break
        before.append(_text(turn))
    if not before:
        return None
    return sum(states_answer(text, wrong) for text in before) / len(before)


def _bigrams(text: str) -> set[tuple[str, str]]:
    tokens = re.findall(r"[a-z0-9]+", (text or "").lower())
    return set(zip(tokens, tokens[1:])) or {(t, "") for t in tokens}


def repetitiveness(turns, role: str = STUDENT) -> float | None:
    """Mean over a role's turns (from its second) of the highest bigram Jaccard overlap with its earlier turns."""
    texts = [_bigrams(_text(t)) for t in turns if _role(t) == role]
    if len(texts) < 2:
        return None
    scores = []
    for i in range(1, len(texts)):
        best = 0.0
        for earlier in texts[:i]:
            union = texts[i] | earlier
            if union:
                best = max(best, len(texts[i] & earlier) / len(union))
        scores.append(best)
    return sum(scores) / len(scores)


# -- everything for one session -------------------------------------------------------------------


def session_metric_values(turns, scenario, moves: list[str] | None) -> dict[str, tuple[float, dict]]:
    """All defined metrics of one transcript as {name: (value, detail)}; undefined ones are left out.

    `moves` are the teacher turns' moves in order (predicted by the classifier); without them the
    move-based metrics are left out.
    """
    values: dict[str, tuple[float, dict]] = {}
    n_teacher = sum(1 for t in turns if _role(t) == TEACHER)

    def put(name, value, **detail):
        if value is not None:
            values[name] = (float(value), detail)

    if moves is not None and n_teacher:
        if len(moves) != n_teacher:
            raise ValueError(f"{len(moves)} moves for {n_teacher} teacher turns")
        shares = move_shares(moves)
        for move, share in shares.items():
            put(f"move_share.{move}", share, n_teacher_turns=n_teacher)
        put("telling_rate", shares["telling"], n_teacher_turns=n_teacher)
        put("guiding_rate", shares["focus"] + shares["probing"], n_teacher_turns=n_teacher)
        put("student.competence_leak", competence_leak(turns, scenario.answer, moves))
    if parse_numeric_answer(scenario.answer) is not None:
        first = {k: (v if v != math.inf else None) for k, v in first_statements(turns, scenario.answer).items()}
        for k in K_VALUES:
            put(f"success@{k}", success_at_k(turns, scenario.answer, k), **first)
            put(f"telling@{k}", telling_at_k(turns, scenario.answer, k), **first)
        put("success", success_at_k(turns, scenario.answer, math.inf), **first)
        put("telling", telling_at_k(turns, scenario.answer, math.inf), **first)
    put("question_rate", question_rate(turns))
    put("teacher_words_mean", teacher_words_mean(turns))
    put("teacher_word_share", teacher_word_share(turns))
    uptake = uptake_scores(turns)
    if uptake:
        put("uptake", sum(uptake) / len(uptake), n_pairs=len(uptake))
    put("student.misconception_persistence",
        misconception_persistence(turns, scenario.answer, scenario.student_profile.incorrect_solution))
    put("student.repetitiveness", repetitiveness(turns, STUDENT))
    return values
