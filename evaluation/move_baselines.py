"""The two baselines every move classifier is reported next to: the majority class and keyword rules.

The keyword rules are the approach this field's seed systems used (count question
marks, look for "the answer is"); a learned classifier that cannot beat them is
not worth its weight.
"""

from __future__ import annotations

import re
from collections import Counter

from practicum.scenarios.answers import states_answer
from practicum.evaluation.move_context import TeacherTurnContext

_PROBING = re.compile(r"\b(why|how|explain|what do you think|what makes you|walk me through|tell me)\b", re.I)
_GENERIC = re.compile(
    r"\b(hi|hello|hey|bye|goodbye|thanks|thank you|good job|well done|great|excellent|perfect|nice|awesome)\b", re.I
)


class MajorityBaseline:
    """Always predicts the most frequent training label."""

    name = "majority"

    def __init__(self, label: str = "focus"):
        """Predict `label` until fitted."""
        self.label = label

    def fit(self, contexts: list[TeacherTurnContext], labels: list[str]) -> MajorityBaseline:
        """Remember the most frequent label (ties broken alphabetically)."""
        counts = Counter(labels)
        self.label = min(counts, key=lambda label: (-counts[label], label))
        return self

    def predict(self, contexts: list[TeacherTurnContext]) -> list[str]:
        """Return the majority label for every turn."""
        return [self.label] * len(contexts)


class KeywordBaseline:
    """Keyword rules: the answer or "the answer is" -> telling; why/how/explain -> probing; "?" -> focus;
    anything else (greetings, praise, statements) -> generic."""

    name = "keywords"

    def fit(self, contexts: list[TeacherTurnContext], labels: list[str]) -> KeywordBaseline:
        """Nothing to learn."""
        return self

    @staticmethod
    def predict_one(context: TeacherTurnContext) -> str:
        """Apply the rules to one turn."""
        text = context.text or ""
        answer = context.facts.answer
        if "the answer is" in text.lower() or (answer and states_answer(text, answer)):
            return "telling"
        if _PROBING.search(text):
            return "probing"
        if "?" in text:
            return "focus"
        return "generic"

    def predict(self, contexts: list[TeacherTurnContext]) -> list[str]:
        """Apply the rules to every turn."""
        return [self.predict_one(c) for c in contexts]
