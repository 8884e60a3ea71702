"""Who appears in a generated scenario: the student and the story's characters, varied and seeded.

A batch of scenarios should not be twenty Avas with medium confidence: names, trait combinations,
interests and learning styles are dealt from shuffled decks, so they repeat only once a deck runs out.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from practicum.scenarios.model import Traits

# (name, subject pronoun); wide in origin so a batch reads like a real class.
NAMES = (
    ("Ava", "she"), ("Ben", "he"), ("Chloe", "she"), ("Diego", "he"), ("Emma", "she"), ("Farah", "she"),
    ("Gabe", "he"), ("Hana", "she"), ("Isaac", "he"), ("Jada", "she"), ("Kofi", "he"), ("Lena", "she"),
    ("Mateo", "he"), ("Nora", "she"), ("Omar", "he"), ("Priya", "she"), ("Quinn", "he"), ("Rosa", "she"),
    ("Sam", "he"), ("Tariq", "he"), ("Uma", "she"), ("Victor", "he"), ("Wen", "she"), ("Yusuf", "he"),
    ("Zara", "she"), ("Aiden", "he"), ("Bianca", "she"), ("Carlos", "he"), ("Dalia", "she"), ("Elijah", "he"),
    ("Fatima", "she"), ("Hugo", "he"), ("Ines", "she"), ("Jamal", "he"), ("Keiko", "she"), ("Liam", "he"),
    ("Maya", "she"), ("Nikhil", "he"), ("Olivia", "she"), ("Pablo", "he"), ("Ruth", "she"), ("Sven", "he"),
    ("Tanya", "she"), ("Ugo", "he"), ("Valeria", "she"), ("Wyatt", "he"), ("Ximena", "she"), ("Yara", "she"),
)
LEVELS = ("low", "medium", "high")
VERBOSITY = ("short", "medium", "long")
INTERESTS = (
    "loves football and keeps the team's scores", "draws comics in the margins of every notebook",
    "plays the violin in the school orchestra", "builds robots in an after-school club",
    "reads fantasy novels late into the night", "helps at the family's bakery on weekends",
    "collects rocks and fossils", "is the fastest runner in the class", "wants to be a vet",
    "plays chess with a grandparent every Sunday", "makes videos about video games",
    "grows tomatoes in a small garden", "is new to the school this year", "loves cooking with an older brother",
    "swims competitively", "likes puzzles of every kind",
)
CONFIDENCE = {
    "low": "{He} often doubts {his} own answers and goes quiet when unsure.",
    "medium": "{He} is fairly sure of {him}self on familiar work but hesitates on new problems.",
    "high": "{He} is confident and answers quickly, sometimes too quickly.",
}
MOTIVATION = {
    "low": "{He} would rather be doing something else.",
    "medium": "{He} works steadily when the task makes sense.",
    "high": "{He} is keen to get things right.",
}
LEARNING_STYLES = (
    "Understands best with pictures and diagrams.", "Likes to check ideas with real objects.",
    "Learns by talking through each step out loud.", "Likes a worked example before trying alone.",
    "Prefers short questions that lead one step at a time.", "Remembers rules better when told why they work.",
    "Likes to estimate first and then calculate.", "Understands through stories and real situations.",
)


def pronouns(name: str, subject: str) -> dict[str, str]:
    """Template placeholders for one person: {name}, {he}, {his}, {him} and capitalised {He}, {His}."""
    his, him = ("his", "him") if subject == "he" else ("her", "her")
    return {"name": name, "he": subject, "his": his, "him": him, "He": subject.capitalize(), "His": his.capitalize()}


@dataclass(frozen=True)
class Student:
    """One simulated student's surface: name, pronouns, traits, persona and learning style."""

    name: str
    words: dict
    traits: Traits
    interest: str
    learning_style: str

    def persona(self, grade: int | str) -> str:
        """One or two sentences on who the student is."""
        text = f"{self.name} is a grade {grade} student who {self.interest}. "
        text += CONFIDENCE[self.traits.confidence] + " " + MOTIVATION[self.traits.motivation]
        return text.format(**self.words)


class Cast:
    """Deals students and story characters from seeded, shuffled decks."""

    def __init__(self, rng: random.Random):
        """Shuffle every deck with `rng`."""
        self.rng = rng
        self._names = self._deck(NAMES)
        self._traits = self._deck(list(itertools.product(LEVELS, LEVELS, VERBOSITY)))
        self._interests = self._deck(INTERESTS)
        self._styles = self._deck(LEARNING_STYLES)

    def _deck(self, items):
        def cycle():
            while True:
                order = list(items)
                self.rng.shuffle(order)
                yield from order
        return cycle()

    def student(self) -> Student:
        """The next student: a fresh name, trait combination, interest and learning style."""
        name, subject = next(self._names)
        confidence, motivation, verbosity = next(self._traits)
        traits = Traits(confidence=confidence, motivation=motivation, verbosity=verbosity)
        return Student(name, pronouns(name, subject), traits, next(self._interests), next(self._styles))

    def character(self, avoid: str) -> dict[str, str]:
        """Placeholders for a story character whose name differs from `avoid` (the student's)."""
        name, subject = self.rng.choice([n for n in NAMES if n[0] != avoid])
        return pronouns(name, subject)
