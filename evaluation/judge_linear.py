"""The pedagogical judge's model: three class-balanced linear views per dimension, averaged.

Each MRBench dimension gets three multinomial logistic regressions, and the
judge reports the mean of their class probabilities:

- word 1-2-gram TF-IDF of the response, plus the cues (`judge_features`);
- character 2-5-gram TF-IDF of the response (inside word boundaries), plus the cues;
- frozen all-MiniLM-L6-v2 embeddings of the response, the student's last turn,
  the tutor's previous turn and response x student product, plus the cues.

On two shared cores this trains in minutes and scores thousands of responses a
minute. Fine-tuning MiniLM as a cross-encoder (LoRA on its last layer, fold
ensembles) was measured on the same grouped folds and scored lower (README
"Pedagogical judge"), so the shipped judge is this one.

The artifact is one `.npz` (no pickles): vocabularies, idf, scaling and
coefficients. Training needs scikit-learn; prediction needs numpy, scipy's
sparse matrices and the packaged MiniLM.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from practicum.errors import InputError

Progress = Callable[[str, int, int], None]
VIEWS = ("words", "chars", "embedding")
FORMAT = 1


@dataclass
class JudgeConfig:
    """Settings of the three views (chosen on development folds; README "Pedagogical judge")."""

    word_c: float = field(default=1.0, metadata={"help": "inverse L2 strength, word n-gram view"})
    char_c: float = field(default=1.0, metadata={"help": "inverse L2 strength, character n-gram view"})
    embedding_c: float = field(default=0.01, metadata={"help": "inverse L2 strength, embedding view"})
    cue_scale: float = field(default=0.3, metadata={"help": "weight of the standardised cues in the n-gram views"})
    min_df: int = field(default=2, metadata={"help": "n-grams must occur in this many responses"})
    max_char_features: int = field(default=20000, metadata={"help": "most frequent character n-grams kept"})


def _last(turns, role: str) -> str:
    texts = [text for r, text in turns if r == role]
    return texts[-1] if texts else ""


def embedding_rows(encoder, turns_list, responses):
    """[response, last student turn, last tutor turn, response * student] embeddings, one row per response."""
    import numpy as np

    r = encoder.encode([x or "" for x in responses])
    s = encoder.encode([_last(t, "student") for t in turns_list])
    t = encoder.encode([_last(t, "teacher") for t in turns_list])
    return np.hstack([r, s, t, r * s]).astype(np.float32)


def _vectorizer(kind: str, config: JudgeConfig, vocabulary=None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    if kind == "words":
        return TfidfVectorizer(ngram_range=(1, 2), min_df=config.min_df, sublinear_tf=True, vocabulary=vocabulary)
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=config.min_df, sublinear_tf=True,
                           max_features=None if vocabulary is not None else config.max_char_features,
                           vocabulary=vocabulary)


def _softmax_proba(logits):
    import numpy as np

    if logits.shape[1] == 1:  # scikit-learn's binary case: one column for the second class
        p = 1.0 / (1.0 + np.exp(-logits[:, 0]))
        return np.stack([1.0 - p, p], axis=1)
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class LinearHead:
    """One dimension's logistic regression in one view: coefficients over the view's columns."""

    classes: list[int]  # indices into the dimension's class list, in coefficient order
    coef: "object"
    intercept: "object"

    def proba(self, x, n_classes: int):
        import numpy as np

        p = _softmax_proba(np.asarray(x @ self.coef.T) + self.intercept)
        out = np.zeros((x.shape[0], n_classes))
        out[:, self.classes] = p
        return out


class LinearJudgeModel:
    """Fitted views and heads for every dimension; `predict` gives class probabilities per dimension."""

    def __init__(self, tasks: dict[str, list[str]], config: JudgeConfig, vectorizers: dict, scaling: dict,
                 heads: dict[str, dict[str, LinearHead]], meta: dict | None = None, path: Path | None = None):
        """Assemble a model from its parts (use `fit` or `load`)."""
        self.tasks = tasks
        self.config = config
        self.vectorizers = vectorizers  # "words"/"chars" -> fitted TfidfVectorizer
        self.scaling = scaling  # "cues"/"embedding" -> (mean, std)
        self.heads = heads  # dimension -> view -> head
        self.meta = dict(meta or {}, tasks=tasks)
        self.path = path
        self.version = ""
        self._encoder = None

    # -- inputs ---------------------------------------------------------------------------------------
    def _encoder_or_default(self, encoder):
        if encoder is not None:
            return encoder
        if self._encoder is None:
            from practicum.evaluation.sentence_encoder import SentenceEncoder

            self._encoder = SentenceEncoder()
        return self._encoder

    def view_matrices(self, turns_list, responses, cues, encoder=None, embeddings=None) -> dict:
        """The three views' input matrices for these responses (`embeddings`: precomputed `embedding_rows`)."""
        import numpy as np
        from scipy.sparse import csr_matrix, hstack

        mean, std = self.scaling["cues"]
        scaled = csr_matrix((np.asarray(cues, dtype=np.float64) - mean) / std * self.config.cue_scale)
        texts = [r or "" for r in responses]
        out = {kind: hstack([self.vectorizers[kind].transform(texts), scaled]).tocsr() for kind in ("words", "chars")}
        e_mean, e_std = self.scaling["embedding"]
        if embeddings is None:
            embeddings = embedding_rows(self._encoder_or_default(encoder), turns_list, texts)
        dense = np.hstack([embeddings, cues])
        out["embedding"] = (dense - e_mean) / e_std
        return out

    def predict(self, turns_list, responses, cues, encoder=None, embeddings=None) -> dict:
        """{dimension: array (n, classes)}: the mean of the three views' probabilities."""
        views = self.view_matrices(turns_list, responses, cues, encoder, embeddings)
        out = {}
        for dimension, classes in self.tasks.items():
            parts = [self.heads[dimension][v].proba(views[v], len(classes)) for v in VIEWS]
            out[dimension] = sum(parts) / len(parts)
        return out

    # -- training -------------------------------------------------------------------------------------
    @classmethod
    def fit(cls, tasks: dict[str, list[str]], turns_list, responses, cues, targets: dict, config: JudgeConfig,
            encoder=None, embeddings=None, meta: dict | None = None) -> LinearJudgeModel:
        """Fit every view and head on these rows; `targets[d]` holds class indices, -1 where unlabelled.

        `embeddings` (the rows of `embedding_rows`) may be passed to reuse one encoding across folds.
        """
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        texts = [r or "" for r in responses]
        cues = np.asarray(cues, dtype=np.float64)
        vectorizers = {kind: _vectorizer(kind, config).fit(texts) for kind in ("words", "chars")}
        if embeddings is None:
            from practicum.evaluation.sentence_encoder import SentenceEncoder

            embeddings = embedding_rows(encoder or SentenceEncoder(), turns_list, texts)
        dense = np.hstack([embeddings, cues])
        scaling = {"cues": (cues.mean(0), cues.std(0) + 1e-6), "embedding": (dense.mean(0), dense.std(0) + 1e-6)}
        model = cls(tasks, config, vectorizers, scaling, {}, meta)
        views = model.view_matrices(turns_list, texts, cues, embeddings=embeddings)
        strengths = {"words": config.word_c, "chars": config.char_c, "embedding": config.embedding_c}
        for dimension in tasks:
            y = np.asarray(targets[dimension])
            rows = np.flatnonzero(y >= 0)
            if len(set(y[rows].tolist())) < 2:
                raise InputError(f"dimension {dimension}: fewer than two labels among the training responses")
            model.heads[dimension] = {}
            for view in VIEWS:
                lr = LogisticRegression(C=strengths[view], max_iter=3000, class_weight="balanced")
                lr.fit(views[view][rows], y[rows])
                model.heads[dimension][view] = LinearHead([int(c) for c in lr.classes_], lr.coef_.astype(np.float32),
                                                          lr.intercept_.astype(np.float32))
        return model

    # -- storage --------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> str:
        """Write the model as one .npz; return its version (sha256 prefix of the bytes)."""
        import numpy as np

        arrays = {}
        header = {"format": FORMAT, "tasks": self.tasks, "config": asdict(self.config), "meta": self.meta,
                  "heads": {}}
        for kind, vectorizer in self.vectorizers.items():
            vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
            arrays[f"{kind}.terms"] = np.array(vocabulary, dtype=str)
            arrays[f"{kind}.idf"] = vectorizer.idf_.astype(np.float64)
        for name, (mean, std) in self.scaling.items():
            arrays[f"{name}.mean"], arrays[f"{name}.std"] = mean, std
        for d, views in self.heads.items():
            header["heads"][d] = {}
            for v, head in views.items():
                header["heads"][d][v] = head.classes
                arrays[f"{d}.{v}.coef"], arrays[f"{d}.{v}.intercept"] = head.coef, head.intercept
        arrays["header"] = np.array(json.dumps(header, sort_keys=True))
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        data = buffer.getvalue()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(data)
        self.version = hashlib.sha256(data).hexdigest()[:12]
        self.path = Path(path)
        return self.version

    @classmethod
    def load(cls, path: str | Path) -> LinearJudgeModel:
        """Read a model written by `save`; InputError names the file when it is not one."""
        import numpy as np

        path = Path(path)
        try:
            data = path.read_bytes()
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            header = json.loads(str(arrays.pop("header")))
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(f"{path}: not a readable judge file: {exc}") from None
        if header.get("format") != FORMAT:
            raise InputError(f"{path}: made by another version of practicum; rebuild it with "
                             "`practicum eval train-judge`")
        config = JudgeConfig(**header["config"])
        vectorizers = {}
        for kind in ("words", "chars"):
            terms = arrays[f"{kind}.terms"].tolist()
            vectorizer = _vectorizer(kind, config, vocabulary={t: i for i, t in enumerate(terms)})
            vectorizer.idf_ = arrays[f"{kind}.idf"]
            vectorizers[kind] = vectorizer
        scaling = {name: (arrays[f"{name}.mean"], arrays[f"{name}.std"]) for name in ("cues", "embedding")}
        heads = {d: {v: LinearHead(classes, arrays[f"{d}.{v}.coef"], arrays[f"{d}.{v}.intercept"])
                     for v, classes in views.items()} for d, views in header["heads"].items()}
        model = cls(header["tasks"], config, vectorizers, scaling, heads, header.get("meta"), path)
        model.version = hashlib.sha256(data).hexdigest()[:12]
        return model
