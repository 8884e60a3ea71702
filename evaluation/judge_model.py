"""The default pedagogical judge: linear views over n-grams, MiniLM embeddings and cues, validated on MRBench.

    from practicum.evaluation.judge_model import load_judge
    judge = load_judge()                                   # the packaged artifact, offline
    verdicts = judge.score(contexts, responses, answers)   # one {dimension: Verdict} per response
    verdicts[0]["Revealing_of_the_Answer"].label           # 'Yes (and the answer is correct)'

A context is the dialogue before the response: `Tutor:`/`Student:` text, or a
list of turns ((role, text) pairs, dicts or Turn objects). `answers` (optional)
are the problems' final answers; the judge then knows when a response states
one. Labels never enter prediction. Scores are stored as ratings by
`judge:<name>@<version>` (see `judge_store`).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from practicum.errors import NotFoundError
from practicum.evaluation.judge_features import JUDGE_FEATURES, feature_rows
from practicum.evaluation.mrbench import DIMENSIONS, parse_history

JUDGE_NAME = "minilm-mrbench"
ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
ENSEMBLE_FILE = "judge.npz"
MANIFEST_FILE = "judge.manifest.json"
_CHUNK = 256

_lock = threading.Lock()
_loaded: dict[str, "PedagogicalJudge"] = {}


@dataclass(frozen=True)
class Verdict:
    """One dimension's label for one response, with the class probabilities behind it."""

    label: str
    probabilities: dict[str, float] = field(default_factory=dict)

    @property
    def confidence(self) -> float:
        """Probability of the chosen label."""
        return self.probabilities.get(self.label, 0.0)


def _turns(context) -> list[tuple[str, str]]:
    if context is None:
        return []
    if isinstance(context, str):
        return parse_history(context)
    out = []
    for turn in context:
        if isinstance(turn, dict):
            out.append((turn["role"], turn.get("text") or turn.get("content") or ""))
        elif hasattr(turn, "role"):
            out.append((turn.role, turn.text))
        else:
            out.append((turn[0], turn[1]))
    return out


class PedagogicalJudge:
    """Labels tutor responses on the MRBench dimensions it was trained on."""

    def __init__(self, ensemble, manifest: dict | None = None):
        """Wrap a loaded LinearJudgeModel (see `load_judge`)."""
        self.ensemble = ensemble
        self.manifest = manifest or {}
        self.classes: dict[str, tuple[str, ...]] = {name: tuple(classes)
                                                     for name, classes in ensemble.meta["tasks"].items()}
        if tuple(ensemble.meta.get("features", ())) != JUDGE_FEATURES:
            raise NotFoundError(f"{ensemble.path}: made with other judge features; rebuild it with "
                                "`practicum eval train-judge`")

    @property
    def version(self) -> str:
        """Content hash of the artifact."""
        return self.ensemble.version

    @property
    def rater(self) -> str:
        """The rater name its scores are stored under: `judge:<name>@<version>`."""
        return f"judge:{JUDGE_NAME}@{self.version}"

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The dimensions it labels."""
        return tuple(self.classes)

    def probabilities(self, contexts, responses, answers=None, progress=None) -> dict:
        """Class probabilities per dimension: {dimension: array (n, classes)} in `self.classes` order."""
        import numpy as np

        answers = list(answers) if answers is not None else [""] * len(responses)
        if not (len(contexts) == len(responses) == len(answers)):
            raise ValueError("contexts, responses and answers must have the same length")
        parts: dict[str, list] = {name: [] for name in self.classes}
        for start in range(0, len(responses), _CHUNK):
            stop = min(start + _CHUNK, len(responses))
            turns = [_turns(c) for c in contexts[start:stop]]
            texts = [r or "" for r in responses[start:stop]]
            features = np.array(feature_rows(zip(turns, texts, answers[start:stop])), dtype=np.float32)
            predicted = self.ensemble.predict(turns, texts, features)
            for name in self.classes:
                parts[name].append(predicted[name])
            if progress:
                progress(stop, len(responses))
        return {name: (np.vstack(p) if p else np.zeros((0, len(self.classes[name]))))
                for name, p in parts.items()}

    def score(self, contexts, responses, answers=None, progress=None) -> list[dict[str, Verdict]]:
        """One {dimension: Verdict} per response."""
        probabilities = self.probabilities(contexts, responses, answers, progress)
        out = []
        for row in range(len(responses)):
            verdicts = {}
            for name, classes in self.classes.items():
                p = probabilities[name][row]
                verdicts[name] = Verdict(classes[int(p.argmax())],
                                         {c: round(float(v), 4) for c, v in zip(classes, p)})
            out.append(verdicts)
        return out


def default_artifact() -> Path:
    """The packaged judge file."""
    return ARTIFACT_DIR / ENSEMBLE_FILE


def load_judge(path: str | Path | None = None) -> PedagogicalJudge:
    """Load a judge (None or 'model': the packaged one), once per process; NotFoundError says how to build it."""
    from practicum.evaluation.judge_linear import LinearJudgeModel

    path = Path(path) if path and str(path) != "model" else default_artifact()
    if not path.exists():
        raise NotFoundError(f"no judge at {path}; build it with: practicum eval train-judge --input FILE")
    key = f"{path.resolve()}:{path.stat().st_mtime_ns}"
    with _lock:
        if key not in _loaded:
            manifest_path = path.with_name(path.name.replace(".npz", ".manifest.json"))
            manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
            _loaded[key] = PedagogicalJudge(LinearJudgeModel.load(path), manifest)
        return _loaded[key]


def known_dimensions() -> tuple[str, ...]:
    """Every MRBench dimension name, in the order the data README lists them."""
    return tuple(DIMENSIONS)
