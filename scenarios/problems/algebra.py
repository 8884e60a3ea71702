"""Exponent, power and logarithm families (grades 6-11)."""

from __future__ import annotations

from fractions import Fraction
from math import gcd

from practicum.scenarios.problems.base import Family, Misconception, show, work

MISCONCEPTIONS = [
    Misconception("multiply-base-by-exponent", "math", (6, 8), "exponents",
                  "Multiplies the base by the exponent (3⁴ = 12).",
                  "Believes a power means the base times the exponent."),
    Misconception("multiply-the-exponents", "math", (8, 10), "exponents",
                  "Multiplies the exponents when multiplying powers of the same base.",
                  "Believes 2³ × 2⁴ = 2¹², multiplying the exponents."),
    Misconception("negative-exponent-makes-negative", "math", (8, 10), "exponents",
                  "Thinks a negative exponent makes the number negative.",
                  "Believes 2 to the power -3 is -8."),
    Misconception("square-each-term", "math", (9, 11), "algebraic expressions",
                  "Squares each term of a sum: (x + b)² = x² + b².",
                  "Believes the square of a sum is the sum of the squares (the 'freshman's dream').",
                  "Matz 1982, towards a process model for high school algebra errors"),
    Misconception("negative-squared-stays-negative", "math", (8, 10), "algebraic expressions",
                  "Squares only the number and keeps the minus sign when substituting a negative into x².",
                  "Believes (-5)² is -25."),
    Misconception("add-inside-the-log", "math", (10, 11), "logarithms",
                  "Thinks log a + log b = log(a + b).",
                  "Treats a logarithm like multiplication by a number, so it distributes over addition."),
    Misconception("product-of-logs", "math", (10, 11), "logarithms",
                  "Thinks log(a × b) = log a × log b.",
                  "Believes the logarithm of a product is the product of the logarithms."),
    Misconception("multiply-base-by-fraction", "math", (10, 11), "exponents",
                  "Multiplies the base by a fractional exponent (8^(2/3) = 16/3).",
                  "Treats a fractional exponent as a number to multiply by."),
]


def _sample_power(rng) -> dict:
    base = rng.randint(2, 9)
    return {"a": base, "n": rng.randint(2, 4 if base < 6 else 3)}


POWER = Family(
    name="evaluating-powers", topic="exponents", grades=(6, 8), title="Evaluating a power",
    objective="Help the student read a power as repeated multiplication of the base.",
    knows="Multiplies whole numbers; has seen exponent notation.",
    sample=_sample_power,
    solve=lambda p: work(p["a"] ** p["n"], f"{p['a']}^{p['n']} means {' × '.join([str(p['a'])] * p['n'])}.",
                         f"That is {p['a'] ** p['n']}."),
    stories=(
        "What is {a}^{n}? {name} is filling in a table of powers.",
        "In a chain message, everyone who gets the message sends it to {a} new people. In round {n}, {a}^{n} people "
        "get it. {name} wants to know how many that is. What is {a}^{n}?",
    ),
    rules={"multiply-base-by-exponent": lambda p: work(p["a"] * p["n"], f"{p['a']}^{p['n']} = {p['a']} × {p['n']} "
                                                     f"= {p['a'] * p['n']}.")},
    keywords="powers exponents indices",
)


def _sample_product(rng) -> dict:
    return {"a": rng.choice((2, 3, 5, 10)), "m": rng.randint(2, 7), "n": rng.randint(2, 7)}


PRODUCT = Family(
    name="product-of-powers", topic="exponents", grades=(8, 9), title="Multiplying powers with the same base",
    objective="Help the student write the powers out as factors and count them, so exponents add.",
    knows="Evaluates powers and writes repeated multiplication as a power.",
    sample=_sample_product,
    solve=lambda p: work(p["m"] + p["n"], f"{p['a']}^{p['m']} × {p['a']}^{p['n']} has {p['m']} + {p['n']} factors "
                         f"of {p['a']}.", f"So it is {p['a']}^{p['m'] + p['n']}; the exponent is {p['m'] + p['n']}."),
    stories=(
        "Write {a}^{m} × {a}^{n} as a single power of {a}. What is the exponent?",
        "{name} simplifies {a}^{m} × {a}^{n} = {a}^k. What is k?",
    ),
    rules={"multiply-the-exponents": lambda p: work(p["m"] * p["n"], f"Multiply the exponents: {p['m']} × {p['n']} "
                                                  f"= {p['m'] * p['n']}.")},
    keywords="exponent laws powers indices multiply",
)


