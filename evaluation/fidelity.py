"""Student fidelity measures: how much a simulated student's turns look like the real student's, turn by turn.

The replay benchmark (fidelity_replay.py) puts a simulated student in each real student's place, one
turn at a time, with the real dialogue before it. Each measure is computed on the simulated turns
and, beside it, on the real turns of the same positions:

- assistant_speak: share of turns in the chat-assistant register (agents/fidelity_gate.ASSISTANT_SPEAK);
- teacher_voice: share of turns where the student talks like the tutor (fidelity_gate.TEACHER_VOICE);
- states_answer: share of turns stating the problem's correct answer (scenarios/answers.states_answer);
- answer_kappa: Cohen's kappa between the simulated and the real turn on "states the correct answer";
- premature: share of the turns where the real student does not state the answer in which the simulated
  one does; premature_before_first: the same over turns before the real student first states it;
- persistence: over the turns before the real student first states the answer, the share stating the
  misconception's wrong answer (the attempt's final answer), as session_metrics' misconception persistence;
- on_problem: share of turns naming a number or word of the problem or the last turns (fidelity_gate);
- unfinished: share of turns that stop mid-sentence;
- median_words and length_ratio (simulated median / real median);
- discriminator_auc: a TF-IDF logistic regression trained to tell real from simulated turns,
  cross-validated with whole dialogues held out (GroupKFold by dialogue); 0.5 means indistinguishable.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from practicum.agents.fidelity_gate import end_at_sentence, is_assistant_speak, is_on_problem, is_teacher_voice
from practicum.evaluation.rater_agreement import cohen_kappa
from practicum.scenarios.answers import states_answer

MEASURES = ("turns", "assistant_speak", "teacher_voice", "states_answer", "answer_kappa", "premature",
            "premature_before_first", "persistence", "on_problem", "unfinished", "median_words", "length_ratio",
            "discriminator_auc")


@dataclass
class ReplayTurn:
    """One replayed student turn: the file row (dialogue_id, turn, real, simulated, answer) and its context."""

    dialogue_id: object  # the record's qid
    turn: int  # the turn's index in the dialogue
    real: str
    simulated: str
    answer: str
    scenario: object = None  # the Scenario the turn belongs to (for the wrong answer and on-problem)
    history: list = field(default_factory=list)  # the real turns before it
    conversation: str = ""  # unique per dialogue (qids repeat: several teachers tutored one problem)
    metadata: dict = field(default_factory=dict)  # knowledge state and gate record of the simulated turn
    first_candidate: str = ""  # the first sampled candidate, cleaned but not gated: an ungated reply

    def ungated(self) -> ReplayTurn:
        """This turn as the ungated student would have said it (its first candidate)."""
        from dataclasses import replace

        return replace(self, simulated=self.first_candidate, metadata={})

    def row(self) -> dict:
        """The replay file's row: exactly dialogue_id, turn, real, simulated, answer."""
        return {"dialogue_id": self.dialogue_id, "turn": self.turn, "real": self.real, "simulated": self.simulated,
                "answer": self.answer}


def _words(text: str) -> int:
    return len((text or "").split())


def _wrong_answer(turn: ReplayTurn) -> str:
    if turn.scenario is None:
        return ""
    from practicum.agents.student_state import StudentFacts

    return StudentFacts.of(turn.scenario).wrong_answer


def _before_first(turns: list[ReplayTurn]) -> list[bool]:
    """Per turn: the real student has not stated the answer in this turn or any earlier turn of its dialogue."""
    said: dict[str, bool] = {}
    flags = []
    for t in sorted(range(len(turns)), key=lambda i: (turns[i].conversation or str(turns[i].dialogue_id), turns[i].turn)):
        key = turns[t].conversation or str(turns[t].dialogue_id)
        said[key] = said.get(key, False) or states_answer(turns[t].real, turns[t].answer)
        flags.append((t, not said[key]))
    return [flag for _, flag in sorted(flags)]


