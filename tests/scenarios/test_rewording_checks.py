"""A model may reword a built problem's surface, never its numbers."""

from __future__ import annotations

import pytest

from practicum.scenarios.checks import rewording_faults

ORIGINAL = "Ava used 1/2 of a cup of flour for bread and 1/3 of a cup for muffins. How many cups did she use in all?"


def test_a_faithful_rewording_passes():
    reworded = "Omar poured 1/2 of a litre of juice for lunch and 1/3 of a litre for dinner. How many litres in all?"
    assert rewording_faults(ORIGINAL, reworded) == []
    assert rewording_faults("What is -5 + 12? Ava is counting.", "What is -5 + 12? Ben is keeping score.") == []


@pytest.mark.parametrize("reworded,fault", [
    ("Omar poured 1/2 of a litre for lunch and 1/4 of a litre for dinner. How many litres in all?", "numbers changed"),
    ("Omar poured 1/2 of a litre for lunch and some more for dinner. How many litres did he pour in all?",
     "numbers changed"),
    ("Omar poured 1/2 of a litre for lunch, 1/3 for dinner and 2 more at night. How many litres in all?",
     "numbers changed"),
    ("Omar poured 1/3 of a litre for lunch and 1/2 of a litre for dinner. How many litres in all?", "numbers changed"),
    ("Omar poured 1 / 2 of a litre for lunch and 1/3 of a litre for dinner. How many litres in all?",
     "numbers changed"),
    ("Two friends poured 1/2 of a litre for lunch and 1/3 of a litre for dinner. How many litres in all?",
     "adds number words"),
    ("Omar poured 1/2 of a litre of juice for lunch and 1/3 of a litre for dinner, then he drank it all.",
     "no longer asks a question"),
    ("Sure! Here is the rewritten problem: Omar poured 1/2 of a litre and 1/3 of a litre. How much?",
     "talks about the task"),
    ("1/2 and 1/3?", "length changed"),
    ("", "empty rewording"),
])
def test_a_rewording_that_changes_drops_or_adds_a_number_is_rejected(reworded, fault):
    faults = rewording_faults(ORIGINAL, reworded)
    assert any(f.startswith(fault) for f in faults), faults


def test_negative_sign_and_decimals_are_numbers_too():
    assert rewording_faults("What is -5 + 12? Ava asks.", "What is 5 + 12? Ben asks.")[0].startswith("numbers changed")
    assert rewording_faults("It costs 2.50 dollars. How much?", "It costs 2.5 dollars. How much is it?") == []
    assert rewording_faults("It costs 2.50 dollars. How much?", "It costs 25 dollars. How much is it?")
