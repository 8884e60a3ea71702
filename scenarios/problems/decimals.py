"""Decimal families (grades 4-6): comparing, adding, multiplying, powers of ten, decimal hours."""

from __future__ import annotations

from decimal import Decimal

from practicum.scenarios.problems.base import Family, Misconception, show, work

_DECIMAL_STUDIES = "Resnick et al. 1989, conceptual bases of decimal fractions; Steinle & Stacey 2004"

MISCONCEPTIONS = [
    Misconception("longer-is-larger", "math", (4, 7), "decimals",
                  "Thinks the decimal with more digits after the point is larger, as with whole numbers.",
                  "Believes 0.45 is bigger than 0.5 because 45 is bigger than 5.", _DECIMAL_STUDIES),
    Misconception("shorter-is-larger", "math", (4, 7), "decimals",
                  "Thinks the decimal with fewer digits after the point is larger, because hundredths are small.",
                  "Believes a decimal with more places is smaller, because hundredths are tinier than tenths.",
                  _DECIMAL_STUDIES),
    Misconception("line-up-right-digits", "math", (4, 6), "decimals",
                  "Lines up the last digits instead of the decimal points when adding decimals.",
                  "Adds decimals like whole numbers, right-aligned, and puts the point back at the end."),
    Misconception("point-as-in-addition", "math", (5, 7), "decimals",
                  "Keeps one decimal place in a product of tenths, placing the point as in addition.",
                  "Believes 0.3 × 0.2 = 0.6, lining the point up the way you would to add."),
    Misconception("append-a-zero", "math", (4, 6), "decimals",
                  "Multiplies a decimal by 10 by writing a zero on the end.",
                  "Believes multiplying by ten always means putting a zero on the end of the number."),
    Misconception("decimal-hours-as-minutes", "math", (4, 7), "measurement",
                  "Reads the digits after the point in hours as minutes (3.5 hours as 3 hours 50 minutes).",
                  "Treats the decimal part of an hour as a number of minutes."),
]


def _tenths(rng, low: int = 1, high: int = 9) -> Decimal:
    while True:  # a tenths digit that is not zero, so the number really has one decimal place
        value = rng.randint(low, high)
        if value % 10:
            return Decimal(value) / 10


def _hundredths(rng, low: int = 11, high: int = 99) -> Decimal:
    while True:
        value = rng.randint(low, high)
        if value % 10:
            return Decimal(value) / 100


def _sample_compare(rng) -> dict:
    pair = [_tenths(rng), _hundredths(rng)]
    rng.shuffle(pair)
    return {"x": pair[0], "y": pair[1]}


def _places(value: Decimal) -> int:
    return -value.as_tuple().exponent


def _pick(p: dict, longer: bool) -> Decimal:
    return max((p["x"], p["y"]), key=lambda v: _places(v) if longer else -_places(v))


COMPARE = Family(
    name="comparing-decimals", topic="decimals", grades=(4, 5), title="Comparing decimals of different lengths",
    objective="Help the student compare decimals by place value, tenths first.",
    knows="Reads decimals to hundredths and knows money amounts.",
    sample=_sample_compare,
    solve=lambda p: work(max(p["x"], p["y"]), "Compare tenths first, then hundredths.",
                         f"Written with two places: {p['x']:.2f} and {p['y']:.2f}.",
                         f"{max(p['x'], p['y']):.2f} is greater."),
    stories=(
        "{name} ran a race in {x} minutes and {friend} ran it in {y} minutes. Which number is greater, {x} or {y}?",
        "Which is greater, {x} or {y}? {name} is ordering the {things} for a class chart.",
        "A {thing1} weighs {x} kg and a {thing2} weighs {y} kg. {name} wants to know which weight is greater. "
        "Which number is greater, {x} or {y}?",
    ),
    contexts=({"friend": "Tomas", "things": "measurements", "thing1": "pear", "thing2": "apple"},
              {"friend": "Lucia", "things": "times", "thing1": "book", "thing2": "notebook"},
              {"friend": "Jun", "things": "lengths", "thing1": "shell", "thing2": "stone"}),
    rules={
        "longer-is-larger": lambda p: work(_pick(p, True), f"{_pick(p, True)} has more digits after the point.",
                                           f"{show(_pick(p, True)).split('.')[1]} is bigger than "
                                           f"{show(_pick(p, False)).split('.')[1]}."),
        "shorter-is-larger": lambda p: work(_pick(p, False), f"{_pick(p, True)} goes to hundredths, and hundredths "
                                            "are tiny.", f"{_pick(p, False)} only has tenths, which are bigger."),
    },
    keywords="compare greater order place value",
)


def _sample_add(rng) -> dict:
    return {"x": _tenths(rng, 11, 89), "y": _hundredths(rng, 101, 899)}


def _right_aligned(p: dict):
    xi, yi = int(p["x"] * 10), int(p["y"] * 100)
    total = Decimal(xi + yi) / 100
    return work(total, f"Line up the digits on the right: {xi} + {yi} = {xi + yi}.",
                f"There are two decimal places, so {xi + yi} becomes {total:.2f}.")


