"""Word n-gram TF-IDF that stores as plain JSON and runs on numpy alone.

The move classifier ships as a JSON artifact (never a pickle), so its text
features need a vectorizer whose whole state is a vocabulary and an idf list.
It follows scikit-learn's TfidfVectorizer defaults that we use (lower-cased
tokens of two or more word characters, smooth idf, sublinear tf, L2 norm), so
the numbers are the familiar ones.
"""

from __future__ import annotations

import math
import re
from collections import Counter

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def ngrams(text: str, max_n: int = 2) -> list[str]:
    """Return the word 1..max_n-grams of `text`, lower-cased, in order."""
    tokens = _TOKEN.findall((text or "").lower())
    grams = list(tokens)
    for n in range(2, max_n + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


class TfidfVectorizer:
    """Fit a vocabulary on texts; transform texts to L2-normalised sublinear TF-IDF rows."""

    def __init__(self, max_n: int = 2, min_df: int = 2, vocabulary: dict[str, int] | None = None,
                 idf: list[float] | None = None):
        """Make an empty vectorizer, or restore one from its vocabulary and idf."""
        self.max_n = max_n
        self.min_df = min_df
        self.vocabulary = dict(vocabulary or {})
        self.idf = list(idf or [])

    def fit(self, texts: list[str]) -> TfidfVectorizer:
        """Learn the terms that occur in at least `min_df` texts and their idf."""
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(ngrams(text, self.max_n)))
        terms = sorted(term for term, count in df.items() if count >= self.min_df)
        self.vocabulary = {term: col for col, term in enumerate(terms)}
        n = len(texts)
        self.idf = [math.log((1 + n) / (1 + df[term])) + 1.0 for term in terms]
        return self

    def sparse_row(self, text: str) -> dict[int, float]:
        """Return one text's TF-IDF row as {column: value}."""
        counts = Counter(g for g in ngrams(text, self.max_n) if g in self.vocabulary)
        row = {self.vocabulary[g]: (1.0 + math.log(c)) * self.idf[self.vocabulary[g]] for g, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in row.values()))
        return {col: v / norm for col, v in row.items()} if norm else {}

    def transform(self, texts: list[str]):
        """Return a dense float32 array (len(texts), vocabulary size)."""
        import numpy as np

        out = np.zeros((len(texts), len(self.vocabulary)), dtype=np.float32)
        for i, text in enumerate(texts):
            for col, value in self.sparse_row(text).items():
                out[i, col] = value
        return out

    def to_dict(self) -> dict:
        """Return the state as JSON-ready data."""
        terms = sorted(self.vocabulary, key=self.vocabulary.get)
        return {"max_n": self.max_n, "min_df": self.min_df, "terms": terms, "idf": [round(v, 6) for v in self.idf]}

    @classmethod
    def from_dict(cls, data: dict) -> TfidfVectorizer:
        """Restore a vectorizer saved by `to_dict`."""
        vocabulary = {term: col for col, term in enumerate(data["terms"])}
        return cls(max_n=data["max_n"], min_df=data["min_df"], vocabulary=vocabulary, idf=data["idf"])
