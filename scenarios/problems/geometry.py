"""Measurement and geometry families (grades 3-9): area, perimeter, volume, circles, Pythagoras, scaling."""

from __future__ import annotations

from decimal import Decimal

from practicum.scenarios.problems.base import Family, Misconception, show, work

_AREA_STUDIES = "Woodward & Byrd 1983; Kidman 1999, area and perimeter confusion"
PI = Decimal("3.14")

MISCONCEPTIONS = [
    Misconception("area-as-perimeter", "math", (3, 6), "area and perimeter",
                  "Adds up the side lengths (the perimeter) when asked for the area.",
                  "Confuses area with perimeter and adds the sides whenever a shape has measurements.", _AREA_STUDIES),
    Misconception("perimeter-as-area", "math", (3, 6), "area and perimeter",
                  "Multiplies length by width (the area) when asked for the perimeter.",
                  "Believes you always multiply the two side lengths of a rectangle.", _AREA_STUDIES),
    Misconception("add-two-sides", "math", (3, 5), "area and perimeter",
                  "Adds only the two labelled sides of a rectangle for its perimeter.",
                  "Believes the perimeter of a rectangle is its length plus its width."),
    Misconception("forget-the-half", "math", (5, 8), "area",
                  "Finds the area of a triangle as base times height, as for a rectangle.",
                  "Believes a triangle's area is base times height, forgetting it is half of a rectangle."),
    Misconception("add-the-dimensions", "math", (5, 7), "volume",
                  "Adds length, width and height to find the volume of a box.",
                  "Believes volume is found by adding the three measurements."),
    Misconception("use-diameter-as-radius", "math", (7, 9), "circles",
                  "Uses the diameter where the formula for the area of a circle needs the radius.",
                  "Puts the diameter into A = πr² as if it were the radius."),
    Misconception("add-the-legs", "math", (8, 10), "Pythagorean theorem",
                  "Adds the two legs of a right triangle to get the hypotenuse.",
                  "Believes the long side of a right triangle is the sum of the other two sides."),
    Misconception("forget-the-square-root", "math", (8, 10), "Pythagorean theorem",
                  "Stops at a² + b² and gives that as the length of the hypotenuse.",
                  "Believes c = a² + b², forgetting that this is c², not c."),
    Misconception("area-scales-linearly", "math", (7, 10), "area",
                  "Thinks scaling the sides by k scales the area by k rather than k².",
                  "Believes doubling every side of a shape doubles its area.",
                  "De Bock, Verschaffel & Janssens 1998, the illusion of linearity"),
]


def _sample_rectangle(rng) -> dict:
    length, width = rng.sample(range(2, 13), 2)
    return {"l": max(length, width), "w": min(length, width)}


RECT_CONTEXTS = ({"thing": "garden", "unit": "metres", "unit_one": "metre"},
                 {"thing": "rug", "unit": "feet", "unit_one": "foot"},
                 {"thing": "playground", "unit": "metres", "unit_one": "metre"},
                 {"thing": "poster", "unit": "inches", "unit_one": "inch"},
                 {"thing": "vegetable patch", "unit": "metres", "unit_one": "metre"})

AREA = Family(
    name="rectangle-area", topic="area", grades=(3, 5), title="Area of a rectangle",
    objective="Help the student tell area from perimeter and find the area by counting unit squares or multiplying.",
    knows="Measures lengths and knows multiplication facts to 10 × 10.",
    sample=_sample_rectangle,
    solve=lambda p: work(p["l"] * p["w"], f"The {p['l']} by {p['w']} rectangle holds {p['l']} rows of {p['w']} "
                         "unit squares.", f"Area = {p['l']} × {p['w']} = {p['l'] * p['w']} square units."),
    stories=(
        "A rectangular {thing} is {l} {unit} long and {w} {unit} wide. What is its area in square {unit}? "
        "{name} needs to know how much to cover.",
        "{name} is covering a {thing} that is {l} {unit} by {w} {unit} with square tiles 1 {unit_one} on a side. "
        "How many tiles does {he} need?",
    ),
    contexts=RECT_CONTEXTS,
    rules={"area-as-perimeter": lambda p: work(
        2 * (p["l"] + p["w"]), f"{p['l']} + {p['w']} + {p['l']} + {p['w']} = {2 * (p['l'] + p['w'])}.")},
    keywords="area rectangle square units",
)

