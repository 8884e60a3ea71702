"""Fraction families (grades 3-7): parts of a set, comparing, equivalence, adding, multiplying, dividing."""

from __future__ import annotations

from fractions import Fraction
from math import gcd

from practicum.scenarios.problems.base import Family, Misconception, show, work

MISCONCEPTIONS = [
    Misconception("stop-at-one-part", "math", (3, 4), "fractions",
                  "Finds one part of the set (divides by the denominator) and stops there.",
                  "Believes that 'three quarters of' a number means dividing it by four."),
    Misconception("bigger-denominator-bigger-fraction", "math", (3, 5), "fractions",
                  "Thinks a fraction with a larger denominator is larger, because the number is bigger.",
                  "Compares fractions by their denominators as if they were whole numbers.",
                  "Post, Behr & Lesh 1986, Rational Number Project"),
    Misconception("add-the-difference", "math", (4, 7), "ratio and proportion",
                  "Scales additively: adds to one quantity what was added to the other, instead of multiplying.",
                  "Keeps two quantities in proportion by adding the same amount to both.",
                  "Hart 1981, Children's Understanding of Mathematics 11-16 (additive strategy)"),
    Misconception("add-across", "math", (4, 6), "fractions",
                  "Adds the numerators together and the denominators together.",
                  "Believes that to add fractions you add the tops and add the bottoms.",
                  "Behr, Wachsmuth, Post & Lesh 1984"),
    Misconception("keep-larger-denominator", "math", (4, 6), "fractions",
                  "Adds the numerators and keeps the larger denominator without renaming the fractions.",
                  "Believes you add the numerators and keep the biggest denominator."),
    Misconception("multiply-both-parts", "math", (5, 6), "fractions",
                  "Multiplies both the numerator and the denominator by the whole number.",
                  "Treats multiplying a fraction by a whole number like making an equivalent fraction."),
    Misconception("flip-the-first-fraction", "math", (6, 7), "fractions",
                  "Inverts the first fraction (the dividend) instead of the divisor before multiplying.",
                  "Remembers 'flip and multiply' but flips the first fraction."),
    Misconception("multiply-without-flipping", "math", (6, 7), "fractions",
                  "Multiplies the two fractions straight across when the problem asks to divide.",
                  "Treats dividing fractions the same as multiplying them."),
]

DENOMINATORS = (2, 3, 4, 5, 6, 8, 10, 12)


def _proper(rng, den: int) -> int:
    return rng.choice([n for n in range(1, den) if gcd(n, den) == 1])


def _sample_of_set(rng) -> dict:
    den = rng.choice((3, 4, 5, 6, 8, 10))
    return {"num": rng.choice([n for n in range(2, den) if gcd(n, den) == 1]), "den": den, "n": den * rng.randint(2, 8)}


OF_A_SET = Family(
    name="fraction-of-a-set", topic="fractions", grades=(3, 4), title="A fraction of a set",
    objective="Help the student find a fraction of a number by finding one part and then taking as many parts "
              "as the numerator says.",
    knows="Knows that the denominator tells how many equal parts and can divide small numbers.",
    sample=_sample_of_set,
    solve=lambda p: work(p["n"] // p["den"] * p["num"], f"One part: {p['n']} ÷ {p['den']} = {p['n'] // p['den']}.",
                         f"{p['num']} parts: {p['num']} × {p['n'] // p['den']} = {p['n'] // p['den'] * p['num']}."),
    stories=(
        "There are {n} {things} in {name}'s class. {num}/{den} of them {verb}. How many {things} {verb}?",
        "{name} has {n} {things}. {num}/{den} of them {verb}. How many is that?",
    ),
    contexts=({"things": "students", "verb": "walk to school"}, {"things": "marbles", "verb": "are blue"},
              {"things": "stickers", "verb": "are shiny"}, {"things": "books", "verb": "are about animals"}),
    rules={"stop-at-one-part": lambda p: work(p["n"] // p["den"], f"{p['num']}/{p['den']} of {p['n']}: "
                                             f"{p['n']} ÷ {p['den']} = {p['n'] // p['den']}.")},
    keywords="fraction of a number",
)


def _sample_compare(rng) -> dict:
    num = rng.randint(1, 4)
    dens = rng.sample([d for d in range(num + 1, 13) if gcd(num, d) == 1], 2)
    return {"num": num, "d1": dens[0], "d2": dens[1]}


def _compare_solve(p: dict):
    small, big = sorted((p["d1"], p["d2"]))
    num = p["num"]
    return work(Fraction(num, small), f"Both fractions have {num} pieces on top.",
                f"A whole cut into {big} equal pieces has smaller pieces than a whole cut into {small}.",
                f"So {num}/{small} is greater than {num}/{big}.")


