"""Multi-step word problems in the style of MathDial (grades 4-8): working backwards, change, tickets, bids.

MathDial's student profiles name the typical difficulties these families turn into rules: choosing the
operation, telling relevant from irrelevant information, and skipping a step.
"""

from __future__ import annotations

from fractions import Fraction

from practicum.scenarios.problems.base import Family, Misconception, dec, money, work

_MATHDIAL = "Macina et al. 2023, MathDial (typical student confusions)"

MISCONCEPTIONS = [
    Misconception("subtract-when-working-backwards", "math", (4, 7), "multi-step word problems",
                  "Working backwards, subtracts an amount that was used up instead of adding it back.",
                  "Believes that in a 'how many at the start' story you subtract every number from the end amount.",
                  _MATHDIAL),
    Misconception("price-of-one-for-all", "math", (4, 6), "multi-step word problems",
                  "Uses the price of one item as the cost of the whole purchase, skipping the multiplication.",
                  "Skips the step that turns the price of one item into the cost of several.", _MATHDIAL),
    Misconception("one-price-for-everyone", "math", (4, 7), "multi-step word problems",
                  "Charges every person the first price in the story, ignoring that the groups pay different prices.",
                  "Adds up all the people and multiplies by one price.", _MATHDIAL),
    Misconception("use-every-number", "math", (5, 8), "multi-step word problems",
                  "Uses every number in the story, including one that does not matter to the question.",
                  "Believes every number in a word problem must be used in the calculation.", _MATHDIAL),
    Misconception("count-only-the-others", "math", (6, 8), "multi-step word problems",
                  "Counts the other bidders' raises but not the raises the buyer made in between.",
                  "Loses track of one of two interleaved sequences of events.", _MATHDIAL),
]


def _sample_backwards(rng) -> dict:
    a, b = rng.sample(range(2, 13), 2)  # different, so the story's two events cannot cancel out
    return {"a": a, "b": b, "c": a + b + rng.randint(3, 25)}


BACKWARDS = Family(
    name="working-backwards", topic="multi-step word problems", grades=(4, 7), title="Working backwards to the start",
    objective="Help the student undo each event in reverse: add back what was used and take away what was added.",
    knows="Adds and subtracts fluently; can write a number sentence for a one-step story.",
    sample=_sample_backwards,
    solve=lambda p: work(p["c"] + p["b"] - p["a"], f"Before using {p['b']}, there were {p['c']} + {p['b']} = "
                         f"{p['c'] + p['b']}.", f"Take away the {p['a']} that were added: {p['c'] + p['b']} - {p['a']} "
                         f"= {p['c'] + p['b'] - p['a']}."),
    stories=(
        "{name} bought a package of {things}. Later a friend gave {him} {a} more {things}. {He} used {b} of them "
        "while {activity}, and then {he} had {c} {things}. How many {things} were in the package {name} bought?",
        "{name} had some {things}. {His} aunt gave {him} {a} more, and then {he} used {b} while {activity}. Now "
        "{he} has {c}. How many {things} did {name} have at first?",
    ),
    contexts=({"things": "spoons", "activity": "tasting the stew"}, {"things": "stickers", "activity": "decorating cards"},
              {"things": "beads", "activity": "making bracelets"}, {"things": "nails", "activity": "building a shelf"}),
    rules={"subtract-when-working-backwards": lambda p: work(
        p["c"] - p["b"] - p["a"], f"{p['c']} - {p['b']} = {p['c'] - p['b']}.",
        f"{p['c'] - p['b']} - {p['a']} = {p['c'] - p['b'] - p['a']}.")},
    keywords="word problem work backwards multi step start",
)


def _sample_change(rng) -> dict:
    n, price = rng.randint(2, 6), dec(Fraction(rng.randint(3, 30), 2))
    paid = next(bill for bill in (10, 20, 50, 100) if bill > n * price)
    return {"n": n, "price": money(price), "paid": paid, "_price": price}


CHANGE = Family(
    name="making-change", topic="multi-step word problems", grades=(4, 6), title="Change from a purchase",
    objective="Help the student find the total cost first (quantity × price) and then the change.",
    knows="Multiplies and subtracts money amounts.",
    sample=_sample_change,
    solve=lambda p: work(dec(p["paid"] - p["n"] * p["_price"]), f"{p['n']} × {p['price']} = {money(p['n'] * p['_price'])}.",
                         f"{p['paid']} - {money(p['n'] * p['_price'])} = {money(p['paid'] - p['n'] * p['_price'])}."),
    stories=(
        "{name} buys {n} {things} that cost {price} dollars each and pays with a {paid}-dollar bill. How many "
        "dollars of change does {he} get?",
        "{things_cap} cost {price} dollars each. {name} buys {n} of them and hands the cashier {paid} dollars. "
        "How much change, in dollars, should {he} get back?",
    ),
    contexts=({"things": "notebooks", "things_cap": "Notebooks"}, {"things": "sandwiches", "things_cap": "Sandwiches"},
              {"things": "movie tickets", "things_cap": "Movie tickets"}),
    rules={"price-of-one-for-all": lambda p: work(
        dec(p["paid"] - p["_price"]), f"{p['paid']} - {p['price']} = {money(p['paid'] - p['_price'])}.")},
    keywords="money change shopping word problem multi step",
)


