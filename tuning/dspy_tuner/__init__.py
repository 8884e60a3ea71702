"""The DSPy tuner: optimize the running Teacher or Student module against the evaluation metrics.

`tune_dspy(DspyTuneConfig(data=...)) -> DspyTuneResult` is the entry point for Python callers;
`DspyTuner` is the same behind the `Tuner` protocol; `practicum tune dspy` is the command line.
Importing this package stays light (no dspy): the names below load their modules on first use.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "DspyTuneConfig": "practicum.tuning.dspy_tuner.config",
    "DspyTuneResult": "practicum.tuning.dspy_tuner.tuner",
    "tune_dspy": "practicum.tuning.dspy_tuner.tuner",
    "DspyTuner": "practicum.tuning.dspy_tuner.tuner",
}

__all__ = list(_LAZY)


def __getattr__(name: str):
    """Import the module that defines `name` when it is first asked for."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