def _sample_negative(rng) -> dict:
    a = rng.choice((2, 3, 4, 5, 10))
    return {"a": a, "n": rng.randint(1, 3 if a < 5 else 2)}


NEGATIVE = Family(
    name="negative-exponent", topic="exponents", grades=(8, 9), title="Negative exponents",
    objective="Help the student see a^(-n) as 1/a^n by continuing the pattern of dividing by the base.",
    knows="Evaluates positive powers and knows a^0 = 1.",
    sample=_sample_negative,
    solve=lambda p: work(Fraction(1, p["a"] ** p["n"]), f"{p['a']}^(-{p['n']}) = 1/{p['a']}^{p['n']}.",
                         f"= 1/{p['a'] ** p['n']}."),
    stories=(
        "What is {a}^(-{n})? Write it as a fraction. {name} continues the pattern {a}^2, {a}^1, {a}^0, ...",
        "Evaluate {a}^(-{n}) as a fraction.",
    ),
    rules={"negative-exponent-makes-negative": lambda p: work(
        -(p["a"] ** p["n"]), f"{p['a']}^{p['n']} = {p['a'] ** p['n']}, and the exponent is negative, so the answer "
        f"is -{p['a'] ** p['n']}.")},
    keywords="negative exponent powers indices reciprocal",
)


def _sample_square(rng) -> dict:
    return {"x": rng.randint(2, 12), "b": rng.randint(2, 9)}


SQUARE = Family(
    name="square-of-a-sum", topic="algebraic expressions", grades=(9, 11), title="Squaring a sum",
    objective="Help the student expand (x + b)² as (x + b)(x + b), keeping the middle term 2bx.",
    knows="Multiplies out single brackets and substitutes values into expressions.",
    sample=_sample_square,
    solve=lambda p: work((p["x"] + p["b"]) ** 2, f"(x + {p['b']})² = x² + {2 * p['b']}x + {p['b'] ** 2}.",
                         f"At x = {p['x']}: {p['x'] ** 2} + {2 * p['b'] * p['x']} + {p['b'] ** 2} = "
                         f"{(p['x'] + p['b']) ** 2}."),
    stories=(
        "Expand (x + {b})² and find its value when x = {x}.",
        "A square {thing} has sides of (x + {b}) metres. {name} expands (x + {b})² for its area. What is the area "
        "in square metres when x = {x}?",
    ),
    contexts=({"thing": "patio"}, {"thing": "garden"}, {"thing": "dance floor"}),
    rules={"square-each-term": lambda p: work(
        p["x"] ** 2 + p["b"] ** 2, f"(x + {p['b']})² = x² + {p['b'] ** 2}.",
        f"At x = {p['x']}: {p['x'] ** 2} + {p['b'] ** 2} = {p['x'] ** 2 + p['b'] ** 2}.")},
    keywords="expand binomial square brackets algebra",
)


def _sample_substitute(rng) -> dict:
    return {"n": rng.randint(2, 9), "b": rng.randint(2, 9)}


SUBSTITUTE = Family(
    name="substituting-a-negative", topic="algebraic expressions", grades=(8, 10),
    title="Substituting a negative number into x²",
    objective="Help the student put the negative number in brackets before squaring.",
    knows="Substitutes positive numbers into expressions and multiplies negatives.",
    sample=_sample_substitute,
    solve=lambda p: work(p["n"] ** 2 + p["b"] * p["n"], f"(-{p['n']})² = {p['n'] ** 2} and -{p['b']} × (-{p['n']}) = "
                         f"{p['b'] * p['n']}.", f"{p['n'] ** 2} + {p['b'] * p['n']} = {p['n'] ** 2 + p['b'] * p['n']}."),
    stories=(
        "Evaluate x² - {b}x when x = -{n}.",
        "{name} is checking a table of values for y = x² - {b}x. What is y when x = -{n}?",
    ),
    rules={"negative-squared-stays-negative": lambda p: work(
        -(p["n"] ** 2) + p["b"] * p["n"], f"x² = -{p['n']}² = -{p['n'] ** 2}.",
        f"-{p['b']} × (-{p['n']}) = {p['b'] * p['n']}, so -{p['n'] ** 2} + {p['b'] * p['n']} = "
        f"{-(p['n'] ** 2) + p['b'] * p['n']}.")},
    keywords="substitute evaluate negative square expression",
)