def _sample_tickets(rng) -> dict:
    adult = rng.randint(6, 15)
    return {"adults": rng.randint(2, 5), "kids": rng.randint(2, 6), "adult": adult, "child": adult - rng.randint(2, 5)}


TICKETS = Family(
    name="two-ticket-prices", topic="multi-step word problems", grades=(4, 6), title="Total cost at two prices",
    objective="Help the student find each group's cost separately and then add.",
    knows="Multiplies and adds whole numbers.",
    sample=_sample_tickets,
    solve=lambda p: work(p["adults"] * p["adult"] + p["kids"] * p["child"],
                         f"Adults: {p['adults']} × {p['adult']} = {p['adults'] * p['adult']}.",
                         f"Children: {p['kids']} × {p['child']} = {p['kids'] * p['child']}.",
                         f"{p['adults'] * p['adult']} + {p['kids'] * p['child']} = "
                         f"{p['adults'] * p['adult'] + p['kids'] * p['child']}."),
    stories=(
        "Tickets to the {place} cost {adult} dollars for adults and {child} dollars for children. {name}'s group "
        "has {adults} adults and {kids} children. How many dollars do their tickets cost in total?",
    ),
    contexts=({"place": "zoo"}, {"place": "science museum"}, {"place": "aquarium"}, {"place": "county fair"}),
    rules={"one-price-for-everyone": lambda p: work(
        (p["adults"] + p["kids"]) * p["adult"], f"{p['adults']} + {p['kids']} = {p['adults'] + p['kids']} people.",
        f"{p['adults'] + p['kids']} × {p['adult']} = {(p['adults'] + p['kids']) * p['adult']}.")},
    keywords="money tickets cost word problem multi step",
)


def _sample_irrelevant(rng) -> dict:
    each, friends = rng.randint(2, 6), rng.randint(2, 5)
    return {"start": each * friends + rng.randint(4, 30), "each": each, "friends": friends,
            "cost": rng.randint(2, 9)}


IRRELEVANT = Family(
    name="extra-information", topic="multi-step word problems", grades=(5, 8), title="A story with extra information",
    objective="Help the student decide which numbers the question needs before calculating.",
    knows="Multiplies and subtracts; writes number sentences for stories.",
    sample=_sample_irrelevant,
    solve=lambda p: work(p["start"] - p["each"] * p["friends"],
                         f"{p['each']} × {p['friends']} = {p['each'] * p['friends']} given away.",
                         f"{p['start']} - {p['each'] * p['friends']} = {p['start'] - p['each'] * p['friends']}. The "
                         "other number in the story does not matter."),
    stories=(
        "{name} had {start} {things}. {He} gave {each} to each of {friends} friends. The {things} had cost {cost} "
        "dollars a pack. How many {things} does {name} have left?",
        "A {place} had {start} {things}. On Monday it gave {each} {things} to each of {friends} schools. Each "
        "delivery took {cost} hours. How many {things} does the {place} have now?",
    ),
    contexts=({"things": "stickers", "place": "library"}, {"things": "books", "place": "charity"},
              {"things": "pencils", "place": "community centre"}),
    rules={"use-every-number": lambda p: work(
        p["start"] - p["each"] * p["friends"] - p["cost"], f"{p['each']} × {p['friends']} = {p['each'] * p['friends']}.",
        f"{p['start']} - {p['each'] * p['friends']} - {p['cost']} = {p['start'] - p['each'] * p['friends'] - p['cost']}.")},
    keywords="word problem relevant irrelevant information multi step",
)


def _sample_bids(rng) -> dict:
    return {"opening": 50 * rng.randint(2, 10), "raise_": rng.choice((10, 20, 25, 50)), "others": rng.randint(2, 5)}


BIDS = Family(
    name="auction-bids", topic="multi-step word problems", grades=(6, 8), title="Counting raises in an auction",
    objective="Help the student list every bid in order, the buyer's own raises included, before adding.",
    knows="Multiplies and adds; follows a sequence of events in a story.",
    sample=_sample_bids,
    solve=lambda p: work(p["opening"] + 2 * p["others"] * p["raise_"],
                         f"The others raise {p['others']} times and the buyer raises after each: "
                         f"{2 * p['others']} raises.", f"{2 * p['others']} × {p['raise_']} = {2 * p['others'] * p['raise_']}.",
                         f"{p['opening']} + {2 * p['others'] * p['raise_']} = {p['opening'] + 2 * p['others'] * p['raise_']}."),
    stories=(
        "{name} goes to an auction to win an antique {thing}. {He} accepts the opening bid of {opening} dollars. "
        "Each bid raises the price by {raise_} dollars, {others} other people each bid once, and {name} bids after "
        "each of them and wins. How many dollars does the {thing} cost {him}?",
    ),
    contexts=({"thing": "desk"}, {"thing": "clock"}, {"thing": "mirror"}, {"thing": "chair"}),
    rules={"count-only-the-others": lambda p: work(
        p["opening"] + p["others"] * p["raise_"], f"{p['others']} people raise by {p['raise_']}: "
        f"{p['others']} × {p['raise_']} = {p['others'] * p['raise_']}.",
        f"{p['opening']} + {p['others'] * p['raise_']} = {p['opening'] + p['others'] * p['raise_']}.")},
    keywords="word problem auction multi step sequence",
)

FAMILIES = [BACKWARDS, CHANGE, TICKETS, IRRELEVANT, BIDS]