COMPARE = Family(
    name="comparing-fractions", topic="fractions", grades=(3, 5), title="Comparing fractions with the same numerator",
    objective="Help the student reason about the size of the pieces to decide which fraction is greater.",
    knows="Can name fractions from pictures and knows the numerator counts the parts.",
    sample=_sample_compare, solve=_compare_solve,
    stories=(
        "{name} ate {num}/{d1} of a pizza and {friend} ate {num}/{d2} of the same size pizza. "
        "Which fraction is greater, {num}/{d1} or {num}/{d2}?",
        "Which is greater: {num}/{d1} or {num}/{d2}? {name} wants to share the bigger piece of a {food} with {friend}.",
    ),
    contexts=({"friend": "a friend", "food": "cake"}, {"friend": "a cousin", "food": "pie"},
              {"friend": "a classmate", "food": "sandwich"}),
    rules={"bigger-denominator-bigger-fraction": lambda p: work(
        Fraction(p["num"], max(p["d1"], p["d2"])),
        f"{max(p['d1'], p['d2'])} is bigger than {min(p['d1'], p['d2'])}.",
        f"So {p['num']}/{max(p['d1'], p['d2'])} is the greater fraction.")},
    keywords="compare greater less order",
)


def _sample_equivalent(rng) -> dict:
    b = rng.choice((3, 4, 5, 6, 7, 8))
    k = rng.randint(2, 5)
    return {"a": _proper(rng, b), "b": b, "k": k, "bk": b * k}


EQUIVALENT = Family(
    name="equivalent-fractions", topic="fractions", grades=(4, 5), title="Equivalent fractions",
    objective="Help the student see that equivalent fractions multiply the numerator and denominator by the same "
              "number.",
    knows="Knows what a numerator and denominator are and has shaded fraction bars.",
    sample=_sample_equivalent,
    solve=lambda p: work(p["a"] * p["k"], f"{p['b']} × {p['k']} = {p['b'] * p['k']}, so the denominator was "
                         f"multiplied by {p['k']}.", f"The numerator too: {p['a']} × {p['k']} = {p['a'] * p['k']}."),
    stories=(
        "{name} wants to write {a}/{b} as a fraction with denominator {bk}. {a}/{b} = ?/{bk}. What is the missing "
        "numerator?",
        "A recipe uses {a}/{b} of a cup of {stuff}. {name}'s measuring cup is marked in {bk}ths. "
        "{a}/{b} = ?/{bk}. What number goes on top?",
    ),
    contexts=({"stuff": "milk"}, {"stuff": "rice"}, {"stuff": "oats"}),
    rules={"add-the-difference": lambda p: work(
        p["a"] + p["b"] * p["k"] - p["b"], f"{p['b']} + {p['b'] * p['k'] - p['b']} = {p['b'] * p['k']}.",
        f"So the top goes up by {p['b'] * p['k'] - p['b']} too: {p['a']} + {p['b'] * p['k'] - p['b']} = "
        f"{p['a'] + p['b'] * p['k'] - p['b']}.")},
    keywords="equivalent equal fractions simplify",
)


def _sample_add(rng) -> dict:
    b, d = rng.sample(DENOMINATORS, 2)
    return {"a": _proper(rng, b), "b": b, "c": _proper(rng, d), "d": d}