def _sample_logs(rng) -> dict:
    base = rng.choice((2, 3, 10))
    m, n = rng.sample(range(1, 6 if base == 2 else 4), 2)
    return {"base": base, "m": m, "n": n, "a": base ** m, "b": base ** n}


LOG_SUM = Family(
    name="sum-of-logarithms", topic="logarithms", grades=(10, 11), title="Adding logarithms",
    objective="Help the student use log a + log b = log(ab), checking with the definition of a logarithm.",
    knows="Evaluates logarithms of exact powers and knows the definition of a logarithm.",
    sample=_sample_logs,
    solve=lambda p: work(p["a"] * p["b"], f"log base {p['base']} of {p['a']} is {p['m']} and of {p['b']} is {p['n']}.",
                         f"{p['m']} + {p['n']} = {p['m'] + p['n']}, and {p['base']}^{p['m'] + p['n']} = {p['a'] * p['b']}."),
    stories=(
        "log base {base} of {a} + log base {base} of {b} = log base {base} of N. What is N?",
        "{name} is simplifying log base {base} of {a} + log base {base} of {b} into one logarithm, log base {base} of "
        "N. What is N?",
    ),
    rules={"add-inside-the-log": lambda p: work(p["a"] + p["b"], f"Add inside the log: {p['a']} + {p['b']} = "
                                              f"{p['a'] + p['b']}.")},
    keywords="logarithm log laws",
)

LOG_PRODUCT = Family(
    name="logarithm-of-a-product", topic="logarithms", grades=(10, 11), title="The logarithm of a product",
    objective="Help the student see why log(ab) = log a + log b from the laws of exponents.",
    knows="Evaluates logarithms of exact powers.",
    sample=_sample_logs,
    solve=lambda p: work(p["m"] + p["n"], f"{p['a']} × {p['b']} = {p['a'] * p['b']} = {p['base']}^{p['m'] + p['n']}.",
                         f"So log base {p['base']} of {p['a'] * p['b']} is {p['m'] + p['n']}."),
    stories=(
        "What is log base {base} of ({a} × {b})?",
        "{name} knows log base {base} of {a} = {m} and log base {base} of {b} = {n}. What is log base {base} of "
        "({a} × {b})?",
    ),
    rules={"product-of-logs": lambda p: work(p["m"] * p["n"], f"log of {p['a']} is {p['m']} and log of {p['b']} is "
                                           f"{p['n']}.", f"{p['m']} × {p['n']} = {p['m'] * p['n']}.")},
    keywords="logarithm log laws product",
)

ROOTS = ((8, 3), (27, 3), (64, 3), (125, 3), (4, 2), (9, 2), (16, 2), (25, 2), (16, 4), (81, 4), (32, 5))


def _sample_fractional(rng) -> dict:
    base, q = rng.choice(ROOTS)
    return {"a": base, "p": rng.choice([k for k in range(2, 5) if gcd(k, q) == 1]), "q": q}


def _root(p: dict) -> int:
    return round(p["a"] ** (1 / p["q"]))


FRACTIONAL = Family(
    name="fractional-exponent", topic="exponents", grades=(10, 11), title="Fractional exponents",
    objective="Help the student read a^(p/q) as the qth root of a, raised to the power p.",
    knows="Finds square and cube roots of perfect powers and evaluates integer powers.",
    sample=_sample_fractional,
    solve=lambda p: work(_root(p) ** p["p"], f"The {p['q']}th root of {p['a']} is {_root(p)}.",
                         f"{_root(p)}^{p['p']} = {_root(p) ** p['p']}."),
    stories=(
        "Evaluate {a}^({p}/{q}).",
        "{name} needs {a}^({p}/{q}) for a growth model. What is its exact value?",
    ),
    rules={"multiply-base-by-fraction": lambda p: work(
        Fraction(p["a"] * p["p"], p["q"]), f"{p['a']} × {p['p']}/{p['q']} = {show(Fraction(p['a'] * p['p'], p['q']))}.")},
    keywords="rational fractional exponents roots powers",
)

FAMILIES = [POWER, PRODUCT, NEGATIVE, SQUARE, SUBSTITUTE, LOG_SUM, LOG_PRODUCT, FRACTIONAL]
