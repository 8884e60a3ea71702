"""The teacher-move classifier: two small linear models and a fine-tuned cross-encoder, averaged.

One linear model reads MiniLM embeddings of the teacher turn and the teacher's
previous turn, plus the hand-made cues of `move_features` (which also read the
student's previous turn); the other reads word n-grams of the turn plus the same cues.
Both are plain multinomial logistic regressions, so their state is a few arrays
saved as JSON (never a pickle of unknown origin); training uses scikit-learn.
The third part (optional, `encoder_weight` > 0) is a fold ensemble of MiniLM
cross-encoders fine-tuned on `[CLS] dialogue so far [SEP] teacher turn [SEP]`
with the same cues (`encoder_training`), stored beside the JSON as safetensors.
The linear models' mean and the cross-encoder's probabilities are mixed by
`encoder_weight`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from practicum.records import MOVES
from practicum.errors import InputError
from practicum.evaluation.move_context import TeacherTurnContext
from practicum.evaluation.move_features import SURFACE_FEATURES, surface_features
from practicum.evaluation.text_vectorizer import TfidfVectorizer

CLASSIFIER_NAME = "minilm-tfidf-logreg"
FORMAT_VERSION = 3
_CHUNK = 512


@dataclass
class ClassifierConfig:
    """Hyperparameters of the move classifier (chosen by grouped cross-validation on the dev slice)."""

    embedding_c: float = 0.003  # inverse L2 strength of the embedding model (1,000+ standardised inputs)
    text_c: float = 1.0  # inverse L2 strength of the n-gram model
    cue_weight: float = 0.3  # scale of the standardised cues inside the n-gram model
    # Embedding the previous student turn too adds 0.003 macro-F1 in cross-validation (within noise) but
    # triples the embedding work, since student turns are the long ones; the cues still read that turn.
    embed_student: bool = False
    min_df: int = 2  # an n-gram must occur in this many training turns
    max_iter: int = 3000
    encoder_weight: float = 0.0  # share of the fine-tuned cross-encoder in the mixture (0: linear models only)


class LinearHead:
    """Standardise inputs, then multinomial logits: the state of a fitted logistic regression."""

    def __init__(self, mean, scale, coef, intercept):
        """Hold arrays: mean/scale per input column, coef (classes x columns), intercept per class."""
        import numpy as np

        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)

    def standardize(self, x):
        """Return (x - mean) / scale."""
        return (x - self.mean) / self.scale

    def to_dict(self) -> dict:
        """Return the arrays as rounded JSON lists."""
        return {key: _round(getattr(self, key)) for key in ("mean", "scale", "coef", "intercept")}

    @classmethod
    def from_dict(cls, data: dict) -> LinearHead:
        """Restore a head saved by `to_dict`."""
        return cls(data["mean"], data["scale"], data["coef"], data["intercept"])


def _round(array) -> list:
    """Eight significant digits: small JSON, and tiny scales never round to zero."""
    import numpy as np

    values = np.asarray(array, dtype=np.float64)
    return np.vectorize(lambda v: float(f"{v:.8g}"), otypes=[float])(values).tolist() if values.size else []


def _softmax(logits):
    import numpy as np

    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def cue_matrix(contexts: list[TeacherTurnContext]):
    """Return the hand-made cues of each context as an array (len, len(SURFACE_FEATURES))."""
    import numpy as np

    rows = [surface_features(c) for c in contexts]
    return np.array([[row[name] for name in SURFACE_FEATURES] for row in rows], dtype=np.float64).reshape(
        len(contexts), len(SURFACE_FEATURES)
    )


def embedding_matrix(contexts: list[TeacherTurnContext], encoder, cues, embed_student: bool = False):
    """Return [turn, previous teacher turn embeddings, cues], plus the previous student turn's embedding and
    its cosine with the turn when `embed_student`."""
    import numpy as np

    turn = encoder.encode([c.text for c in contexts])
    teacher = encoder.encode([c.prev_teacher for c in contexts])
    parts = [turn, teacher, cues]
    if embed_student:
        student = encoder.encode([c.prev_student for c in contexts])
        parts += [student, (turn * student).sum(axis=1, keepdims=True)]
    return np.hstack(parts).astype(np.float64)


class MoveClassifier:
    """Predicts focus / probing / telling / generic for teacher turns; saved and loaded as JSON."""

    def __init__(self, embedding_head: LinearHead, text_head: LinearHead, vectorizer: TfidfVectorizer,
                 config: ClassifierConfig | None = None, encoder=None, classes: tuple[str, ...] = MOVES,
                 cross_encoder=None):
        """Assemble a trained classifier; `encoder` defaults to the packaged MiniLM (loaded on first use);
        `cross_encoder` is an EncoderEnsemble with a 'move' task (used when config.encoder_weight > 0)."""
        self.embedding_head = embedding_head
        self.text_head = text_head
        self.vectorizer = vectorizer
        self.config = config or ClassifierConfig()
        self.classes = tuple(classes)
        self._encoder = encoder
        self.cross_encoder = cross_encoder
        self.cross_encoder_file = ""
        self.version = ""

    @property
    def encoder(self):
        """The sentence encoder (created on first use)."""
        if self._encoder is None:
            from practicum.evaluation.sentence_encoder import SentenceEncoder

            self._encoder = SentenceEncoder()
        return self._encoder

    @property
    def predicted_by(self) -> str:
        """The label stored with each prediction: `moves:<name>@<content hash>`."""
        return f"moves:{CLASSIFIER_NAME}@{self.version or 'unsaved'}"

    # -- training -----------------------------------------------------------------------------

    @classmethod
    def fit(cls, contexts: list[TeacherTurnContext], labels: list[str], config: ClassifierConfig | None = None,
            encoder=None) -> MoveClassifier:
        """Train both models on labelled contexts (needs scikit-learn and the embedding model)."""
        import numpy as np

        config = config or ClassifierConfig()
        unknown = sorted({label for label in labels} - set(MOVES))
        if unknown:
            raise InputError(f"unknown move labels: {', '.join(map(str, unknown))} (expected {', '.join(MOVES)})")
        if len(set(labels)) < 2:
            raise InputError("training needs turns of at least two different moves")
        y = np.array([MOVES.index(label) for label in labels])
        classifier = cls(None, None, TfidfVectorizer(min_df=config.min_df), config, encoder)
        cues = cue_matrix(contexts)
        classifier.embedding_head = _fit_head(embedding_matrix(contexts, classifier.encoder, cues,
                                                               config.embed_student), y,
                                              config.embedding_c, config.max_iter)
        classifier.vectorizer.fit([c.text for c in contexts])
        text_inputs, cue_mean, cue_scale = classifier._text_inputs(contexts, cues, fit=True)
        head = _fit_head(text_inputs, y, config.text_c, config.max_iter, standardize=False)
        # Fold the cue standardisation into the head, so prediction standardises the same way.
        n_terms = len(classifier.vectorizer.vocabulary)
        head.mean = np.concatenate([np.zeros(n_terms), cue_mean])
        head.scale = np.concatenate([np.ones(n_terms), cue_scale / config.cue_weight])
        classifier.text_head = head
        return classifier

    def _text_inputs(self, contexts, cues, fit: bool = False):
        import numpy as np

        tfidf = self.vectorizer.transform([c.text for c in contexts])
        if fit:
            mean = cues.mean(axis=0)
            scale = cues.std(axis=0)
            scale[scale < 1e-8] = 1.0
            return np.hstack([tfidf, (cues - mean) / scale * self.config.cue_weight]), mean, scale
        return np.hstack([tfidf, cues])

    # -- prediction ---------------------------------------------------------------------------

    def predict_proba(self, contexts: list[TeacherTurnContext]):
        """Return class probabilities (len(contexts), 4) in the order of `self.classes`."""
        import numpy as np

        if not contexts:
            return np.zeros((0, len(self.classes)))
        parts = []
        for start in range(0, len(contexts), _CHUNK):
            chunk = contexts[start : start + _CHUNK]
            cues = cue_matrix(chunk)
            a = self.embedding_head.standardize(embedding_matrix(chunk, self.encoder, cues,
                                                                 self.config.embed_student))
            p_embedding = _softmax(a @ self.embedding_head.coef.T + self.embedding_head.intercept)
            b = self.text_head.standardize(self._text_inputs(chunk, cues))
            p_text = _softmax(b @ self.text_head.coef.T + self.text_head.intercept)
            mixed = (p_embedding + p_text) / 2
            weight = self.config.encoder_weight if self.cross_encoder is not None else 0.0
            if weight:
                mixed = (1 - weight) * mixed + weight * cross_encoder_proba(self.cross_encoder, chunk, cues)
            parts.append(mixed)
        return np.vstack(parts)

    def predict(self, contexts: list[TeacherTurnContext]) -> list[str]:
        """Return the most probable move of each context."""
        probabilities = self.predict_proba(contexts)
        return [self.classes[i] for i in probabilities.argmax(axis=1)] if len(contexts) else []

    # -- persistence --------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """Return the whole trained state as JSON-ready data (the cross-encoder by file name and hash)."""
        data = {
            "format": FORMAT_VERSION, "name": CLASSIFIER_NAME, "classes": list(self.classes),
            "config": asdict(self.config), "cues": list(SURFACE_FEATURES),
            "embedding_head": self.embedding_head.to_dict(), "text_head": self.text_head.to_dict(),
            "vectorizer": self.vectorizer.to_dict(),
        }
        if self.cross_encoder is not None:
            data["cross_encoder"] = {"file": self.cross_encoder_file or Path(self.cross_encoder.path).name,
                                     "version": self.cross_encoder.version}
        return data

    def save(self, path: str | Path) -> str:
        """Write the classifier as compact JSON; return its content hash (also its version)."""
        text = json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text + "\n", encoding="utf-8")
        self.version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        return self.version

    @classmethod
    def load(cls, path: str | Path, encoder=None) -> MoveClassifier:
        """Read a classifier saved by `save`; InputError names the file when it is not one."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8").strip()
            data = json.loads(text)
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: not a readable move-classifier file: {exc}") from None
        if not isinstance(data, dict) or data.get("name") != CLASSIFIER_NAME:
            raise InputError(f"{path}: not a {CLASSIFIER_NAME} classifier")
        if data.get("format") != FORMAT_VERSION or data.get("cues") != list(SURFACE_FEATURES):
            raise InputError(f"{path}: made by another version of practicum's features; rebuild it with "
                             "`practicum eval train-moves`")
        cross = None
        if data.get("cross_encoder"):
            from practicum.evaluation.encoder_artifact import EncoderEnsemble

            cross_path = path.parent / data["cross_encoder"]["file"]
            if not cross_path.exists():
                raise InputError(f"{path}: its cross-encoder {cross_path.name} is missing beside it")
            cross = EncoderEnsemble(cross_path)
            if cross.version != data["cross_encoder"]["version"]:
                raise InputError(f"{cross_path}: not the cross-encoder {path.name} was saved with; rebuild both "
                                 "with `practicum eval train-moves`")
        classifier = cls(
            LinearHead.from_dict(data["embedding_head"]), LinearHead.from_dict(data["text_head"]),
            TfidfVectorizer.from_dict(data["vectorizer"]), ClassifierConfig(**data["config"]), encoder,
            tuple(data["classes"]), cross,
        )
        classifier.cross_encoder_file = data.get("cross_encoder", {}).get("file", "")
        classifier.version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        return classifier


