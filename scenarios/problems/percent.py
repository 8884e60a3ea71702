"""Percent families (grades 6-11): percent of an amount, discounts, reverse percent, successive and compound change."""

from __future__ import annotations

from fractions import Fraction

from practicum.scenarios.problems.base import Family, Misconception, dec, money, work

MISCONCEPTIONS = [
    Misconception("forgets-to-divide-by-100", "math", (6, 8), "percent",
                  "Multiplies by the percent number itself, forgetting that percent means out of 100.",
                  "Believes 20% of 50 means 20 × 50."),
    Misconception("subtract-percent-as-dollars", "math", (6, 8), "percent",
                  "Subtracts the percent number from the price as if it were an amount of money.",
                  "Believes '25% off' means taking 25 dollars off."),
    Misconception("discount-as-price", "math", (6, 8), "percent",
                  "Finds the discount and reports it as the sale price.",
                  "Stops once the percent is worked out, taking it to be the new price."),
    Misconception("percent-of-new-price", "math", (7, 10), "percent",
                  "Undoes a percent decrease by adding the same percent of the new price.",
                  "Believes that to undo 25% off you add 25% of the sale price back.",
                  "Parker & Leinhardt 1995, percent: a privileged proportion"),
    Misconception("add-the-percents", "math", (8, 11), "percent",
                  "Adds successive percent changes as if both applied to the original amount.",
                  "Believes 20% off and then 10% off is the same as 30% off."),
    Misconception("simple-instead-of-compound", "math", (9, 11), "exponential growth",
                  "Adds the same growth every year instead of growing the new amount each year.",
                  "Treats a yearly percent increase as the same amount added each year."),
    Misconception("interest-every-month", "math", (7, 9), "percent",
                  "Charges a loan's total interest rate again for every month of the loan.",
                  "Multiplies the interest by the number of months even when the rate is for the whole loan."),
]

PERCENTS = (10, 20, 25, 30, 40, 50, 60, 75)


def _sample_of(rng) -> dict:
    return {"pct": rng.choice((5, 15, *PERCENTS)), "n": 20 * rng.randint(2, 20)}


PERCENT_OF = Family(
    name="percent-of-amount", topic="percent", grades=(6, 7), title="Finding a percent of an amount",
    objective="Help the student read a percent as a number out of 100 and find that part of the amount.",
    knows="Multiplies and divides whole numbers; knows 50% is a half.",
    sample=_sample_of,
    solve=lambda p: work(dec(Fraction(p["pct"] * p["n"], 100)), f"{p['pct']}% means {p['pct']}/100.",
                         f"{p['pct']}/100 × {p['n']} = {money(Fraction(p['pct'] * p['n'], 100))}."),
    stories=(
        "{name}'s school has {n} students, and {pct}% of them {verb}. How many students is that?",
        "A {item} costs {n} dollars and the sales tax is {pct}%. How many dollars of tax does {name} pay?",
        "What is {pct}% of {n}? {name} needs it for {his} survey results.",
    ),
    contexts=({"verb": "walk to school", "item": "bicycle"}, {"verb": "play an instrument", "item": "jacket"},
              {"verb": "have a pet", "item": "tablet"}),
    rules={"forgets-to-divide-by-100": lambda p: work(
        p["pct"] * p["n"], f"{p['pct']}% of {p['n']} means {p['pct']} × {p['n']}.",
        f"{p['pct']} × {p['n']} = {p['pct'] * p['n']}.")},
    keywords="percentage part whole",
)


def _sample_sale(rng) -> dict:
    return {"pct": rng.choice(PERCENTS), "price": 20 * rng.randint(2, 15)}


