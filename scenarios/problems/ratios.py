"""Ratio and rate families (grades 6-8): sharing in a ratio, scaling a recipe, unit price, travel time."""

from __future__ import annotations

from fractions import Fraction
from math import gcd

from practicum.scenarios.problems.base import Family, Misconception, dec, show, work

MISCONCEPTIONS = [
    Misconception("part-to-part-as-part-to-whole", "math", (6, 8), "ratio and proportion",
                  "Reads a part-to-part ratio a:b as the fraction a/b of the whole.",
                  "Believes that sharing in the ratio 2:3 means the first person gets 2/3 of the total."),
    Misconception("divide-the-wrong-way", "math", (5, 8), "ratio and proportion",
                  "Divides the smaller number by the larger, or whichever comes first, whatever the question asks.",
                  "Believes division always puts the bigger number on top, or the first number mentioned.",
                  "Bell, Fischbein & Greer 1984, choice of operation in word problems"),
]


def _sample_share(rng) -> dict:
    while True:
        a, b = rng.randint(1, 5), rng.randint(2, 7)
        if a != b and gcd(a, b) == 1:
            return {"a": a, "b": b, "total": (a + b) * b * rng.randint(1, 6)}


SHARE = Family(
    name="share-in-a-ratio", topic="ratio and proportion", grades=(6, 8), title="Sharing an amount in a ratio",
    objective="Help the student see a:b as a + b equal parts of the whole and find the value of one part.",
    knows="Simplifies ratios and finds fractions of amounts.",
    sample=_sample_share,
    solve=lambda p: work(p["total"] * p["a"] // (p["a"] + p["b"]),
                         f"The ratio {p['a']}:{p['b']} has {p['a']} + {p['b']} = {p['a'] + p['b']} parts.",
                         f"One part: {p['total']} ÷ {p['a'] + p['b']} = {p['total'] // (p['a'] + p['b'])}.",
                         f"{p['a']} parts: {p['a']} × {p['total'] // (p['a'] + p['b'])} = "
                         f"{p['total'] * p['a'] // (p['a'] + p['b'])}."),
    stories=(
        "{name} and {friend} share {total} {things} in the ratio {a}:{b}. How many {things} does {name} get?",
        "A club has {total} members, and the ratio of {group1} to {group2} is {a}:{b}. How many {group1} are in "
        "the club? {name} is making the badges.",
    ),
    contexts=({"friend": "a cousin", "things": "stickers", "group1": "juniors", "group2": "seniors"},
              {"friend": "a sister", "things": "dollars", "group1": "boys", "group2": "girls"},
              {"friend": "a neighbour", "things": "marbles", "group1": "beginners", "group2": "experts"}),
    rules={"part-to-part-as-part-to-whole": lambda p: work(
        Fraction(p["total"] * p["a"], p["b"]),  # an integer: the total is a multiple of b
        f"The ratio {p['a']}:{p['b']} means {p['a']}/{p['b']} of the total.",
        f"{p['a']}/{p['b']} × {p['total']} = {show(Fraction(p['total'] * p['a'], p['b']))}.")},
    keywords="ratio share divide proportion",
)


