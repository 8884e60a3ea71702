"""The DSPy tuner: optimize the running Teacher or Student module against the evaluation metrics.

`tune_dspy(DspyTuneConfig(data=...)) -> DspyTuneResult` is the entry point for Python callers;
`practicum tune dspy` is the same thing on the command line.
"""

from practicum.tuning.dspy_tuner.config import DspyTuneConfig
from practicum.tuning.dspy_tuner.tuner import DspyTuneResult, tune_dspy

__all__ = ["DspyTuneConfig", "DspyTuneResult", "tune_dspy"]
