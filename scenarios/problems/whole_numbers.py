"""Whole-number families (grades 3-7): subtraction with regrouping, equal groups, remainders, order of operations."""

from __future__ import annotations

from practicum.scenarios.problems.base import Family, Misconception, Worked, work

MISCONCEPTIONS = [
    Misconception("smaller-from-larger", "math", (2, 5), "subtraction",
                  "Subtracts the smaller digit from the larger in each column instead of regrouping.",
                  "Believes that in each column you always take the smaller digit away from the larger one, "
                  "whichever number it belongs to.",
                  "Brown & Burton 1978, diagnostic models of subtraction bugs"),
    Misconception("borrow-without-reducing", "math", (2, 5), "subtraction",
                  "Regroups a ten into a column but forgets to take it away from the next column.",
                  "Adds ten to a column that is too small but leaves the neighbouring digit as it was.",
                  "Brown & Burton 1978, diagnostic models of subtraction bugs"),
    Misconception("add-instead-of-multiply", "math", (3, 4), "multiplication",
                  "Adds the number of groups and the group size instead of multiplying them.",
                  "Sees two numbers in a story about groups and adds them."),
    Misconception("ignore-remainder", "math", (4, 6), "division",
                  "Drops the remainder when the situation needs one more group for what is left over.",
                  "Believes the answer to a division story is always the whole-number quotient, remainder dropped.",
                  "Silver, Shapiro & Deutsch 1993, the 'buses' problem (NAEP)"),
    Misconception("left-to-right", "math", (5, 7), "order of operations",
                  "Works strictly from left to right, doing an addition before a multiplication that follows it.",
                  "Calculates expressions in the order they are written, left to right."),
    Misconception("addition-before-subtraction", "math", (5, 7), "order of operations",
                  "Reads PEMDAS as 'addition before subtraction' and adds first in a - b + c.",
                  "Believes the A in PEMDAS means every addition is done before any subtraction."),
]


def _digits(n: int, width: int) -> list[int]:
    return [int(d) for d in str(n).zfill(width)][::-1]  # ones first


def _sample_subtraction(rng) -> dict:
    while True:
        a, b = rng.randint(302, 987), rng.randint(105, 699)
        da, db = _digits(a, 3), _digits(b, 3)
        if a > b and any(x < y for x, y in zip(da, db)) and da[2] > db[2]:
            return {"a": a, "b": b}


def _solve_subtraction(p: dict) -> Worked:
    a, b = p["a"], p["b"]
    steps = [f"{a} - {b}: line up the ones, tens and hundreds."]
    top, borrow = _digits(a, 3), 0
    for i, place in enumerate(("ones", "tens", "hundreds")):
        digit = top[i] - borrow
        lower = _digits(b, 3)[i]
        if digit < lower:
            steps.append(f"{place}: {digit} is less than {lower}, so regroup: {digit + 10} - {lower} = {digit + 10 - lower}.")
            borrow = 1
        else:
            steps.append(f"{place}: {digit} - {lower} = {digit - lower}.")
            borrow = 0
    return work(a - b, *steps)


def _smaller_from_larger(p: dict):
    a, b = p["a"], p["b"]
    cols = [abs(x - y) for x, y in zip(_digits(a, 3), _digits(b, 3))]
    value = int("".join(str(c) for c in cols[::-1]))
    steps = [f"{place}: {max(x, y)} - {min(x, y)} = {abs(x - y)}."
             for place, x, y in zip(("ones", "tens", "hundreds"), _digits(a, 3), _digits(b, 3))]
    return work(value, f"{a} - {b}, one column at a time.", *steps)


def _borrow_without_reducing(p: dict):
    a, b = p["a"], p["b"]
    steps, cols = [f"{a} - {b}, one column at a time."], []
    for place, x, y in zip(("ones", "tens", "hundreds"), _digits(a, 3), _digits(b, 3)):
        if x < y:
            steps.append(f"{place}: {x} is too small, so make it {x + 10}: {x + 10} - {y} = {x + 10 - y}.")
            cols.append(x + 10 - y)
        else:
            steps.append(f"{place}: {x} - {y} = {x - y}.")
            cols.append(x - y)
    return work(sum(c * 10**i for i, c in enumerate(cols)), *steps)


