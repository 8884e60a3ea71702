"""Negative-number families (grades 6-8): subtracting a negative, adding signed numbers, temperature drops, products."""

from __future__ import annotations

from practicum.scenarios.problems.base import Family, Misconception, work

_INTEGER_STUDIES = "Vlassis 2004; Bofferding 2014, children's ideas about negative numbers"

MISCONCEPTIONS = [
    Misconception("minus-negative-is-minus", "math", (6, 8), "negative numbers",
                  "Treats subtracting a negative number as subtracting its size.",
                  "Believes 5 - (-3) is 5 - 3, because subtracting always makes a number smaller.", _INTEGER_STUDIES),
    Misconception("drop-negative-sign", "math", (6, 10), "negative numbers",
                  "Ignores the negative signs and works with the sizes of the numbers only.",
                  "Works with the numbers as if the minus signs were not there.", _INTEGER_STUDIES),
    Misconception("always-positive-difference", "math", (6, 8), "negative numbers",
                  "Subtracts the smaller size from the larger and always gives a positive result.",
                  "Believes an answer is the difference of the two sizes, which is never negative.", _INTEGER_STUDIES),
    Misconception("two-negatives-make-a-negative", "math", (7, 9), "negative numbers",
                  "Thinks a negative times a negative is negative, because both numbers are negative.",
                  "Believes multiplying two negative numbers gives a negative number."),
]


def _sample_minus(rng) -> dict:
    return {"a": rng.randint(1, 15), "b": rng.randint(2, 15)}


SUBTRACT_NEGATIVE = Family(
    name="subtracting-a-negative", topic="negative numbers", grades=(6, 7), title="Subtracting a negative number",
    objective="Help the student see that subtracting a negative number is the same as adding its opposite.",
    knows="Places negative numbers on a number line and adds a positive number to a negative one.",
    sample=_sample_minus,
    solve=lambda p: work(p["a"] + p["b"], f"Subtracting -{p['b']} is the same as adding {p['b']}.",
                         f"{p['a']} + {p['b']} = {p['a'] + p['b']}."),
    stories=(
        "At noon the temperature in {place} was {a} °C, and at midnight it was -{b} °C. How many degrees warmer was "
        "it at noon than at midnight? {name} writes {a} - (-{b}).",
        "What is {a} - (-{b})? {name} is checking {his} homework on integers.",
    ),
    contexts=({"place": "the mountains"}, {"place": "a northern town"}, {"place": "the desert"}),
    rules={"minus-negative-is-minus": lambda p: work(
        p["a"] - p["b"], f"{p['a']} - (-{p['b']}) means take {p['b']} away from {p['a']}.",
        f"{p['a']} - {p['b']} = {p['a'] - p['b']}.")},
    keywords="integers subtract negative minus",
)


def _sample_add(rng) -> dict:
    a, b = rng.sample(range(2, 20), 2)
    return {"a": a, "b": b}


def _positive_difference(p: dict):
    return work(abs(p["b"] - p["a"]), f"The sizes are {p['a']} and {p['b']}.",
                f"{max(p['a'], p['b'])} - {min(p['a'], p['b'])} = {abs(p['b'] - p['a'])}.")


ADD_SIGNED = Family(
    name="adding-signed-numbers", topic="negative numbers", grades=(6, 7), title="Adding a positive and a negative number",
    objective="Help the student use a number line (or debts and credits) to add numbers with different signs.",
    knows="Places negative numbers on a number line and knows the opposite of a number.",
    sample=_sample_add,
    solve=lambda p: work(p["b"] - p["a"], f"Start at -{p['a']} on the number line and move {p['b']} to the right.",
                         f"-{p['a']} + {p['b']} = {p['b'] - p['a']}."),
    stories=(
        "{name} owes {his} sister {a} dollars, so {his} balance is -{a}. Then {he} earns {b} dollars. "
        "What is {his} balance now, in dollars?",
        "What is -{a} + {b}? {name} is playing a game where points can go below zero.",
        "A submarine is at -{a} metres and rises {b} metres. At what height is it now? {name} is tracking it "
        "on a chart.",
    ),
    rules={
        "drop-negative-sign": lambda p: work(p["a"] + p["b"], f"{p['a']} + {p['b']} = {p['a'] + p['b']}."),
        "always-positive-difference": _positive_difference,
    },
    keywords="integers add negative number line",
)


def _sample_drop(rng) -> dict:
    a = rng.randint(2, 12)
    return {"a": a, "b": a + rng.randint(2, 15)}


TEMPERATURE = Family(
    name="temperature-drop", topic="negative numbers", grades=(6, 7), title="A temperature that drops below zero",
    objective="Help the student count down past zero and give the new temperature with its sign.",
    knows="Reads thermometers and knows temperatures below zero are negative.",
    sample=_sample_drop,
    solve=lambda p: work(p["a"] - p["b"], f"{p['a']} - {p['b']}: {p['a']} degrees takes us to 0,",
                         f"then {p['b'] - p['a']} more below zero: {p['a'] - p['b']}."),
    stories=(
        "In the evening the temperature was {a} °C. Overnight it dropped {b} degrees. What was the temperature in "
        "the morning? {name} wants to know whether to wear gloves.",
        "The temperature in {place} is {a} °C and will fall by {b} degrees tonight. What will the temperature be?",
    ),
    contexts=({"place": "the valley"}, {"place": "the city"}, {"place": "the campsite"}),
    rules={"always-positive-difference": lambda p: work(
        p["b"] - p["a"], f"It went from {p['a']} down by {p['b']}.", f"{p['b']} - {p['a']} = {p['b'] - p['a']}.")},
    keywords="integers temperature below zero negative",
)


def _sample_product(rng) -> dict:
    return {"a": rng.randint(2, 12), "b": rng.randint(2, 12)}


PRODUCT = Family(
    name="multiplying-negatives", topic="negative numbers", grades=(7, 8), title="Multiplying two negative numbers",
    objective="Help the student see why a negative times a negative is positive (patterns or repeated removal of debt).",
    knows="Multiplies a negative number by a positive one correctly.",
    sample=_sample_product,
    solve=lambda p: work(p["a"] * p["b"], "A negative times a negative is positive.",
                         f"(-{p['a']}) × (-{p['b']}) = {p['a'] * p['b']}."),
    stories=(
        "What is (-{a}) × (-{b})? {name} says two negatives should make something even more negative.",
        "{name} is finding the product of -{a} and -{b} for a number pattern. What is (-{a}) × (-{b})?",
    ),
    rules={"two-negatives-make-a-negative": lambda p: work(
        -p["a"] * p["b"], f"{p['a']} × {p['b']} = {p['a'] * p['b']}.", "Both numbers are negative, so the answer "
        f"is negative: -{p['a'] * p['b']}.")},
    keywords="integers multiply negative product sign rules",
)

FAMILIES = [SUBTRACT_NEGATIVE, ADD_SIGNED, TEMPERATURE, PRODUCT]