PERIMETER = Family(
    name="rectangle-perimeter", topic="perimeter", grades=(3, 4), title="Perimeter of a rectangle",
    objective="Help the student see the perimeter as the distance all the way around: all four sides.",
    knows="Adds two-digit numbers and knows a rectangle has two pairs of equal sides.",
    sample=_sample_rectangle,
    solve=lambda p: work(2 * (p["l"] + p["w"]), "The perimeter goes around all four sides.",
                         f"{p['l']} + {p['w']} + {p['l']} + {p['w']} = {2 * (p['l'] + p['w'])}."),
    stories=(
        "A rectangular {thing} is {l} {unit} long and {w} {unit} wide. {name} wants to put a border all the way "
        "around it. How many {unit} of border does {he} need?",
        "What is the perimeter of a rectangle {l} {unit} long and {w} {unit} wide? {name} is fencing a {thing}.",
    ),
    contexts=RECT_CONTEXTS,
    rules={
        "add-two-sides": lambda p: work(p["l"] + p["w"], f"{p['l']} + {p['w']} = {p['l'] + p['w']}."),
        "perimeter-as-area": lambda p: work(p["l"] * p["w"], f"{p['l']} × {p['w']} = {p['l'] * p['w']}."),
    },
    keywords="perimeter rectangle around border fence",
)


def _sample_triangle(rng) -> dict:
    while True:
        b, h = rng.randint(3, 20), rng.randint(2, 15)
        if b * h % 2 == 0:
            return {"b": b, "h": h}


TRIANGLE = Family(
    name="triangle-area", topic="area", grades=(5, 7), title="Area of a triangle",
    objective="Help the student see a triangle as half of a rectangle with the same base and height.",
    knows="Finds the area of rectangles; has seen the triangle formula.",
    sample=_sample_triangle,
    solve=lambda p: work(p["b"] * p["h"] // 2, "A triangle is half of a rectangle with the same base and height.",
                         f"1/2 × {p['b']} × {p['h']} = {p['b'] * p['h'] // 2}."),
    stories=(
        "A triangular {thing} has a base of {b} metres and a height of {h} metres. What is its area in square "
        "metres? {name} is buying {stuff} for it.",
        "Find the area of a triangle with base {b} cm and height {h} cm. {name} drew it on grid paper.",
    ),
    contexts=({"thing": "sail", "stuff": "cloth"}, {"thing": "flower bed", "stuff": "soil"},
              {"thing": "banner", "stuff": "paint"}),
    rules={"forget-the-half": lambda p: work(p["b"] * p["h"], f"Area = base × height = {p['b']} × {p['h']} = "
                                           f"{p['b'] * p['h']}.")},
    keywords="area triangle base height",
)


def _sample_box(rng) -> dict:
    return {"l": rng.randint(2, 12), "w": rng.randint(2, 8), "h": rng.randint(2, 10)}


VOLUME = Family(
    name="box-volume", topic="volume", grades=(5, 6), title="Volume of a box",
    objective="Help the student see volume as layers of unit cubes: length × width × height.",
    knows="Finds the area of a rectangle and counts cubes in small models.",
    sample=_sample_box,
    solve=lambda p: work(p["l"] * p["w"] * p["h"], f"One layer holds {p['l']} × {p['w']} = {p['l'] * p['w']} cubes.",
                         f"{p['h']} layers: {p['l'] * p['w']} × {p['h']} = {p['l'] * p['w'] * p['h']} cubic units."),
    stories=(
        "A box is {l} cm long, {w} cm wide and {h} cm tall. How many 1-cm cubes does {name} need to fill it?",
        "{name}'s fish tank is {l} inches long, {w} inches wide and {h} inches high. What is its volume in cubic "
        "inches?",
    ),
    rules={"add-the-dimensions": lambda p: work(
        p["l"] + p["w"] + p["h"], f"{p['l']} + {p['w']} + {p['h']} = {p['l'] + p['w'] + p['h']}.")},
    keywords="volume box cubes prism",
)


def _sample_circle(rng) -> dict:
    return {"d": 2 * rng.randint(1, 10)}