SUBTRACTION = Family(
    name="subtraction-regrouping", topic="subtraction", grades=(3, 4),
    title="Three-digit subtraction with regrouping",
    objective="Help the student subtract three-digit numbers by regrouping when a top digit is smaller.",
    knows="Knows subtraction facts to 20 and can subtract three-digit numbers when no regrouping is needed.",
    sample=_sample_subtraction, solve=_solve_subtraction,
    stories=(
        "The school library had {a} books. {name} helped pack {b} of them into boxes for another school. "
        "How many books are left in the library?",
        "{name}'s class is collecting {things}. The goal is {a}, and so far they have {b}. "
        "How many more {things} do they need to reach the goal?",
        "A farm stand started the day with {a} {produce} and sold {b} of them. How many {produce} were not sold?",
    ),
    contexts=({"things": "cans of food", "produce": "apples"}, {"things": "stickers", "produce": "eggs"},
              {"things": "bottle caps", "produce": "peaches"}, {"things": "pencils", "produce": "ears of corn"}),
    rules={"smaller-from-larger": _smaller_from_larger, "borrow-without-reducing": _borrow_without_reducing},
    keywords="regrouping borrowing whole number",
)


def _sample_groups(rng) -> dict:
    return {"n": rng.randint(3, 9), "k": rng.randint(3, 9)}


EQUAL_GROUPS = Family(
    name="equal-groups", topic="multiplication", grades=(3, 4),
    title="Multiplication as equal groups",
    objective="Help the student see the story as equal groups and find the total by multiplying.",
    knows="Can skip-count by 2s, 5s and 10s and knows some multiplication facts.",
    sample=_sample_groups,
    solve=lambda p: work(p["n"] * p["k"], f"There are {p['n']} groups with {p['k']} in each group.",
                         f"{p['n']} × {p['k']} = {p['n'] * p['k']}."),
    stories=(
        "{name} has {n} {boxes}. Each one holds {k} {things}. How many {things} does {name} have in all?",
        "There are {n} {boxes} on the table, and {name} puts {k} {things} in each. "
        "How many {things} are there altogether?",
    ),
    contexts=({"boxes": "boxes", "things": "crayons"}, {"boxes": "bags", "things": "marbles"},
              {"boxes": "plates", "things": "cookies"}, {"boxes": "vases", "things": "flowers"},
              {"boxes": "packs", "things": "cards"}),
    rules={"add-instead-of-multiply": lambda p: work(
        p["n"] + p["k"], f"There are {p['n']} and {p['k']}.", f"{p['n']} + {p['k']} = {p['n'] + p['k']}.")},
    keywords="times groups arrays",
)


def _sample_remainder(rng) -> dict:
    while True:
        size = rng.randint(6, 30)
        total = rng.randint(size * 2 + 1, size * 9)
        if total % size:
            return {"total": total, "size": size}


def _solve_remainder(p: dict):
    q, r = divmod(p["total"], p["size"])
    return work(q + 1, f"{p['total']} ÷ {p['size']} = {q} remainder {r}.",
                f"{q} full groups hold {q * p['size']}; the other {r} still need one more.", f"{q} + 1 = {q + 1}.")


REMAINDERS = Family(
    name="division-remainder", topic="division", grades=(4, 6),
    title="Division with a remainder that needs one more group",
    objective="Help the student decide what the remainder means in the story and why one more group is needed.",
    knows="Can divide with a remainder using long division.",
    sample=_sample_remainder, solve=_solve_remainder,
    stories=(
        "{total} students are going on a field trip. Each {vehicle} holds {size} students. "
        "How many {vehicles} does the school need so that every student can go?",
        "{name} is packing {total} {things} into boxes that hold {size} each. "
        "How many boxes does {he} need to pack all of them?",
    ),
    contexts=({"vehicle": "bus", "vehicles": "buses", "things": "books"},
              {"vehicle": "van", "vehicles": "vans", "things": "jars"},
              {"vehicle": "minibus", "vehicles": "minibuses", "things": "cupcakes"}),
    rules={"ignore-remainder": lambda p: work(
        p["total"] // p["size"], f"{p['total']} ÷ {p['size']} = {p['total'] // p['size']} remainder "
        f"{p['total'] % p['size']}.", "The remainder is left over, so I drop it.")},
    keywords="remainder divide",
)


