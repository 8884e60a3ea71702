"""The parts every problem family is made of: exact numbers, worked steps, misconceptions as rules.

A family samples numbers, computes the answer exactly (integers, `Fraction`, `Decimal`) and
writes the working; each misconception it admits is a buggy rule over the same numbers that
writes the student's wrong working and computes the wrong value. Nothing here is a model's
guess: an answer or a wrong answer is what the arithmetic gives.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Callable

Number = int | Fraction | Decimal


@dataclass(frozen=True)
class Worked:
    """A chain of written steps and the value they arrive at."""

    steps: tuple[str, ...]
    value: Number

    def text(self, closing: str = "So the answer is") -> str:
        """The steps, one a line, closed by a sentence that states the value last."""
        return "\n".join((*self.steps, f"{closing} {show(self.value)}."))


def work(value: Number, *steps: str) -> Worked:
    """Shorthand for Worked(steps, value)."""
    return Worked(tuple(steps), value)


Rule = Callable[[dict], Worked]


@dataclass(frozen=True)
class Misconception:
    """A documented mistaken idea: its name, where it appears, and how a student holding it thinks."""

    name: str
    subject: str
    grades: tuple[int, int]
    topic: str
    description: str  # one line, for `practicum scenarios misconceptions`
    belief: str = ""  # the profile's sentence; the description when empty
    reference: str = ""

    def covers(self, grade: int) -> bool:
        """True when `grade` is inside this misconception's grade band."""
        return self.grades[0] <= grade <= self.grades[1]

    @property
    def held(self) -> str:
        """How the student profile states the belief."""
        return self.belief or self.description


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: rules is a dict
class Family:
    """A kind of math problem: how to sample its numbers, solve it, tell it, and get it wrong."""

    name: str
    topic: str
    grades: tuple[int, int]
    title: str
    objective: str
    knows: str  # what a student at this level already knows, for the knowledge state
    sample: Callable[[random.Random], dict]
    solve: Rule
    stories: tuple[str, ...]  # str.format templates: numbers, {name}/{he}/{his}/{him}, and context keys
    rules: dict[str, Rule] = field(default_factory=dict)  # misconception name -> its buggy rule
    contexts: tuple[dict, ...] = ({},)
    keywords: str = ""  # extra words that --topic may match

    def covers(self, grade: int) -> bool:
        """True when `grade` is inside this family's grade band."""
        return self.grades[0] <= grade <= self.grades[1]

    def words(self) -> set[str]:
        """Lower-case words a --topic filter matches against."""
        text = f"{self.name} {self.topic} {self.title} {self.keywords}".lower().replace("-", " ")
        return {stem(w) for w in text.split()}


def stem(word: str) -> str:
    """A crude singular: 'fractions' -> 'fraction', 'decimals' -> 'decimal'."""
    word = word.strip(".,;:()'\"")
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


class NotShowable(ValueError):
    """A value that has no exact finite decimal where a decimal is needed."""


def as_decimal(value: Number) -> Decimal:
    """The exact decimal for a terminating value; NotShowable for 1/3 and the like."""
    if isinstance(value, Decimal):
        return value
    fraction = Fraction(value)
    den = fraction.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        raise NotShowable(f"{fraction} has no finite decimal")
    scale = 10 ** max(twos, fives)
    return Decimal(fraction.numerator * scale // fraction.denominator) / Decimal(scale)


def show(value: Number) -> str:
    """Write a value as a student would: '24', '-3', '5/6', '0.75' (decimals keep no trailing zeros)."""
    if isinstance(value, bool):
        raise TypeError("a truth value is not a number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def dec(value: Number) -> Decimal:
    """`as_decimal`, for families whose answers are written as decimals."""
    return as_decimal(value)


def money(value: Number) -> str:
    """Dollars and cents: '12' or '12.50'."""
    amount = as_decimal(value)
    return show(amount) if amount == amount.to_integral_value() else f"{amount:.2f}"


def same_value(a: Number, b: Number) -> bool:
    """Exact equality across int, Fraction and Decimal."""
    return Fraction(a) == Fraction(b)