def cross_encoder_pairs(contexts: list[TeacherTurnContext]) -> tuple[list[str], list[str]]:
    """What the cross-encoder reads per teacher turn: the dialogue before it, and the turn."""
    from practicum.evaluation.judge_features import render_history

    return [render_history(c.history) for c in contexts], [c.text for c in contexts]


def cross_encoder_proba(ensemble, contexts: list[TeacherTurnContext], cues):
    """The cross-encoder ensemble's move probabilities, in MOVES order."""
    firsts, seconds = cross_encoder_pairs(contexts)
    return ensemble.predict(firsts, seconds, cues)["move"]


def _fit_head(x, y, c: float, max_iter: int, standardize: bool = True) -> LinearHead:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0) if standardize else np.zeros(x.shape[1])
    scale = x.std(axis=0) if standardize else np.ones(x.shape[1])
    scale[scale < 1e-8] = 1.0
    model = LogisticRegression(C=c, max_iter=max_iter, class_weight="balanced")
    model.fit((x - mean) / scale, y)
    coef = np.zeros((len(MOVES), x.shape[1]))
    intercept = np.full(len(MOVES), -1e4)  # a class absent from training is never predicted
    for row, label in enumerate(model.classes_):
        if len(model.classes_) == 2:
            break
        coef[label], intercept[label] = model.coef_[row], model.intercept_[row]
    if len(model.classes_) == 2:
        # Binary LogisticRegression keeps one row: logit(class 1) - logit(class 0).
        coef[model.classes_[1]], intercept[model.classes_[1]] = model.coef_[0], model.intercept_[0]
        coef[model.classes_[0]], intercept[model.classes_[0]] = 0.0, 0.0
    return LinearHead(mean, scale, coef, intercept)