def _sample_order(rng) -> dict:
    return {"a": rng.randint(2, 20), "b": rng.randint(2, 9), "c": rng.randint(2, 9), "d": rng.randint(2, 15)}


ORDER = Family(
    name="order-of-operations", topic="order of operations", grades=(5, 7),
    title="Order of operations",
    objective="Help the student evaluate the expression using the order of operations and explain why it matters.",
    knows="Adds, subtracts and multiplies whole numbers fluently; has heard of PEMDAS.",
    sample=_sample_order,
    solve=lambda p: work(p["a"] + p["b"] * p["c"] - p["d"],
                         f"Multiply first: {p['b']} × {p['c']} = {p['b'] * p['c']}.",
                         f"Then left to right: {p['a']} + {p['b'] * p['c']} - {p['d']} = "
                         f"{p['a'] + p['b'] * p['c'] - p['d']}."),
    stories=(
        "{name} wrote the expression {a} + {b} × {c} - {d} on the board. What is its value?",
        "Evaluate {a} + {b} × {c} - {d}. {name} says the order you do the steps in matters. What is the value?",
        "At the game, {name} scored {a} points, then {b} baskets worth {c} points each, and then lost {d} points "
        "for a foul. The scorekeeper wrote {a} + {b} × {c} - {d}. What is the value of the expression?",
    ),
    rules={
        "left-to-right": lambda p: work(
            (p["a"] + p["b"]) * p["c"] - p["d"], f"{p['a']} + {p['b']} = {p['a'] + p['b']}.",
            f"{p['a'] + p['b']} × {p['c']} = {(p['a'] + p['b']) * p['c']}.",
            f"{(p['a'] + p['b']) * p['c']} - {p['d']} = {(p['a'] + p['b']) * p['c'] - p['d']}."),
    },
    keywords="pemdas bodmas expressions",
)


def _sample_add_sub(rng) -> dict:
    while True:
        a, b, c = rng.randint(20, 60), rng.randint(3, 15), rng.randint(2, 12)
        if a - (b + c) > 0:
            return {"a": a, "b": b, "c": c}


ADD_SUB = Family(
    name="subtract-then-add", topic="order of operations", grades=(5, 7),
    title="Addition and subtraction from left to right",
    objective="Help the student see that addition and subtraction have equal priority and are done left to right.",
    knows="Knows multiplication comes before addition; has memorised PEMDAS as a fixed order of letters.",
    sample=_sample_add_sub,
    solve=lambda p: work(p["a"] - p["b"] + p["c"], f"Left to right: {p['a']} - {p['b']} = {p['a'] - p['b']}.",
                         f"{p['a'] - p['b']} + {p['c']} = {p['a'] - p['b'] + p['c']}."),
    stories=(
        "{name} had {a} dollars, spent {b} dollars on lunch and then earned {c} dollars walking a dog. "
        "{He} wrote {a} - {b} + {c}. What is the value of the expression?",
        "Evaluate {a} - {b} + {c}. {name} is not sure which operation comes first. What is the value?",
    ),
    rules={"addition-before-subtraction": lambda p: work(
        p["a"] - (p["b"] + p["c"]), f"Addition comes before subtraction: {p['b']} + {p['c']} = {p['b'] + p['c']}.",
        f"{p['a']} - {p['b'] + p['c']} = {p['a'] - (p['b'] + p['c'])}.")},
    keywords="pemdas bodmas expressions",
)

FAMILIES = [SUBTRACTION, EQUAL_GROUPS, REMAINDERS, ORDER, ADD_SUB]