def _solve_add(p: dict):
    a, b, c, d = p["a"], p["b"], p["c"], p["d"]
    common = b * d // gcd(b, d)
    total = Fraction(a, b) + Fraction(c, d)
    return work(total, f"A common denominator of {b} and {d} is {common}.",
                f"{a}/{b} = {a * common // b}/{common} and {c}/{d} = {c * common // d}/{common}.",
                f"{a * common // b}/{common} + {c * common // d}/{common} = {a * common // b + c * common // d}/{common}"
                + ("." if Fraction(a * common // b + c * common // d, common).denominator == common
                   else f" = {show(total)}."))


ADD_UNLIKE = Family(
    name="fraction-addition", topic="fractions", grades=(5, 6), title="Adding fractions with unlike denominators",
    objective="Help the student rename the fractions with a common denominator before adding.",
    knows="Can add fractions with the same denominator and find common multiples.",
    sample=_sample_add, solve=_solve_add,
    stories=(
        "{name} used {a}/{b} of a cup of {stuff} for {use1} and {c}/{d} of a cup for {use2}. "
        "How many cups of {stuff} did {he} use in all?",
        "{name} walked {a}/{b} of a mile to {place1} and then {c}/{d} of a mile to {place2}. "
        "How far did {he} walk altogether, in miles?",
        "What is {a}/{b} + {c}/{d}? {name} needs the total to finish {his} {task}.",
    ),
    contexts=({"stuff": "flour", "use1": "bread", "use2": "muffins", "place1": "the park", "place2": "the library",
               "task": "recipe card"},
              {"stuff": "sugar", "use1": "lemonade", "use2": "a pie", "place1": "the shop", "place2": "school",
               "task": "homework"},
              {"stuff": "oats", "use1": "cookies", "use2": "breakfast", "place1": "the pool", "place2": "a friend's "
               "house", "task": "science log"}),
    rules={
        "add-across": lambda p: work(Fraction(p["a"] + p["c"], p["b"] + p["d"]),
                                     f"Add the tops: {p['a']} + {p['c']} = {p['a'] + p['c']}.",
                                     f"Add the bottoms: {p['b']} + {p['d']} = {p['b'] + p['d']}.",
                                     f"{p['a'] + p['c']}/{p['b'] + p['d']}."),
        "keep-larger-denominator": lambda p: work(Fraction(p["a"] + p["c"], max(p["b"], p["d"])),
                                                  f"{p['a']} + {p['c']} = {p['a'] + p['c']}.",
                                                  f"The bigger denominator is {max(p['b'], p['d'])}.",
                                                  f"{p['a'] + p['c']}/{max(p['b'], p['d'])}."),
    },
    keywords="add sum unlike denominators common denominator",
)


def _sample_times_whole(rng) -> dict:
    b = rng.choice((3, 4, 5, 6, 8, 10))
    return {"a": _proper(rng, b), "b": b, "n": rng.randint(2, 7)}


TIMES_WHOLE = Family(
    name="fraction-times-whole", topic="fractions", grades=(5, 6), title="Multiplying a fraction by a whole number",
    objective="Help the student see n × a/b as n groups of a/b, so only the numerator is multiplied.",
    knows="Can add fractions with the same denominator and knows equivalent fractions.",
    sample=_sample_times_whole,
    solve=lambda p: work(Fraction(p["n"] * p["a"], p["b"]), f"{p['n']} groups of {p['a']}/{p['b']} is "
                         f"{p['n']} × {p['a']} = {p['n'] * p['a']} pieces of size 1/{p['b']}.",
                         f"{p['n'] * p['a']}/{p['b']}."),
    stories=(
        "{name} runs {a}/{b} of a mile every day for {n} days. How many miles does {he} run in total?",
        "Each {item} needs {a}/{b} of a metre of ribbon. {name} makes {n} of them. How many metres of ribbon "
        "does {he} need?",
        "What is {n} × {a}/{b}? {name} is checking {his} answer to a homework problem.",
    ),
    contexts=({"item": "gift"}, {"item": "bow"}, {"item": "badge"}),
    rules={"multiply-both-parts": lambda p: work(
        Fraction(p["n"] * p["a"], p["n"] * p["b"]),
        f"Multiply the top and the bottom by {p['n']}: {p['n']} × {p['a']} = {p['n'] * p['a']} and "
        f"{p['n']} × {p['b']} = {p['n'] * p['b']}.", f"{p['n'] * p['a']}/{p['n'] * p['b']}.")},
    keywords="multiply times product",
)


def _sample_divide(rng) -> dict:
    while True:
        b, d = rng.choice((2, 3, 4, 5, 6, 8)), rng.choice((2, 3, 4, 5, 6, 8))
        a, c = _proper(rng, b), _proper(rng, d)
        if Fraction(a, b) != Fraction(c, d):
            return {"a": a, "b": b, "c": c, "d": d}


DIVIDE = Family(
    name="fraction-division", topic="fractions", grades=(6, 7), title="Dividing fractions",
    objective="Help the student see why dividing by a fraction means multiplying by the reciprocal of the divisor.",
    knows="Multiplies fractions correctly and has been told to 'keep, change, flip'.",
    sample=_sample_divide,
    solve=lambda p: work(Fraction(p["a"], p["b"]) / Fraction(p["c"], p["d"]),
                         f"Dividing by {p['c']}/{p['d']} is multiplying by {p['d']}/{p['c']}.",
                         f"{p['a']}/{p['b']} × {p['d']}/{p['c']} = {p['a'] * p['d']}/{p['b'] * p['c']}."),
    stories=(
        "{name} has {a}/{b} of a litre of {stuff}. Each glass holds {c}/{d} of a litre. "
        "How many glasses can {he} fill? Give the exact number.",
        "What is {a}/{b} ÷ {c}/{d}? {name} wants to check {his} work.",
    ),
    contexts=({"stuff": "juice"}, {"stuff": "water"}, {"stuff": "milk"}),
    rules={
        "flip-the-first-fraction": lambda p: work(
            Fraction(p["b"], p["a"]) * Fraction(p["c"], p["d"]), f"Flip {p['a']}/{p['b']} to {p['b']}/{p['a']}.",
            f"{p['b']}/{p['a']} × {p['c']}/{p['d']} = {p['b'] * p['c']}/{p['a'] * p['d']}."),
        "multiply-without-flipping": lambda p: work(
            Fraction(p["a"], p["b"]) * Fraction(p["c"], p["d"]),
            f"{p['a']}/{p['b']} × {p['c']}/{p['d']} = {p['a'] * p['c']}/{p['b'] * p['d']}."),
    },
    keywords="divide division quotient reciprocal",
)

FAMILIES = [OF_A_SET, COMPARE, EQUIVALENT, ADD_UNLIKE, TIMES_WHOLE, DIVIDE]