CIRCLE = Family(
    name="circle-area", topic="circles", grades=(7, 8), title="Area of a circle from its diameter",
    objective="Help the student find the radius (half the diameter) before using A = πr².",
    knows="Knows the parts of a circle and the formula A = πr².",
    sample=_sample_circle,
    solve=lambda p: work(PI * (p["d"] // 2) ** 2, f"The radius is half the diameter: {p['d']} ÷ 2 = {p['d'] // 2}.",
                         f"A = 3.14 × {p['d'] // 2}² = {show(PI * (p['d'] // 2) ** 2)}."),
    stories=(
        "A circular {thing} has a diameter of {d} metres. Using 3.14 for π, what is its area in square metres?",
        "{name} is painting a round {thing} that is {d} feet across. Using π = 3.14, what area in square feet "
        "will {he} paint?",
    ),
    contexts=({"thing": "pond"}, {"thing": "table top"}, {"thing": "trampoline"}),
    rules={"use-diameter-as-radius": lambda p: work(
        PI * p["d"] ** 2, f"A = 3.14 × {p['d']}² = {show(PI * p['d'] ** 2)}.")},
    keywords="circle area radius diameter pi",
)

TRIPLES = ((3, 4, 5), (5, 12, 13), (8, 15, 17), (7, 24, 25), (20, 21, 29), (9, 40, 41))


def _sample_pythagoras(rng) -> dict:
    a, b, c = rng.choice(TRIPLES)
    k = rng.choice((1, 1, 2, 3))
    a, b = (a, b) if rng.random() < 0.5 else (b, a)
    return {"a": a * k, "b": b * k, "c": c * k}


PYTHAGORAS = Family(
    name="pythagorean-theorem", topic="Pythagorean theorem", grades=(8, 9), title="Finding the hypotenuse",
    objective="Help the student use a² + b² = c² and take the square root to find c.",
    knows="Squares numbers and finds square roots of perfect squares.",
    sample=_sample_pythagoras,
    solve=lambda p: work(p["c"], f"{p['a']}² + {p['b']}² = {p['a'] ** 2} + {p['b'] ** 2} = {p['c'] ** 2}.",
                         f"c = √{p['c'] ** 2} = {p['c']}."),
    stories=(
        "A right triangle has legs of {a} cm and {b} cm. How long is the hypotenuse, in cm?",
        "A ladder reaches {b} feet up a wall, and its foot is {a} feet from the wall. How long is the ladder? "
        "{name} needs to know before buying one.",
        "{name} walks {a} blocks east and then {b} blocks north. How many blocks is {he} from the start in a "
        "straight line?",
    ),
    rules={
        "add-the-legs": lambda p: work(p["a"] + p["b"], f"{p['a']} + {p['b']} = {p['a'] + p['b']}."),
        "forget-the-square-root": lambda p: work(
            p["a"] ** 2 + p["b"] ** 2, f"{p['a']}² + {p['b']}² = {p['a'] ** 2} + {p['b'] ** 2} = "
            f"{p['a'] ** 2 + p['b'] ** 2}."),
    },
    keywords="pythagoras pythagorean right triangle hypotenuse",
)


def _sample_scaled(rng) -> dict:
    return {**_sample_rectangle(rng), "k": rng.choice((2, 3, 4))}


SCALED = Family(
    name="scaled-area", topic="area", grades=(7, 9), title="Area after scaling a shape",
    objective="Help the student see that scaling both dimensions by k multiplies the area by k × k.",
    knows="Finds areas of rectangles and enlarges shapes by a scale factor.",
    sample=_sample_scaled,
    solve=lambda p: work(p["l"] * p["w"] * p["k"] ** 2, f"New sides: {p['l'] * p['k']} and {p['w'] * p['k']}.",
                         f"New area: {p['l'] * p['k']} × {p['w'] * p['k']} = {p['l'] * p['w'] * p['k'] ** 2}."),
    stories=(
        "A photo is {l} cm by {w} cm. {name} enlarges it so that every side is {k} times as long. What is the "
        "area of the enlarged photo in square cm?",
        "A rectangular {thing} is {l} m by {w} m. A new one is planned with each side {k} times as long. What "
        "will its area be in square metres?",
    ),
    contexts=({"thing": "garden"}, {"thing": "parking lot"}, {"thing": "stage"}),
    rules={"area-scales-linearly": lambda p: work(
        p["l"] * p["w"] * p["k"], f"The old area is {p['l']} × {p['w']} = {p['l'] * p['w']}.",
        f"Sides {p['k']} times as long, so the area is {p['k']} times as big: {p['l'] * p['w']} × {p['k']} = "
        f"{p['l'] * p['w'] * p['k']}.")},
    keywords="area scale factor enlargement similar",
)

FAMILIES = [AREA, PERIMETER, TRIANGLE, VOLUME, CIRCLE, PYTHAGORAS, SCALED]
