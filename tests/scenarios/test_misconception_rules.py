"""Every misconception rule on known inputs: the right answer and the wrong one, worked out by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction as F

import pytest

from practicum.scenarios.answers import extract_numbers
from practicum.scenarios.problems import math_families, misconceptions
from practicum.scenarios.problems.base import NotShowable, as_decimal, same_value, show

D = Decimal
# (family, misconception rule, numbers, right answer, the rule's wrong answer), computed by hand.
CASES = [
    ("subtraction-regrouping", "smaller-from-larger", {"a": 503, "b": 278}, 225, 375),
    ("subtraction-regrouping", "borrow-without-reducing", {"a": 503, "b": 278}, 225, 335),
    ("equal-groups", "add-instead-of-multiply", {"n": 6, "k": 7}, 42, 13),
    ("division-remainder", "ignore-remainder", {"total": 53, "size": 12}, 5, 4),
    ("order-of-operations", "left-to-right", {"a": 3, "b": 4, "c": 5, "d": 2}, 21, 33),
    ("subtract-then-add", "addition-before-subtraction", {"a": 20, "b": 5, "c": 3}, 18, 12),
    ("fraction-of-a-set", "stop-at-one-part", {"num": 3, "den": 4, "n": 20}, 15, 5),
    ("comparing-fractions", "bigger-denominator-bigger-fraction", {"num": 3, "d1": 8, "d2": 5}, F(3, 5), F(3, 8)),
    ("equivalent-fractions", "add-the-difference", {"a": 2, "b": 3, "k": 4, "bk": 12}, 8, 11),
    ("fraction-addition", "add-across", {"a": 1, "b": 2, "c": 1, "d": 3}, F(5, 6), F(2, 5)),
    ("fraction-addition", "keep-larger-denominator", {"a": 1, "b": 2, "c": 1, "d": 3}, F(5, 6), F(2, 3)),
    ("fraction-times-whole", "multiply-both-parts", {"a": 2, "b": 5, "n": 3}, F(6, 5), F(2, 5)),
    ("fraction-division", "flip-the-first-fraction", {"a": 1, "b": 2, "c": 3, "d": 4}, F(2, 3), F(3, 2)),
    ("fraction-division", "multiply-without-flipping", {"a": 1, "b": 2, "c": 3, "d": 4}, F(2, 3), F(3, 8)),
    ("comparing-decimals", "longer-is-larger", {"x": D("0.45"), "y": D("0.5")}, D("0.5"), D("0.45")),
    ("comparing-decimals", "shorter-is-larger", {"x": D("0.6"), "y": D("0.65")}, D("0.65"), D("0.6")),
    ("adding-decimals", "line-up-right-digits", {"x": D("2.5"), "y": D("1.25")}, D("3.75"), D("1.5")),
    ("multiplying-decimals", "point-as-in-addition", {"x": D("0.3"), "y": D("0.2")}, D("0.06"), D("0.6")),
    ("decimal-times-ten", "append-a-zero", {"x": D("3.45"), "ten": 10}, D("34.5"), D("3.45")),
    ("decimal-hours", "decimal-hours-as-minutes", {"h": 3, "part": D("0.5"), "hours": "3.5"}, 210, 230),
    ("decimal-hours", "decimal-hours-as-minutes", {"h": 2, "part": D("0.75"), "hours": "2.75"}, 165, 195),
    ("percent-of-amount", "forgets-to-divide-by-100", {"pct": 20, "n": 50}, 10, 1000),
    ("sale-price", "subtract-percent-as-dollars", {"pct": 25, "price": 80}, 60, 55),
    ("sale-price", "discount-as-price", {"pct": 25, "price": 80}, 60, 20),
    ("original-price", "percent-of-new-price", {"pct": 25, "original": 80, "sale": "60"}, 80, 75),
    ("successive-discounts", "add-the-percents", {"price": 400, "first": 20, "second": 10}, 288, 280),
    ("compound-growth", "simple-instead-of-compound", {"start": 1000, "rate": 10, "years": 2}, 1210, 1200),
    # MathDial's Karan problem: $3,650 for 5 months at 10%; its student answered 1095.
    ("loan-payments", "interest-every-month", {"borrowed": 3650, "months": 5, "rate": 10}, 803, 1095),
    ("share-in-a-ratio", "part-to-part-as-part-to-whole", {"a": 2, "b": 3, "total": 45}, 18, 30),
    ("scaling-a-recipe", "add-the-difference", {"people": 4, "qty": 3, "more": 12}, 9, 11),
    ("unit-price", "divide-the-wrong-way", {"n": 4, "cost": D("10")}, D("2.5"), D("0.4")),
    ("travel-time", "divide-the-wrong-way", {"speed": 60, "distance": 150}, D("2.5"), D("0.4")),
    ("subtracting-a-negative", "minus-negative-is-minus", {"a": 5, "b": 3}, 8, 2),
    ("adding-signed-numbers", "drop-negative-sign", {"a": 7, "b": 4}, -3, 11),
    ("adding-signed-numbers", "always-positive-difference", {"a": 7, "b": 4}, -3, 3),
    ("temperature-drop", "always-positive-difference", {"a": 4, "b": 13}, -9, 9),
    ("multiplying-negatives", "two-negatives-make-a-negative", {"a": 3, "b": 4}, 12, -12),
    ("one-step-equation", "use-the-operation-shown", {"a": 4, "b": 10}, 6, 14),
    ("two-step-equation", "undo-in-written-order", {"a": 3, "b": 5, "c": 20}, 5, F(5, 3)),
    ("unknown-on-both-sides", "move-term-without-changing-sign",
     {"a": 5, "b": 3, "c": 2, "d": 12, "eq": "5x + 3 = 2x + 12"}, 3, F(9, 7)),
    ("equation-with-brackets", "distribute-to-first-term-only", {"a": 3, "b": 4, "c": 21}, 3, F(17, 3)),
    ("slope-from-two-points", "run-over-rise", {"x1": 1, "y1": 2, "x2": 3, "y2": 8}, 3, F(1, 3)),
    ("arithmetic-sequence", "one-step-too-many", {"a": 5, "d": 3, "n": 10, "t2": 8, "t3": 11}, 32, 35),
    ("rectangle-area", "area-as-perimeter", {"l": 7, "w": 5}, 35, 24),
    ("rectangle-perimeter", "add-two-sides", {"l": 7, "w": 5}, 24, 12),
    ("rectangle-perimeter", "perimeter-as-area", {"l": 7, "w": 5}, 24, 35),
    ("triangle-area", "forget-the-half", {"b": 10, "h": 6}, 30, 60),
    ("box-volume", "add-the-dimensions", {"l": 4, "w": 3, "h": 2}, 24, 9),
    ("circle-area", "use-diameter-as-radius", {"d": 10}, D("78.5"), D("314")),
    ("pythagorean-theorem", "add-the-legs", {"a": 3, "b": 4, "c": 5}, 5, 7),
    ("pythagorean-theorem", "forget-the-square-root", {"a": 3, "b": 4, "c": 5}, 5, 25),
    ("scaled-area", "area-scales-linearly", {"l": 4, "w": 3, "k": 2}, 48, 24),
    ("evaluating-powers", "multiply-base-by-exponent", {"a": 3, "n": 4}, 81, 12),
    ("product-of-powers", "multiply-the-exponents", {"a": 2, "m": 3, "n": 4}, 7, 12),
    ("negative-exponent", "negative-exponent-makes-negative", {"a": 2, "n": 3}, F(1, 8), -8),
    ("square-of-a-sum", "square-each-term", {"x": 5, "b": 3}, 64, 34),
    ("substituting-a-negative", "negative-squared-stays-negative", {"n": 5, "b": 2}, 35, -15),
    ("sum-of-logarithms", "add-inside-the-log", {"base": 2, "m": 3, "n": 2, "a": 8, "b": 4}, 32, 12),
    ("logarithm-of-a-product", "product-of-logs", {"base": 2, "m": 3, "n": 2, "a": 8, "b": 4}, 5, 6),
    ("fractional-exponent", "multiply-base-by-fraction", {"a": 8, "p": 2, "q": 3}, 4, F(16, 3)),
    # MathDial's spoons problem (bought x, got 5, used 3, has 12); its student answered 4.
    ("working-backwards", "subtract-when-working-backwards", {"a": 5, "b": 3, "c": 12}, 10, 4),
    ("making-change", "price-of-one-for-all", {"n": 4, "price": "2.50", "paid": 20, "_price": D("2.5")}, 10, D("17.5")),
    ("two-ticket-prices", "one-price-for-everyone", {"adults": 2, "kids": 3, "adult": 10, "child": 6}, 38, 50),
    ("extra-information", "use-every-number", {"start": 30, "each": 4, "friends": 5, "cost": 3}, 10, 7),
    # MathDial's auction problem ($200 opening, $50 raises, 3 other bidders); its student answered 350.
    ("auction-bids", "count-only-the-others", {"opening": 200, "raise_": 50, "others": 3}, 500, 350),
]
FAMILIES = {f.name: f for f in math_families()}


def _close(a: float, b) -> bool:
    return abs(a - float(b)) < 1e-9


@pytest.mark.parametrize("family,rule,params,right,wrong", CASES, ids=[f"{c[0]}/{c[1]}" for c in CASES])
def test_rule_on_known_numbers(family, rule, params, right, wrong):
    fam = FAMILIES[family]
    solved, buggy = fam.solve(params), fam.rules[rule](params)
    assert same_value(solved.value, right), (show(solved.value), right)
    assert same_value(buggy.value, wrong), (show(buggy.value), wrong)
    # The texts the scenario carries end at those values: the solution at the answer, the attempt at the wrong one.
    assert _close(extract_numbers(solved.text())[-1], F(right))
    assert _close(extract_numbers(buggy.text("So my answer is"))[-1], F(wrong))
    # The story templates take exactly these numbers.
    for story in fam.stories:
        for context in fam.contexts:
            story.format(**params, **context, name="Alex", he="he", his="his", him="him", He="He", His="His")


def test_every_rule_has_a_known_case_and_a_library_entry():
    covered = {(family, rule) for family, rule, *_ in CASES}
    for family in math_families():
        for rule in family.rules:
            assert (family.name, rule) in covered, f"add a hand-worked case for {family.name}/{rule}"
            m = misconceptions()[rule]
            assert m.subject == "math" and m.description and m.grades[0] <= m.grades[1]


def test_numbers_are_shown_as_students_write_them():
    assert [show(v) for v in (24, -3, F(5, 6), F(-3, 2), F(8, 2), D("0.750"), D("1E+1"))] == \
        ["24", "-3", "5/6", "-3/2", "4", "0.75", "10"]
    assert as_decimal(F(7, 8)) == D("0.875")
    with pytest.raises(NotShowable):
        as_decimal(F(1, 3))
