"""Equation families (grades 6-11): one- and two-step equations, unknowns on both sides, brackets, slope, sequences."""

from __future__ import annotations

from fractions import Fraction

from practicum.scenarios.problems.base import Family, Misconception, show, work

MISCONCEPTIONS = [
    Misconception("use-the-operation-shown", "math", (6, 7), "linear equations",
                  "Applies the operation written in the equation instead of its inverse to isolate x.",
                  "Believes that to get x alone you do to the other side what the equation shows (x + 4 = 10 "
                  "gives x = 14)."),
    Misconception("undo-in-written-order", "math", (7, 9), "linear equations",
                  "Divides only the right-hand side by the coefficient first, then subtracts the constant.",
                  "Undoes the steps of ax + b = c in the order they are written, dividing c by a before dealing "
                  "with b.", "Kieran 1992, the learning and teaching of school algebra"),
    Misconception("move-term-without-changing-sign", "math", (8, 10), "linear equations",
                  "Moves a term to the other side of the equation without changing its sign.",
                  "Believes a term can be carried across the equals sign as it is.",
                  "Kieran 1992, the learning and teaching of school algebra"),
    Misconception("distribute-to-first-term-only", "math", (7, 10), "linear equations",
                  "Multiplies only the first term inside the brackets by the number outside.",
                  "Believes a(x + b) = ax + b."),
    Misconception("run-over-rise", "math", (8, 10), "linear functions",
                  "Computes slope as the change in x over the change in y.",
                  "Remembers slope is a ratio of changes but puts the horizontal change on top."),
    Misconception("one-step-too-many", "math", (9, 11), "sequences",
                  "Adds the common difference n times to reach the nth term instead of n - 1 times.",
                  "Believes the nth term is the first term plus n times the difference."),
]


def _sample_one_step(rng) -> dict:
    a, x = rng.randint(3, 25), rng.randint(2, 30)
    return {"a": a, "b": x + a}


ONE_STEP = Family(
    name="one-step-equation", topic="linear equations", grades=(6, 7), title="One-step equations",
    objective="Help the student undo the addition with its inverse, subtraction, and check the answer.",
    knows="Knows that a letter stands for an unknown number and checks answers by substitution when reminded.",
    sample=_sample_one_step,
    solve=lambda p: work(p["b"] - p["a"], f"Undo + {p['a']} by subtracting {p['a']} from both sides.",
                         f"x = {p['b']} - {p['a']} = {p['b'] - p['a']}."),
    stories=(
        "Solve x + {a} = {b}. {name} says x should be bigger than {b}. What is x?",
        "{name} thinks of a number and adds {a}. The result is {b}. Write x + {a} = {b} and find the number.",
    ),
    rules={"use-the-operation-shown": lambda p: work(
        p["b"] + p["a"], f"The equation says + {p['a']}, so add {p['a']} to {p['b']}.", f"x = {p['b']} + {p['a']} "
        f"= {p['b'] + p['a']}.")},
    keywords="solve equation unknown variable algebra",
)


def _sample_two_step(rng) -> dict:
    a, b, x = rng.randint(2, 9), rng.randint(2, 20), rng.randint(2, 12)
    return {"a": a, "b": b, "c": a * x + b}


TWO_STEP = Family(
    name="two-step-equation", topic="linear equations", grades=(7, 8), title="Two-step equations",
    objective="Help the student undo the operations in reverse order: subtract the constant, then divide.",
    knows="Solves one-step equations with any of the four operations.",
    sample=_sample_two_step,
    solve=lambda p: work((p["c"] - p["b"]) // p["a"], f"Subtract {p['b']}: {p['a']}x = {p['c'] - p['b']}.",
                         f"Divide by {p['a']}: x = {(p['c'] - p['b']) // p['a']}."),
    stories=(
        "Solve {a}x + {b} = {c}. What is x?",
        "{name} buys {a} identical {things} and a {extra} that costs {b} dollars. {He} spends {c} dollars in all. "
        "Solve {a}x + {b} = {c} to find the price of one {thing} in dollars.",
    ),
    contexts=({"things": "notebooks", "thing": "notebook", "extra": "pen"},
              {"things": "tickets", "thing": "ticket", "extra": "programme"},
              {"things": "T-shirts", "thing": "T-shirt", "extra": "cap"}),
    rules={"undo-in-written-order": lambda p: work(
        Fraction(p["c"], p["a"]) - p["b"], f"Divide by {p['a']}: {p['c']} ÷ {p['a']} = {show(Fraction(p['c'], p['a']))}.",
        f"Subtract {p['b']}: x = {show(Fraction(p['c'], p['a']))} - {p['b']} = {show(Fraction(p['c'], p['a']) - p['b'])}.")},
    keywords="solve equation two step algebra",
)


