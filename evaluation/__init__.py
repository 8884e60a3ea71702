"""Evaluation: teacher moves validated against human labels, session metrics, an LLM judge, before/after reports.

The tuners optimise these numbers and the reports prove whether tuning worked:

    from practicum.evaluation import compute_session_metrics, evaluate_sessions, compare
    compute_session_metrics(store, session_id)          # {name: value}, stored in the metrics table
    evaluate_sessions(store, ids)                        # EvaluationReport: means with bootstrap 95% CIs
    compare(store, ids_before, ids_after)                # Comparison: B - A, CI, paired permutation p
    load_judge().score(contexts, responses, answers)     # MRBench labels per response (offline judge)

Names resolve lazily so importing the package stays cheap.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "compute_session_metrics": "compute", "ensure_metrics": "compute", "metrics_version": "compute",
    "predict_session_moves": "compute", "default_classifier": "compute",
    "evaluate_sessions": "reports", "compare": "reports", "pair_sessions": "reports",
    "EvaluationReport": "reports", "Comparison": "reports",
    "session_metric_values": "session_metrics", "METRIC_HELP": "session_metrics",
    "MoveClassifier": "move_classifier", "load_classifier": "move_training", "train_moves": "move_training",
    "evaluate_moves_file": "move_training", "judge_sessions": "judge", "judge_agreement": "judge",
    "load_judge": "judge_model", "PedagogicalJudge": "judge_model", "train_judge": "judge_training",
    "judge_check": "judge_training", "judge_stored_sessions": "judge_ratings", "read_mrbench": "mrbench",
    "parse_selection": "selection", "comparison_chart": "charts",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f"practicum.evaluation.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'practicum.evaluation' has no attribute {name!r}")