def _sample_recipe(rng) -> dict:
    while True:
        people, qty = rng.choice((2, 3, 4, 5, 6)), rng.randint(2, 9)
        more = rng.choice([people * 2, people * 3] + ([people * 3 // 2] if people % 2 == 0 else []))
        if Fraction(qty * more, people).denominator in (1, 2):
            return {"people": people, "qty": qty, "more": more}


RECIPE = Family(
    name="scaling-a-recipe", topic="ratio and proportion", grades=(6, 7), title="Scaling a recipe",
    objective="Help the student scale both quantities by the same factor (multiply), not by adding.",
    knows="Multiplies and divides whole numbers; has used tables of equivalent ratios.",
    sample=_sample_recipe,
    solve=lambda p: work(dec(Fraction(p["qty"] * p["more"], p["people"])),
                         f"{p['more']} people is {show(Fraction(p['more'], p['people']))} times {p['people']} people.",
                         f"{p['qty']} × {show(Fraction(p['more'], p['people']))} = "
                         f"{show(dec(Fraction(p['qty'] * p['more'], p['people'])))}."),
    stories=(
        "A recipe for {people} people uses {qty} {unit} of {stuff}. {name} is cooking for {more} people. "
        "How many {unit} of {stuff} does {he} need?",
        "{name}'s {dish} recipe serves {people} and needs {qty} {unit} of {stuff}. How many {unit} are needed "
        "to serve {more}?",
    ),
    contexts=({"unit": "eggs", "stuff": "the batter", "dish": "pancake"},
              {"unit": "cups", "stuff": "rice", "dish": "fried rice"},
              {"unit": "tomatoes", "stuff": "the sauce", "dish": "pasta"}),
    rules={"add-the-difference": lambda p: work(
        p["qty"] + p["more"] - p["people"], f"{p['more']} people is {p['more'] - p['people']} more than "
        f"{p['people']}.", f"So add {p['more'] - p['people']}: {p['qty']} + {p['more'] - p['people']} = "
        f"{p['qty'] + p['more'] - p['people']}.")},
    keywords="recipe scale proportion ratio",
)


def _sample_unit_price(rng) -> dict:
    n = rng.choice((2, 4, 5, 8, 10))
    return {"n": n, "cost": dec(Fraction(rng.randint(3, 40) * n, 4))}


UNIT_PRICE = Family(
    name="unit-price", topic="ratio and proportion", grades=(6, 7), title="Finding a unit price",
    objective="Help the student decide which quantity to divide by to get the price of one item.",
    knows="Divides whole numbers and money amounts.",
    sample=_sample_unit_price,
    solve=lambda p: work(dec(Fraction(p["cost"]) / p["n"]), "Price of one = total cost ÷ number of items.",
                         f"{show(p['cost'])} ÷ {p['n']} = {show(dec(Fraction(p['cost']) / p['n']))}."),
    stories=(
        "{name} paid {cost} dollars for {n} {things}. How many dollars does one {thing} cost?",
        "A pack of {n} {things} costs {cost} dollars. What is the price of one {thing} in dollars?",
    ),
    contexts=({"things": "notebooks", "thing": "notebook"}, {"things": "juice boxes", "thing": "juice box"},
              {"things": "tennis balls", "thing": "tennis ball"}),
    rules={"divide-the-wrong-way": lambda p: work(
        dec(p["n"] / Fraction(p["cost"])), f"{p['n']} ÷ {show(p['cost'])} = {show(dec(p['n'] / Fraction(p['cost'])))}.")},
    keywords="unit rate price per item",
)


def _sample_travel(rng) -> dict:
    speed = rng.choice((40, 50, 60, 80))
    return {"speed": speed, "distance": speed * rng.choice((2, 3, 4, 5, 6)) // rng.choice((1, 2))}


TRAVEL = Family(
    name="travel-time", topic="ratio and proportion", grades=(6, 8), title="Time from distance and speed",
    objective="Help the student use time = distance ÷ speed and check that the units make sense.",
    knows="Knows speed is distance per hour and can divide.",
    sample=_sample_travel,
    solve=lambda p: work(dec(Fraction(p["distance"], p["speed"])), "Time = distance ÷ speed.",
                         f"{p['distance']} ÷ {p['speed']} = {show(dec(Fraction(p['distance'], p['speed'])))} hours."),
    stories=(
        "{name}'s family drives {distance} km at an average speed of {speed} km per hour. How many hours does "
        "the trip take?",
        "A train travels {distance} km at {speed} km/h. How many hours does {name}'s journey take?",
    ),
    rules={"divide-the-wrong-way": lambda p: work(
        dec(Fraction(min(p["distance"], p["speed"]), max(p["distance"], p["speed"]))),
        f"{min(p['distance'], p['speed'])} ÷ {max(p['distance'], p['speed'])} = "
        f"{show(dec(Fraction(min(p['distance'], p['speed']), max(p['distance'], p['speed']))))}.")},
    keywords="speed distance time rate",
)

FAMILIES = [SHARE, RECIPE, UNIT_PRICE, TRAVEL]