def _sample_both_sides(rng) -> dict:
    while True:
        a, c, x, b = rng.randint(3, 9), rng.randint(2, 6), rng.randint(1, 9), rng.randint(1, 15)
        if a > c:
            p = {"a": a, "b": b, "c": c, "d": (a - c) * x + b}
            return {**p, "eq": _sides(p)}


def _sides(p: dict) -> str:
    return f"{p['a']}x + {p['b']} = {p['c']}x + {p['d']}"


BOTH_SIDES = Family(
    name="unknown-on-both-sides", topic="linear equations", grades=(8, 10), title="Equations with x on both sides",
    objective="Help the student collect the x terms on one side by doing the same operation to both sides.",
    knows="Solves two-step equations and combines like terms.",
    sample=_sample_both_sides,
    solve=lambda p: work(Fraction(p["d"] - p["b"], p["a"] - p["c"]), f"Subtract {p['c']}x from both sides: "
                         f"{p['a'] - p['c']}x + {p['b']} = {p['d']}.", f"Subtract {p['b']}: {p['a'] - p['c']}x = "
                         f"{p['d'] - p['b']}.", f"x = {show(Fraction(p['d'] - p['b'], p['a'] - p['c']))}."),
    stories=(
        "Solve {eq}. What is x?",
        "{name} and a friend each start a savings plan. {name} has {b} dollars and adds {a} a week; the friend has "
        "{d} dollars and adds {c} a week. Solve {eq} to find after how many weeks x they have the same amount.",
    ),
    rules={"move-term-without-changing-sign": lambda p: work(
        Fraction(p["d"] - p["b"], p["a"] + p["c"]), f"Move {p['c']}x to the left: {p['a'] + p['c']}x + {p['b']} = "
        f"{p['d']}.", f"{p['a'] + p['c']}x = {p['d'] - p['b']}, x = {show(Fraction(p['d'] - p['b'], p['a'] + p['c']))}.")},
    keywords="solve equation both sides algebra",
)


def _sample_brackets(rng) -> dict:
    a, b, x = rng.randint(2, 9), rng.randint(2, 12), rng.randint(1, 12)
    return {"a": a, "b": b, "c": a * (x + b)}


BRACKETS = Family(
    name="equation-with-brackets", topic="linear equations", grades=(8, 10), title="Equations with brackets",
    objective="Help the student multiply every term inside the brackets (or divide both sides first).",
    knows="Solves two-step equations; has met the distributive law with numbers.",
    sample=_sample_brackets,
    solve=lambda p: work(p["c"] // p["a"] - p["b"], f"Divide both sides by {p['a']}: x + {p['b']} = "
                         f"{p['c'] // p['a']}.", f"x = {p['c'] // p['a']} - {p['b']} = {p['c'] // p['a'] - p['b']}."),
    stories=(
        "Solve {a}(x + {b}) = {c}. What is x?",
        "{name} buys {a} gift bags. Each holds a toy costing x dollars and a card costing {b} dollars, and {he} "
        "spends {c} dollars. Solve {a}(x + {b}) = {c} for the price of a toy in dollars.",
    ),
    rules={"distribute-to-first-term-only": lambda p: work(
        Fraction(p["c"] - p["b"], p["a"]), f"{p['a']}(x + {p['b']}) = {p['a']}x + {p['b']}.",
        f"{p['a']}x = {p['c']} - {p['b']} = {p['c'] - p['b']}, x = {show(Fraction(p['c'] - p['b'], p['a']))}.")},
    keywords="solve equation brackets parentheses distributive algebra",
)