SALE = Family(
    name="sale-price", topic="percent", grades=(6, 8), title="Price after a percent discount",
    objective="Help the student find the discount as a percent of the price and subtract it.",
    knows="Can find simple percents of a number such as 10% and 50%.",
    sample=_sample_sale,
    solve=lambda p: work(dec(p["price"] * Fraction(100 - p["pct"], 100)),
                         f"Discount: {p['pct']}% of {p['price']} = {money(Fraction(p['pct'] * p['price'], 100))}.",
                         f"{p['price']} - {money(Fraction(p['pct'] * p['price'], 100))} = "
                         f"{money(p['price'] * Fraction(100 - p['pct'], 100))}."),
    stories=(
        "A {item} costs {price} dollars. It is on sale for {pct}% off. How many dollars does {name} pay for it "
        "on sale?",
        "{name} sees a {item} priced at {price} dollars with a sign that says {pct}% off. What is the sale price "
        "in dollars?",
    ),
    contexts=({"item": "pair of shoes"}, {"item": "backpack"}, {"item": "board game"}, {"item": "skateboard"}),
    rules={
        "subtract-percent-as-dollars": lambda p: work(
            p["price"] - p["pct"], f"{p['pct']}% off means take {p['pct']} off.",
            f"{p['price']} - {p['pct']} = {p['price'] - p['pct']}."),
        "discount-as-price": lambda p: work(
            dec(Fraction(p["pct"] * p["price"], 100)), f"{p['pct']}% of {p['price']} = "
            f"{money(Fraction(p['pct'] * p['price'], 100))}."),
    },
    keywords="discount sale off percentage",
)


def _sample_original(rng) -> dict:
    pct = rng.choice((10, 20, 25, 40, 50, 60, 75))
    original = 20 * rng.randint(2, 15)
    return {"pct": pct, "original": original, "sale": money(original * Fraction(100 - pct, 100))}


ORIGINAL = Family(
    name="original-price", topic="percent", grades=(7, 9), title="Finding the original price before a discount",
    objective="Help the student see the sale price as (100 - p)% of the original and work backwards by dividing.",
    knows="Finds a percent of an amount and the price after a discount.",
    sample=_sample_original,
    solve=lambda p: work(p["original"], f"After {p['pct']}% off, {p['sale']} is {100 - p['pct']}% of the original.",
                         f"Original = {p['sale']} ÷ {dec(Fraction(100 - p['pct'], 100))} = {p['original']}."),
    stories=(
        "After a {pct}% discount, a {item} costs {sale} dollars. What was its price, in dollars, before the "
        "discount? {name} wants to know how much {he} saved.",
        "{name} paid {sale} dollars for a {item} that was {pct}% off. What was the original price in dollars?",
    ),
    contexts=({"item": "jacket"}, {"item": "pair of headphones"}, {"item": "lamp"}, {"item": "scooter"}),
    rules={"percent-of-new-price": lambda p: work(
        dec(Fraction(p["sale"]) * Fraction(100 + p["pct"], 100)),
        f"{p['pct']}% of {p['sale']} = {money(Fraction(p['sale']) * Fraction(p['pct'], 100))}.",
        f"Add it back: {p['sale']} + {money(Fraction(p['sale']) * Fraction(p['pct'], 100))} = "
        f"{money(Fraction(p['sale']) * Fraction(100 + p['pct'], 100))}.")},
    keywords="reverse percentage discount undo",
)


def _sample_successive(rng) -> dict:
    first, second = rng.choice((10, 20, 25, 30, 40, 50)), rng.choice((10, 20, 25, 50))
    return {"price": 100 * rng.randint(1, 8) * 4, "first": first, "second": second}


def _successive(p: dict) -> Fraction:
    return p["price"] * Fraction(100 - p["first"], 100) * Fraction(100 - p["second"], 100)


SUCCESSIVE = Family(
    name="successive-discounts", topic="percent", grades=(8, 10), title="Two percent discounts in a row",
    objective="Help the student apply the second discount to the already reduced price.",
    knows="Finds the price after a single percent discount.",
    sample=_sample_successive,
    solve=lambda p: work(dec(_successive(p)), f"After {p['first']}% off: {p['price']} × "
                         f"{dec(Fraction(100 - p['first'], 100))} = {money(p['price'] * Fraction(100 - p['first'], 100))}.",
                         f"After another {p['second']}% off: {money(p['price'] * Fraction(100 - p['first'], 100))} × "
                         f"{dec(Fraction(100 - p['second'], 100))} = {money(_successive(p))}."),
    stories=(
        "A {item} costs {price} dollars. The store takes {first}% off, and then {name} uses a coupon for "
        "{second}% off the reduced price. How many dollars does {he} pay?",
        "A {item} priced at {price} dollars is marked down {first}%, and a week later the new price is marked down "
        "another {second}%. What is the final price in dollars?",
    ),
    contexts=({"item": "television"}, {"item": "bicycle"}, {"item": "sofa"}, {"item": "laptop"}),
    rules={"add-the-percents": lambda p: work(
        dec(p["price"] * Fraction(100 - p["first"] - p["second"], 100)),
        f"{p['first']}% + {p['second']}% = {p['first'] + p['second']}% off.",
        f"{p['price']} × {dec(Fraction(100 - p['first'] - p['second'], 100))} = "
        f"{money(p['price'] * Fraction(100 - p['first'] - p['second'], 100))}.")},
    keywords="discount percentage change successive",
)


