"""Features of a teacher turn for the move classifier: hand-made cues plus sentence embeddings.

The surface cues encode what separates MathDial's moves for a reader: telling
states a number the student has not reached yet (the answer or an intermediate
result of the worked solution) or an operation to do; probing asks the student
to explain or reason (why, how, what do you think); focus asks a narrow question
about the next step; generic greets, praises or closes. The embeddings of the
turn and of the student's previous turn carry everything the cues miss.
"""

from __future__ import annotations

import math
import re

from practicum.scenarios.answers import extract_numbers, states_answer
from practicum.evaluation.move_context import TeacherTurnContext

_WORD = re.compile(r"[a-z0-9']+")
_ARITHMETIC = re.compile(r"\d\s*(?:[-+*/x\u00d7\u00f7=]|times|plus|minus|divided by)\s*\$?\d")
_WH = ("what", "why", "how", "which", "where", "when", "who", "whose")
_AUX = ("can", "could", "do", "does", "did", "is", "are", "was", "were", "would", "will", "should", "have", "has")
_IMPERATIVES = frozenset(
    "try look remember think check read reread add multiply divide subtract calculate compute write go take use "
    "consider find work start tell explain show note see imagine let's lets let keep double count put recall "
    "notice focus pay be make give walk break figure"
    .split()
)
_PRAISE = ("good", "great", "well done", "correct", "excellent", "right", "perfect", "nice", "awesome", "brilliant",
           "fantastic", "exactly", "yes", "that's it", "spot on", "amazing", "super")
_GREETING = ("hi", "hello", "hey", "bye", "goodbye", "thanks", "thank you", "welcome", "good morning")
_NEGATION = ("not", "no", "incorrect", "wrong", "mistake", "isn't", "aren't", "careful", "actually", "don't",
             "doesn't", "error")
_PROBING_CUES = ("why", "how did", "how do", "how would", "how can", "explain", "what do you think", "walk me",
                 "tell me", "what makes", "what if", "how many", "what would", "can you show", "reason", "sure",
                 "how you", "what did you")
_TELLING_CUES = ("the answer is", "should be", "you need to", "you have to", "we need", "means", "so the",
                 "which is", "that gives", "equals", "is equal", "instead", "you should", "it is", "that's")


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _has_phrase(lowered: str, words: set[str], phrases) -> float:
    for phrase in phrases:
        if (" " in phrase or "'" in phrase) and phrase in lowered:
            return 1.0
        if phrase in words:
            return 1.0
    return 0.0


def _rounded_numbers(text: str) -> set[float]:
    return {round(v, 6) for v in extract_numbers(text)}


def surface_features(context: TeacherTurnContext) -> dict[str, float]:
    """Return the named hand-made features of one teacher turn (all numbers, no labels involved)."""
    text = context.text or ""
    lowered = text.lower()
    tokens = _tokens(text)
    words = set(tokens)
    first = tokens[0] if tokens else ""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    last_sentence = sentences[-1].lower() if sentences else ""
    last_tokens = _tokens(last_sentence)
    numbers = _rounded_numbers(text)
    student_numbers = _rounded_numbers(context.prev_student)
    facts = context.facts
    student_words = set(_tokens(context.prev_student))
    content = {w for w in words if len(w) > 3}
    student_content = {w for w in student_words if len(w) > 3}
    new_numbers = numbers - student_numbers
    answer_said = bool(facts.answer) and states_answer(text, facts.answer)
    return {
        "log_words": math.log1p(len(tokens)),
        "log_chars": math.log1p(len(text)),
        "n_sentences": min(len(sentences), 6) / 6,
        "question_mark": float("?" in text),
        "ends_with_question": float(text.rstrip().endswith("?")),
        "n_questions": min(text.count("?"), 3) / 3,
        "starts_wh": float(first in _WH),
        "starts_aux": float(first in _AUX),
        "last_sentence_wh": float(bool(last_tokens) and last_tokens[0] in _WH),
        "last_sentence_aux": float(bool(last_tokens) and last_tokens[0] in _AUX),
        "has_why": float("why" in words),
        "has_how": float("how" in words),
        "has_what": float("what" in words),
        "probing_cue": _has_phrase(lowered, words, _PROBING_CUES),
        "telling_cue": _has_phrase(lowered, words, _TELLING_CUES),
        "imperative_start": float(first in _IMPERATIVES),
        "imperative_any_sentence": float(any((_tokens(s) or [""])[0] in _IMPERATIVES for s in sentences)),
        "praise": _has_phrase(lowered, words, _PRAISE),
        "greeting": _has_phrase(lowered, words, _GREETING),
        "negation": _has_phrase(lowered, words, _NEGATION),
        "you": float("you" in words or "your" in words),
        "we_lets": float("we" in words or "let's" in words or "lets" in words or "us" in words),
        "has_number": float(bool(numbers)),
        "log_numbers": math.log1p(len(numbers)),
        "arithmetic": float(bool(_ARITHMETIC.search(lowered))),
        "states_answer": float(answer_said),
        "states_answer_first": float(answer_said and not (facts.answer and states_answer(context.prev_student,
                                                                                          facts.answer))),
        "solution_result": float(bool(numbers & facts.solution_results)),
        "new_solution_result": float(bool(new_numbers & facts.solution_results)),
        "problem_number": float(bool(numbers & facts.problem_numbers)),
        "wrong_number": float(bool(numbers & facts.incorrect_numbers)),
        "new_number": float(bool(new_numbers)),
        "echo_student_number": float(bool(numbers & student_numbers)),
        "student_overlap": len(content & student_content) / max(1, len(content)),
        "first_teacher_turn": float(context.teacher_index == 0),
        "teacher_index": min(context.teacher_index, 10) / 10,
        "no_student_yet": float(not context.prev_student),
        "student_question": float("?" in context.prev_student),
        "student_log_words": math.log1p(len(student_words)),
        "student_states_answer": float(bool(facts.answer) and states_answer(context.prev_student, facts.answer)),
        "student_has_number": float(bool(student_numbers)),
        "student_dont_know": float(any(p in context.prev_student.lower() for p in
                                       ("don't know", "not sure", "confused", "i dont", "no idea", "help"))),
    }


SURFACE_FEATURES = tuple(surface_features(TeacherTurnContext(text="")).keys())