def _sample_slope(rng) -> dict:
    x1, y1 = rng.randint(-5, 6), rng.randint(-5, 9)
    dx, dy = rng.choice((1, 2, 3, 4, 5, 6)), rng.choice((-8, -6, -4, -3, -2, 2, 3, 4, 6, 8, 9))
    return {"x1": x1, "y1": y1, "x2": x1 + dx, "y2": y1 + dy}


SLOPE = Family(
    name="slope-from-two-points", topic="linear functions", grades=(8, 10), title="Slope from two points",
    objective="Help the student compute slope as rise over run, the change in y divided by the change in x.",
    knows="Plots points and knows slope measures steepness.",
    sample=_sample_slope,
    solve=lambda p: work(Fraction(p["y2"] - p["y1"], p["x2"] - p["x1"]),
                         f"Rise: {p['y2']} - ({p['y1']}) = {p['y2'] - p['y1']}. Run: {p['x2']} - ({p['x1']}) = "
                         f"{p['x2'] - p['x1']}.", f"Slope = {p['y2'] - p['y1']}/{p['x2'] - p['x1']}."),
    stories=(
        "What is the slope of the line through ({x1}, {y1}) and ({x2}, {y2})?",
        "{name} plots the points ({x1}, {y1}) and ({x2}, {y2}) for {his} graph of a {thing}. What is the slope of "
        "the line through them?",
    ),
    contexts=({"thing": "ramp"}, {"thing": "hiking trail"}, {"thing": "savings plan"}),
    rules={"run-over-rise": lambda p: work(
        Fraction(p["x2"] - p["x1"], p["y2"] - p["y1"]), f"Change in x: {p['x2'] - p['x1']}. Change in y: "
        f"{p['y2'] - p['y1']}.", f"Slope = {p['x2'] - p['x1']} ÷ {p['y2'] - p['y1']} = "
        f"{show(Fraction(p['x2'] - p['x1'], p['y2'] - p['y1']))}.")},
    keywords="slope gradient line linear function rate of change",
)


def _sample_sequence(rng) -> dict:
    return {"a": rng.randint(1, 20), "d": rng.choice((2, 3, 4, 5, 6, 7, 9, 11)), "n": rng.randint(8, 40)}


SEQUENCE = Family(
    name="arithmetic-sequence", topic="sequences", grades=(9, 11), title="The nth term of an arithmetic sequence",
    objective="Help the student see that the nth term is n - 1 steps after the first term.",
    knows="Continues a sequence by adding the common difference.",
    sample=lambda rng: (lambda p: {**p, "t2": p["a"] + p["d"], "t3": p["a"] + 2 * p["d"]})(_sample_sequence(rng)),
    solve=lambda p: work(p["a"] + (p["n"] - 1) * p["d"], f"Term number {p['n']} is {p['n']} - 1 = {p['n'] - 1} "
                         "steps after the first.", f"{p['a']} + {p['n'] - 1} × ({p['d']}) = "
                         f"{p['a'] + (p['n'] - 1) * p['d']}."),
    stories=(
        "The sequence {a}, {t2}, {t3}, ... goes up by the same amount each time. What is term number {n}?",
        "{name} saves money in a pattern: {a}, {t2}, {t3} dollars in weeks 1, 2 and 3, changing by the same amount "
        "each week. How many dollars does {he} save in week {n}?",
    ),
    rules={"one-step-too-many": lambda p: work(
        p["a"] + p["n"] * p["d"], f"The difference is {p['d']}, so term {p['n']} is {p['a']} + {p['n']} × "
        f"({p['d']}).", f"{p['a']} + {p['n'] * p['d']} = {p['a'] + p['n'] * p['d']}.")},
    keywords="sequence arithmetic nth term pattern",
)

FAMILIES = [ONE_STEP, TWO_STEP, BOTH_SIDES, BRACKETS, SLOPE, SEQUENCE]
