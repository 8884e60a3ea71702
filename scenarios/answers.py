"""Reading numbers and answers out of free text.

A session stops when the student states the scenario's answer, and the MathDial
success@k metric asks the same question of a transcript, so both go through
`states_answer`. The rules are deliberately literal: they detect that the answer
is *said*, not that it is *believed*; "is it 42?" and "it is not 42" both state 42.
"""

from __future__ import annotations

import math
import re

# One number as people type it: optional sign and dollar sign, digits with or
# without thousands separators, an optional decimal part, an optional "/den"
# making it a simple fraction, and an optional percent sign.
#  - The number may not start inside a word or another number: "142" never
#    yields 42, "x2" yields nothing, "3.5" is never read as 3 and .5.
#  - A minus sign counts only when it touches the digits and does not follow a
#    word or a closing bracket: "-5" and "(-5)" are negative, "10-5" and
#    "10 - 5" are 10 and 5.
#  - "1,200" is 1200 only with proper groups of three; "3,4" is 3 and 4.
_NUMBER = re.compile(
    r"""
    (?<![\w.])(?<!\d/)
    (?:(?<![\w)\]])(?P<sign>[-\u2212])(?=\$?[\d.]))?
    (?P<dollar>\$)?
    (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?|\.\d+)
    (?!\d|\.\d)
    (?:/(?P<den>\d+(?:\.\d+)?)(?![\d/]))?
    (?P<percent>\s?%)?
    """,
    re.VERBOSE,
)

# Words that carry no meaning of their own in a short answer phrase.
_STOPWORDS = frozenset(
    "a an the of and or to in on at by for with from is are was were be it its that this as".split()
)

_REL_TOLERANCE = 1e-9


def extract_numbers(text: str) -> list[float]:
    """Return every number written in `text`, in order, as floats."""
    return [_match_value(m) for m in _NUMBER.finditer(text or "")]


def _match_value(match: re.Match[str]) -> float:
    value = float(match.group("num").replace(",", ""))
    den = match.group("den")
    if den is not None and float(den) != 0:
        value /= float(den)
    # "3/0" is not a fraction; the numerator stands on its own and the zero is dropped.
    return -value if match.group("sign") else value


def _last_number_literal(text: str) -> re.Match[str] | None:
    matches = list(_NUMBER.finditer(text or ""))
    return matches[-1] if matches else None


def final_answer(solution_text: str) -> str:
    """Return the last number in a worked solution, as written but without '$', ',' or '%'; '' if none."""
    match = _last_number_literal(solution_text)
    if match is None:
        return ""
    literal = match.group("num").replace(",", "")
    if match.group("den") is not None:
        literal = f"{literal}/{match.group('den')}"
    return f"-{literal}" if match.group("sign") else literal


def parse_numeric_answer(answer: str) -> float | None:
    """Return the value of an answer that is exactly one number ("42", "7/12", "$1,200", "25%"), else None."""
    stripped = (answer or "").strip()
    match = _NUMBER.fullmatch(stripped)
    if match is None:
        return None
    return _match_value(match)


def _is_fraction_answer(answer: str) -> bool:
    match = _NUMBER.fullmatch((answer or "").strip())
    return bool(match and match.group("den") is not None and float(match.group("den")) != 0)


def _decimal_places(literal: str) -> int:
    return len(literal.split(".", 1)[1]) if "." in literal else 0


def _number_states(match: re.Match[str], target: float, fraction_answer: bool) -> bool:
    value = _match_value(match)
    if math.isclose(value, target, rel_tol=_REL_TOLERANCE, abs_tol=_REL_TOLERANCE):
        return True
    if not fraction_answer or match.group("den") is not None:
        return False
    places = _decimal_places(match.group("num"))
    # 7/12 = 0.58333...: "0.58", "0.583" and "0.5833" state it, rounded or
    # truncated; "0.6" (one place) is too coarse to count.
    return places >= 2 and abs(value - target) < 10.0**-places


def _tokens(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return long_ in (short + "s", short + "es") or (short.endswith("y") and long_ == short[:-1] + "ies")


def answer_key_words(answer: str) -> list[str]:
    """Return the words of a non-numeric answer that an utterance must contain (stopwords dropped)."""
    words = _tokens(answer)
    keys = [w for w in words if w not in _STOPWORDS]
    return keys or words


def states_answer(text: str, answer: str) -> bool:
    """Return True when `text` states `answer`.

    Numeric answers (the whole answer is one number: "42", "-3", "2.5", "7/12",
    "$1,200", "25%") match any number in `text` of equal value: "42.0" and
    "$42" state "42"; "142", "4.2" and "-42" do not. "$" and "%" are ignored
    on both sides, so "25" states "25%". A number written as a fraction in the
    text is compared by value, so "14/24" states "7/12" and "84/2" states "42".
    A fraction answer is also stated by a decimal of two or more places that is
    within one unit of its last place ("0.58" or "0.5833" for 7/12, "0.66" or
    "0.67" for 2/3); "0.6" is not. "7 / 12" with spaces is two numbers, and
    mixed numbers ("1 1/2") and number words ("forty-two") are not read.

    Other answers match when every key word (stopwords dropped) appears in
    `text` as a whole word, case-insensitively and in any order, allowing a
    plural "s"/"es"/"ies" on either side: "Carbon dioxide" is stated by "it
    needs CARBON DIOXIDE" and "the gases carbon and dioxide" alike, but not by
    "carbonated". Negation is not understood.
    """
    if not (answer or "").strip():
        return False
    target = parse_numeric_answer(answer)
    if target is not None:
        fraction_answer = _is_fraction_answer(answer)
        return any(_number_states(m, target, fraction_answer) for m in _NUMBER.finditer(text or ""))
    words = set(_tokens(text or ""))
    return all(any(_same_word(key, word) for word in words) for key in answer_key_words(answer))

