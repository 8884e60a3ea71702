"""Compute and store metrics of stored sessions: predict moves, run the definitions, write metric rows.

The metric version joins the definitions' version and the classifier's content
hash (`v1+3fa2c9d01b2e`), so changing either makes new rows instead of silently
mixing numbers from different classifiers; without a classifier (the embedding
model not installed) the version is plain `v1` and move-based metrics are absent.
"""

from __future__ import annotations

from typing import Callable

from practicum.records import TEACHER
from practicum.storage import metrics_queries
from practicum.evaluation.move_context import ProblemFacts, teacher_contexts
from practicum.evaluation.session_metrics import METRICS_VERSION, session_metric_values

Progress = Callable[[int, int], None]


def metrics_version(classifier=None) -> str:
    """The version stored with metrics computed with this classifier (or none)."""
    return f"{METRICS_VERSION}+{classifier.version}" if classifier is not None else METRICS_VERSION


_default: list = []  # the packaged classifier, loaded once per process


def resolve_classifier(classifier):
    """"auto" -> the packaged classifier (None when it cannot run here); anything else as given."""
    return default_classifier() if isinstance(classifier, str) and classifier == "auto" else classifier


def default_classifier(required: bool = False):
    """The packaged move classifier, or None when it cannot run here (unless `required`)."""
    if _default:
        return _default[0]
    from practicum.errors import ModelMissingError, NotFoundError
    from practicum.evaluation.move_training import load_classifier
    from practicum.evaluation.sentence_encoder import encoder_available, encoder_path

    try:
        if not encoder_available():
            encoder_path()  # raises ModelMissingError with the install hint
            raise ModelMissingError("transformers is not installed; run: pip install 'practicum[local]'")
        _default.append(load_classifier())
        return _default[0]
    except (ModelMissingError, NotFoundError):
        if required:
            raise
        return None


def predict_session_moves(store, session_id: int, classifier, session: dict | None = None,
                          scenario=None) -> list[str]:
    """Predict the move of every teacher turn of a stored session, store them, and return them in order.

    Predictions already stored by this very classifier are reused.
    """
    session = session or store.get_session(session_id)
    turns = session["turns"]
    teacher = [t for t in turns if t["role"] == TEACHER]
    if teacher and all(t.get("predicted_by") == classifier.predicted_by and t.get("predicted_move") for t in teacher):
        return [t["predicted_move"] for t in teacher]
    scenario = scenario or store.get_scenario(session["scenario_id"])
    contexts = teacher_contexts(turns, ProblemFacts.from_scenario(scenario), conversation=str(session_id))
    moves = classifier.predict(contexts)
    metrics_queries.save_predicted_moves(store, session_id, {t["idx"]: m for t, m in zip(teacher, moves)},
                                         classifier.predicted_by)
    return moves


def compute_session_metrics(store, session_id: int, classifier="auto", save: bool = True) -> dict[str, float]:
    """Compute (and by default store) every metric of one session; return {name: value}.

    classifier: "auto" (the packaged one, or none when it cannot run here), a MoveClassifier, or None
    (no move-based metrics).
    """
    classifier = resolve_classifier(classifier)
    session = store.get_session(session_id)
    scenario = store.get_scenario(session["scenario_id"])
    moves = predict_session_moves(store, session_id, classifier, session, scenario) if classifier else None
    values = session_metric_values(session["turns"], scenario, moves)
    if save:
        version = metrics_version(classifier)
        rows = []
        for name, (value, detail) in values.items():
            detail = dict(detail)
            if moves is not None:
                detail.setdefault("moves_by", classifier.predicted_by)
            rows.append((name, version, value, detail))
        metrics_queries.save_metrics(store, session_id, rows)
    return {name: value for name, (value, _) in values.items()}


def ensure_metrics(store, session_ids: list[int], classifier="auto", recompute: bool = False,
                   progress: Progress | None = None) -> str:
    """Compute metrics of the sessions that lack them at the current version; return that version."""
    classifier = resolve_classifier(classifier)
    version = metrics_version(classifier)
    done = set() if recompute else metrics_queries.sessions_with_metrics(store, session_ids, version)
    todo = [i for i in session_ids if i not in done]
    if classifier is not None and todo:
        _warm_encoder(store, todo, classifier)
    for number, session_id in enumerate(todo):
        if progress:
            progress(number, len(todo))
        compute_session_metrics(store, session_id, classifier)
    if progress:
        progress(len(todo), len(todo))
    return version


def _warm_encoder(store, session_ids: list[int], classifier, batch: int = 200) -> None:
    """Embed many sessions' texts in large batches first: much faster than session by session."""
    for start in range(0, len(session_ids), batch):
        roles = ("teacher", "student") if classifier.config.embed_student else ("teacher",)
        texts = []
        for session_id in session_ids[start : start + batch]:
            texts.extend(t["text"] for t in store.get_turns(session_id) if t["role"] in roles)
        classifier.encoder.encode(texts)