ADD = Family(
    name="adding-decimals", topic="decimals", grades=(4, 6), title="Adding decimals with different numbers of places",
    objective="Help the student line up the decimal points (place values) before adding.",
    knows="Adds whole numbers with regrouping and reads decimals to hundredths.",
    sample=_sample_add,
    solve=lambda p: work(p["x"] + p["y"], f"Line up the points: {p['x']:.2f} + {p['y']:.2f}.",
                         f"{p['x']:.2f} + {p['y']:.2f} = {p['x'] + p['y']:.2f}."),
    stories=(
        "{name} bought a {thing1} for {x} dollars and a {thing2} for {y} dollars. How many dollars did {he} spend?",
        "{name} poured {x} litres of water into a tank and then {y} litres more. How many litres did {he} pour?",
        "What is {x} + {y}? {name} is adding up the {things} for a science project.",
    ),
    contexts=({"thing1": "notebook", "thing2": "pen set", "things": "measurements"},
              {"thing1": "sandwich", "thing2": "drink", "things": "masses"},
              {"thing1": "comic", "thing2": "poster", "things": "lengths"}),
    rules={"line-up-right-digits": _right_aligned},
    keywords="add sum decimal point",
)


def _sample_multiply(rng) -> dict:
    return {"x": _tenths(rng, 2, 39), "y": _tenths(rng, 2, 9)}


MULTIPLY = Family(
    name="multiplying-decimals", topic="decimals", grades=(5, 6), title="Multiplying decimals",
    objective="Help the student place the decimal point in a product by counting decimal places or estimating.",
    knows="Multiplies whole numbers fluently and knows 0.1 is one tenth.",
    sample=_sample_multiply,
    solve=lambda p: work(p["x"] * p["y"], f"{int(p['x'] * 10)} × {int(p['y'] * 10)} = "
                         f"{int(p['x'] * 10) * int(p['y'] * 10)}.",
                         "Tenths times tenths are hundredths, so the product has two decimal places.",
                         f"{p['x'] * p['y']:.2f}."),
    stories=(
        "A strip of ribbon is {x} metres long. {name} uses {y} of it. What length is that, in metres? "
        "(Work out {x} × {y}.)",
        "What is {x} × {y}? {name} multiplied and is not sure where the decimal point goes.",
        "A garden bed is {x} m long and {y} m wide. What is its area in square metres?",
    ),
    rules={"point-as-in-addition": lambda p: work(
        Decimal(int(p["x"] * 10) * int(p["y"] * 10)) / 10,
        f"{int(p['x'] * 10)} × {int(p['y'] * 10)} = {int(p['x'] * 10) * int(p['y'] * 10)}.",
        "The numbers have one decimal place, so the answer has one decimal place.")},
    keywords="multiply product decimal point",
)


def _sample_power(rng) -> dict:
    return {"x": _hundredths(rng, 101, 999), "ten": rng.choice((10, 100))}


POWER = Family(
    name="decimal-times-ten", topic="decimals", grades=(5, 6), title="Multiplying a decimal by 10 or 100",
    objective="Help the student see that multiplying by 10 moves every digit one place to the left.",
    knows="Multiplies whole numbers by 10 and 100 by adding zeros.",
    sample=_sample_power,
    solve=lambda p: work(p["x"] * p["ten"], f"× {p['ten']} moves each digit {1 if p['ten'] == 10 else 2} "
                         "place(s) to the left.", f"{p['x']} × {p['ten']} = {show(p['x'] * p['ten'])}."),
    stories=(
        "One {item} costs {x} dollars. How many dollars do {ten} of them cost? {name} needs the total.",
        "What is {x} × {ten}? {name} is converting {unit}.",
    ),
    contexts=({"item": "pencil", "unit": "metres to decimetres"}, {"item": "sticker", "unit": "prices"},
              {"item": "stamp", "unit": "lengths"}),
    rules={"append-a-zero": lambda p: work(
        p["x"], f"To multiply by {p['ten']}, write {'a zero' if p['ten'] == 10 else 'two zeros'} on the end.",
        f"{p['x']} becomes {p['x']}{'0' * (1 if p['ten'] == 10 else 2)}.")},
    keywords="multiply powers of ten place value",
)


def _sample_hours(rng) -> dict:
    h, part = rng.randint(1, 6), rng.choice((Decimal("0.5"), Decimal("0.25"), Decimal("0.75")))
    return {"h": h, "part": part, "hours": show(h + part)}


def _hours(p: dict) -> Decimal:
    return p["h"] + p["part"]


def _as_minutes(p: dict) -> int:
    """The digits after the point read as minutes, the way the misconception reads them: .5 -> 50."""
    return int(show(p["part"]).split(".")[1].ljust(2, "0"))


HOURS = Family(
    name="decimal-hours", topic="measurement", grades=(5, 6), title="Decimal hours as minutes",
    objective="Help the student see that a decimal part of an hour is a fraction of 60 minutes.",
    knows="Knows there are 60 minutes in an hour and reads decimals.",
    sample=_sample_hours,
    solve=lambda p: work(int(_hours(p) * 60), f"{show(p['part'])} of an hour is {show(p['part'])} × 60 = "
                         f"{int(p['part'] * 60)} minutes.", f"{p['h']} hours is {p['h'] * 60} minutes.",
                         f"{p['h'] * 60} + {int(p['part'] * 60)} = {int(_hours(p) * 60)} minutes."),
    stories=(
        "{name}'s {trip} took {hours} hours. How many minutes is that?",
        "A movie is {hours} hours long. {name} wants to know its length in minutes. How many minutes is it?",
    ),
    contexts=({"trip": "train ride"}, {"trip": "hike"}, {"trip": "bike ride"}),
    rules={"decimal-hours-as-minutes": lambda p: work(
        p["h"] * 60 + _as_minutes(p), f"{show(_hours(p))} hours is {p['h']} hours and {_as_minutes(p)} minutes.",
        f"{p['h']} × 60 = {p['h'] * 60}, plus {_as_minutes(p)} is {p['h'] * 60 + _as_minutes(p)} minutes.")},
    keywords="time hours minutes convert units",
)

FAMILIES = [COMPARE, ADD, MULTIPLY, POWER, HOURS]
