"""Reading numbers and deciding whether an utterance states an answer."""

from __future__ import annotations

import pytest

from practicum.scenarios.answers import answer_key_words, extract_numbers, final_answer, parse_numeric_answer, states_answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She has 1,200 stickers", [1200.0]),
        ("It costs $1,200.50 in all", [1200.5]),
        ("12,000,000 people", [12000000.0]),
        ("3,4 and 1,20", [3.0, 4.0, 1.0, 20.0]),
        ("3/4 of the cake", [0.75]),
        ("-5 and (-3)", [-5.0, -3.0]),
        ("10-5 = 10 - 5 = 5", [10.0, 5.0, 10.0, 5.0, 5.0]),
        ("x = -$5 or −7", [-5.0, -7.0]),
        ("25% off, then 0.5 and .5", [25.0, 0.5, 0.5]),
        ("the 7th grader in room x2", [7.0]),
        ("The total is 42.", [42.0]),
        ("3/0 is undefined", [3.0]),
        ("no numbers here", []),
        ("", []),
    ],
)
def test_extract_numbers(text, expected):
    assert extract_numbers(text) == pytest.approx(expected)


def test_extract_numbers_never_splits_a_number():
    assert extract_numbers("142") == [142.0]
    assert extract_numbers("3.14") == [pytest.approx(3.14)]


@pytest.mark.parametrize(
    ("solution", "expected"),
    [
        ("12+3=15 spoons.\n15-5=10 spoons.\n 10", "10"),
        ("The desk costs $1,200.\n", "1200"),
        ("x = -3", "-3"),
        ("so each gets 3/4", "3/4"),
        ("He saves 12.50 dollars", "12.50"),
        ("no number at all", ""),
    ],
)
def test_final_answer_takes_the_last_number(solution, expected):
    assert final_answer(solution) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("42", 42.0), ("-3", -3.0), ("7/12", 7 / 12), ("$1,200", 1200.0), ("25%", 25.0), ("0 and 5", None), ("carbon dioxide", None)],
)
def test_parse_numeric_answer(answer, expected):
    assert parse_numeric_answer(answer) == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("text", "answer", "expected"),
    [
        ("So the answer is 42.", "42", True),
        ("I think it's 142", "42", False),
        ("42.0 apples", "42", True),
        ("4.2", "42", False),
        ("-42", "42", False),
        ("it is 420", "42", False),
        ("That makes 1,200 stickers", "1200", True),
        ("That makes 1200 stickers", "$1,200", True),
        ("x = -3", "-3", True),
        ("x = 3", "-3", False),
        ("7/12 of the pizza", "7/12", True),
        ("14/24 of the pizza", "7/12", True),
        ("about 0.58", "7/12", True),
        ("about 0.5833", "7/12", True),
        ("about 0.6", "7/12", False),
        ("0.66", "2/3", True),
        ("0.67", "2/3", True),
        ("0.65", "2/3", False),
        ("7 / 12", "7/12", False),
        ("It is 60 dollars", "$60", True),
        ("25 percent", "25%", True),
        ("I don't know", "42", False),
        ("", "42", False),
        ("0.75 g per cubic centimetre", "0.75", True),
        ("0.750", "0.75", True),
    ],
)
def test_states_numeric_answer(text, answer, expected):
    assert states_answer(text, answer) is expected


@pytest.mark.parametrize(
    ("text", "answer", "expected"),
    [
        ("The plant takes in CARBON DIOXIDE from the air", "carbon dioxide", True),
        ("dioxide and carbon", "carbon dioxide", True),
        ("carbonated water", "carbon dioxide", False),
        ("only carbon", "carbon dioxide", False),
        ("the alliance system", "alliances", True),
        ("the batteries", "battery", True),
        ("It will sink", "sinks", True),
        ("he is nervously waiting", "nervous", False),
        ("He feels nervous.", "nervous", True),
        ("x = 0 or x = 5", "0 and 5", True),
        ("x = 5", "0 and 5", False),
        ("x = 10 or x = 5", "0 and 5", False),
        ("They had no representation in Parliament", "representation in Parliament", True),
        ("anything", "", False),
    ],
)
def test_states_word_answer(text, answer, expected):
    assert states_answer(text, answer) is expected


def test_answer_key_words_drop_stopwords_unless_nothing_is_left():
    assert answer_key_words("the assassination of Franz Ferdinand") == ["assassination", "franz", "ferdinand"]
    assert answer_key_words("to be") == ["to", "be"]