def side_measures(turns: list[ReplayTurn], side: str) -> dict:
    """Every per-turn measure for one side ('real' or 'simulated')."""
    texts = [getattr(t, side) for t in turns]
    n = len(texts)
    if not n:
        return {"turns": 0}
    real_states = [states_answer(t.real, t.answer) for t in turns]
    states = [states_answer(text, t.answer) for text, t in zip(texts, turns)]
    before = _before_first(turns)
    not_real = [i for i in range(n) if not real_states[i]]
    early = [i for i in range(n) if before[i]]
    wrong_turns = [(i, w) for i in early for w in [_wrong_answer(turns[i])] if w]
    out = {
        "turns": n,
        "assistant_speak": _share(is_assistant_speak(x) for x in texts),
        "teacher_voice": _share(is_teacher_voice(x) for x in texts),
        "states_answer": _share(states),
        "answer_kappa": _kappa(states, real_states),
        "premature": _share(states[i] for i in not_real),
        "premature_before_first": _share(states[i] for i in early),
        "persistence": _share(states_answer(texts[i], w) for i, w in wrong_turns),
        "on_problem": _share(is_on_problem(x, t.scenario, t.history) for x, t in zip(texts, turns)
                             if t.scenario is not None),
        "unfinished": _share(not end_at_sentence(x)[1] or end_at_sentence(x)[0] != (x or "").strip() for x in texts),
        "median_words": float(statistics.median(_words(x) for x in texts)),
    }
    return out


def fidelity_report(turns: list[ReplayTurn], *, auc: bool = True, folds: int = 5, seed: int = 0) -> dict:
    """{'real': measures, 'simulated': measures}: the same measures on both sides, with length ratio and AUC."""
    real, simulated = side_measures(turns, "real"), side_measures(turns, "simulated")
    if turns:
        real["length_ratio"] = 1.0
        simulated["length_ratio"] = (simulated["median_words"] / real["median_words"]) if real["median_words"] else None
        real["answer_kappa"] = 1.0
        real["discriminator_auc"] = 0.5
        simulated["discriminator_auc"] = discriminator_auc(turns, folds=folds, seed=seed) if auc else None
    return {"real": real, "simulated": simulated}


def discriminator_auc(turns: list[ReplayTurn], folds: int = 5, seed: int = 0) -> float | None:
    """Out-of-fold ROC AUC of a classifier telling real from simulated turns, folds grouped by dialogue.

    Word 1-2-grams and character 2-4-grams (TF-IDF) plus the turn's length, a class-balanced logistic
    regression; None when there are too few dialogues for the folds.
    """
    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold

    texts = [t.real for t in turns] + [t.simulated or "" for t in turns]
    labels = np.array([0] * len(turns) + [1] * len(turns))
    groups = np.array([str(t.dialogue_id) for t in turns] * 2)
    k = min(folds, len(set(groups)))
    if k < 2:
        return None
    scores = np.zeros(len(texts))
    for train, test in GroupKFold(n_splits=k).split(texts, labels, groups):
        words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True)
        fit = [texts[i] for i in train]
        lengths = np.log1p([[len(x.split())] for x in texts])
        x_train = hstack([words.fit_transform(fit), chars.fit_transform(fit), csr_matrix(lengths[train])]).tocsr()
        x_test = hstack([words.transform([texts[i] for i in test]), chars.transform([texts[i] for i in test]),
                         csr_matrix(lengths[test])]).tocsr()
        model = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced", random_state=seed)
        model.fit(x_train, labels[train])
        scores[test] = model.predict_proba(x_test)[:, 1]
    return float(roc_auc_score(labels, scores))


def gate_summary(turns: list[ReplayTurn]) -> dict:
    """How often the gate refused candidates, by defect, and how often it fell back to a built line."""
    counts: dict[str, int] = {}
    fallbacks = gated = 0
    for t in turns:
        gate = (t.metadata or {}).get("gate")
        if not gate:
            continue
        gated += 1
        fallbacks += bool(gate.get("fallback"))
        for rejected in gate.get("rejected", []):
            for defect in rejected["defects"]:
                counts[defect] = counts.get(defect, 0) + 1
    return {"gated_turns": gated, "fallbacks": fallbacks, "rejections": dict(sorted(counts.items()))}


def _share(values) -> float | None:
    values = [bool(v) for v in values]
    return sum(values) / len(values) if values else None


def _kappa(a: list[bool], b: list[bool]) -> float | None:
    if not a:
        return None
    return cohen_kappa(a, b, labels=[False, True])