def _sample_compound(rng) -> dict:
    return {"start": 100 * rng.randint(2, 50), "rate": rng.choice((5, 10, 20)), "years": rng.choice((2, 3))}


def _compound(p: dict) -> Fraction:
    return p["start"] * Fraction(100 + p["rate"], 100) ** p["years"]


COMPOUND = Family(
    name="compound-growth", topic="exponential growth", grades=(9, 11), title="Compound percent growth",
    objective="Help the student see that each year's growth applies to the new amount, so the growth compounds.",
    knows="Finds a percent increase of an amount; has met exponents.",
    sample=_sample_compound,
    solve=lambda p: work(dec(_compound(p)), f"Each year multiply by {dec(Fraction(100 + p['rate'], 100))}.",
                         f"{p['start']} × {dec(Fraction(100 + p['rate'], 100))}^{p['years']} = {money(_compound(p))}."),
    stories=(
        "{name} puts {start} dollars in a savings account that earns {rate}% interest, compounded once a year. "
        "How many dollars are in the account after {years} years?",
        "A town has {start} people, and its population grows by {rate}% every year. How many people live there "
        "after {years} years?",
    ),
    rules={"simple-instead-of-compound": lambda p: work(
        dec(p["start"] * (1 + Fraction(p["rate"] * p["years"], 100))),
        f"{p['rate']}% of {p['start']} = {money(Fraction(p['rate'] * p['start'], 100))} each year.",
        f"{p['years']} years: {p['start']} + {p['years']} × {money(Fraction(p['rate'] * p['start'], 100))} = "
        f"{money(p['start'] * (1 + Fraction(p['rate'] * p['years'], 100)))}.")},
    keywords="compound interest exponential growth percentage",
)


def _sample_loan(rng) -> dict:
    return {"borrowed": 50 * rng.randint(10, 120), "months": rng.choice((2, 4, 5, 8, 10)),
            "rate": rng.choice((4, 5, 8, 10, 20))}


def _loan(p: dict, per_month: bool) -> Fraction:
    interest = Fraction(p["rate"], 100) * (p["months"] if per_month else 1)
    return p["borrowed"] * (1 + interest) / p["months"]


LOAN = Family(
    name="loan-payments", topic="percent", grades=(7, 9), title="Monthly payments on a loan",
    objective="Help the student find the total to repay (loan plus interest) and then split it into equal payments.",
    knows="Finds a percent of an amount and divides money amounts.",
    sample=_sample_loan,
    solve=lambda p: work(dec(_loan(p, False)),
                         f"Interest: {p['borrowed']} × {dec(Fraction(p['rate'], 100))} = "
                         f"{money(p['borrowed'] * Fraction(p['rate'], 100))}.",
                         f"Total: {p['borrowed']} + {money(p['borrowed'] * Fraction(p['rate'], 100))} = "
                         f"{money(p['borrowed'] * (1 + Fraction(p['rate'], 100)))}.",
                         f"Each month: {money(p['borrowed'] * (1 + Fraction(p['rate'], 100)))} ÷ {p['months']} = "
                         f"{money(_loan(p, False))}."),
    stories=(
        "{name} borrowed {borrowed} dollars for {months} months at an interest rate of {rate}% for the whole loan. "
        "{He} pays back the loan and the interest in equal monthly amounts. How many dollars does {he} pay each "
        "month?",
    ),
    rules={"interest-every-month": lambda p: work(
        dec(_loan(p, True)), f"Interest is {p['rate']}% for each of the {p['months']} months: {p['borrowed']} × "
        f"{dec(Fraction(p['rate'], 100))} × {p['months']} = {money(p['borrowed'] * Fraction(p['rate'] * p['months'], 100))}.",
        f"Total: {money(p['borrowed'] * (1 + Fraction(p['rate'] * p['months'], 100)))}; ÷ {p['months']} = "
        f"{money(_loan(p, True))}.")},
    keywords="interest loan money word problem",
)

FAMILIES = [PERCENT_OF, SALE, ORIGINAL, SUCCESSIVE, COMPOUND, LOAN]
