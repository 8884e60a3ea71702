"""What the pedagogical judge reads about one tutor response, besides the encoder: a few cheap cues.

The encoder reads the dialogue and the response as text; it cannot compare
numbers with a ground-truth answer it never sees, so the cues carry that
(does the response state the answer, numbers new to the dialogue, numbers taken
from the student's last turn) plus the response's form (questions, praise,
pointing at an error). The same function serves MRBench examples and stored
practicum sessions, so training and use see identical inputs.
"""

from __future__ import annotations

import math
import re

from practicum.scenarios.answers import extract_numbers, states_answer

_WORD = re.compile(r"[a-z0-9']+")
_PRAISE = ("great", "good", "well done", "excellent", "correct", "right", "perfect", "nice", "awesome", "exactly",
           "fantastic", "brilliant", "that's it", "yes")
_ERROR = ("not quite", "mistake", "incorrect", "error", "wrong", "actually", "careful", "check", "recheck",
          "double-check", "look again", "almost", "close", "however", "but", "oops", "not correct", "isn't",
          "let's look", "take another look", "re-read", "reconsider")
_ANSWER_PHRASE = re.compile(r"\b(?:the (?:correct |final |right )?answer (?:is|would be|should be)|"
                            r"(?:so|which) (?:gives|makes|equals|is)|total (?:is|of)|=\s*\$?-?\d)", re.IGNORECASE)
_IMPERATIVES = frozenset("try look remember think check read add multiply divide subtract calculate compute write "
                         "go take use consider find work start tell explain show note see imagine let's let keep "
                         "count recall notice focus make give break figure".split())


def render_history(turns) -> str:
    """The dialogue as `Tutor: ...` / `Student: ...` lines: what the encoder reads before the response."""
    lines = []
    for turn in turns:
        role, text = (turn["role"], turn["text"]) if isinstance(turn, dict) else \
            (turn.role, turn.text) if hasattr(turn, "role") else turn
        name = "Student" if role == "student" else "Tutor"
        lines.append(f"{name}: {' '.join((text or '').split())}")
    return "\n".join(lines)


def _has(lowered: str, words: set[str], phrases) -> float:
    return float(any((p in lowered) if (" " in p or "'" in p or "-" in p) else (p in words) for p in phrases))


def _numbers(text: str) -> set[float]:
    return {round(v, 6) for v in extract_numbers(text)}


def judge_features(turns, response: str, answer: str = "") -> dict[str, float]:
    """The named cues of one response to a dialogue (`turns`: (role, text) pairs or Turn objects)."""
    pairs = [(t["role"], t["text"]) if isinstance(t, dict) else (t.role, t.text) if hasattr(t, "role") else t
             for t in turns]
    student = [text for role, text in pairs if role == "student"]
    last_student = student[-1] if student else ""
    history_numbers = set().union(*(_numbers(text) for _, text in pairs)) if pairs else set()
    text = response or ""
    lowered = text.lower()
    tokens = _WORD.findall(lowered)
    words = set(tokens)
    first_words = " ".join(tokens[:4])
    numbers = _numbers(text)
    content = {w for w in words if len(w) > 3}
    student_content = {w for w in _WORD.findall(last_student.lower()) if len(w) > 3}
    known = bool(answer)
    return {
        "answer_known": float(known),
        "states_answer": float(known and states_answer(text, answer)),
        "student_states_answer": float(known and states_answer(last_student, answer)),
        "answer_phrase": float(bool(_ANSWER_PHRASE.search(text))),
        "question_marks": min(text.count("?"), 3) / 3,
        "ends_with_question": float(text.rstrip().endswith("?")),
        "log_words": math.log1p(len(tokens)),
        "new_numbers": math.log1p(len(numbers - history_numbers)),
        "echo_student_number": float(bool(numbers & _numbers(last_student))),
        "praise_start": _has(first_words, set(tokens[:4]), _PRAISE),
        "error_cue": _has(lowered, words, _ERROR),
        "imperative": float(bool(tokens) and tokens[0] in _IMPERATIVES),
        "student_overlap": len(content & student_content) / max(1, len(content)),
    }


JUDGE_FEATURES = tuple(judge_features([], "").keys())


def feature_rows(items) -> list[list[float]]:
    """Rows of cues in JUDGE_FEATURES order for (turns, response, answer) triples."""
    return [[row[name] for name in JUDGE_FEATURES] for row in (judge_features(*item) for item in items)]
