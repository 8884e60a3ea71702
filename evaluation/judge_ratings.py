"""Judge labels as ratings: the review rubric's names and scales where it has the dimension, 0-2 elsewhere.

A rating's meaning comes from its dimension name, for humans and judges alike:
the TUI agreement screen and review compare scores under the same name. So a
judge's label for a dimension the review rubric also has is stored under the
rubric's name on the rubric's scale (good pole -> high, partly -> middle, bad
pole -> low); the other MRBench dimensions keep their own names on the 0-2
scale (2 = the good pole). The label and its probability go in the comment.
"""

from __future__ import annotations

from practicum.evaluation.rubric import DEFAULT_RUBRIC

# MRBench name (as in the data files) -> lower-case judge name (evaluation.judge.DIMENSIONS keys)
JUDGE_NAMES = {
    "Mistake_Identification": "mistake_identification", "Mistake_Location": "mistake_location",
    "Revealing_of_the_Answer": "revealing_of_the_answer", "Providing_Guidance": "providing_guidance",
    "Actionability": "actionability", "Coherence": "coherence", "Tutor_Tone": "tutor_tone",
    "humanlikeness": "human_likeness",
}
# judge name -> the review rubric's name for the same question
RUBRIC_NAMES = {"mistake_identification": "mistake_identification", "providing_guidance": "guidance",
                "actionability": "actionability", "coherence": "coherence", "tutor_tone": "encouraging_tone"}
# Each judge dimension's labels from the good pole (2) to the bad pole (0), lower-cased.
POLES = {
    "revealing_of_the_answer": ("no", "yes (incorrect)", "yes (correct)"),
    "tutor_tone": ("encouraging", "neutral", "offensive"),
}
_DEFAULT_POLES = ("yes", "to some extent", "no")
_NO_ANSWER = {"", "unknown", "n/a", "none", "not available", "(not given)"}  # placeholders imported scenarios use
_MRBENCH_LABELS = {"yes (and the answer is correct)": "yes (correct)",
                   "yes (but the answer is incorrect)": "yes (incorrect)"}


def judge_score(dimension: str, label: str) -> float | None:
    """A label's 0-2 score (2 = good pole) for a judge dimension; None for an unknown label."""
    label = _MRBENCH_LABELS.get(label.strip().lower(), label.strip().lower())
    poles = POLES.get(dimension, _DEFAULT_POLES)
    return float(2 - poles.index(label)) if label in poles else None


def on_scale(score: float, low: int, high: int) -> float:
    """A 0-2 score on a rubric scale low..high: 2 -> high, 1 -> the middle (rounded down), 0 -> low."""
    return float(low + (high - low) * score / 2 if score != 1 else (low + high) // 2)


def to_rating_rows(labels: dict[str, str], rubric=None, notes: dict[str, str] | None = None) -> list[tuple]:
    """(dimension, score, comment) rows for one turn's labels, keyed by MRBench or judge names.

    Rubric dimensions get rubric names and scales. The rubric's 'guidance' asks for guidance *without
    giving the answer away*, so a response judged to reveal the correct answer scores at most its low end.
    """
    rubric = rubric or DEFAULT_RUBRIC
    scales = {d.name: (d.low, d.high) for d in rubric.teacher}
    notes = notes or {}
    named = {JUDGE_NAMES.get(k, k): (v, notes.get(k, "")) for k, v in labels.items()}
    rows = []
    for dimension, (label, note) in named.items():
        score = judge_score(dimension, label)
        if score is None:
            continue
        comment = f"{label}{f' ({note})' if note else ''}"
        target = RUBRIC_NAMES.get(dimension)
        if target in scales:
            if target == "guidance" and named.get("revealing_of_the_answer", ("",))[0].lower().startswith(
                    ("yes (correct)", "yes (and")):
                score = 0.0
                comment += "; reveals the answer"
            rows.append((target, on_scale(score, *scales[target]), comment))
        else:
            rows.append((dimension, score, comment))
    return rows


def rating_scale(dimension: str, rubric=None) -> tuple[int, int]:
    """The scale a stored judge or human score under `dimension` is on: the rubric's, else 0-2."""
    rubric = rubric or DEFAULT_RUBRIC
    for d in rubric.teacher:
        if d.name == dimension:
            return d.low, d.high
    return 0, 2


def comparison_name(dimension: str) -> str:
    """The judge name a stored dimension compares under (rubric names map back to judge names)."""
    back = {rubric: judge for judge, rubric in RUBRIC_NAMES.items()}
    return back.get(dimension, dimension)


def judge_context(scenario, turns) -> list:
    """The dialogue the judge reads before a teacher turn: MRBench's opening (two Turns), then the session's turns.

    Every MRBench dialogue the judge learned from opens with the tutor asking for a solution and the
    student giving their (wrong) one; practicum keeps that attempt in the scenario, not in the turns.
    So the same two lines go first here, or the judge could not see the mistake it is asked about.
    """
    from practicum.records import STUDENT, TEACHER, Turn

    attempt = (scenario.student_profile.incorrect_solution or "").strip() if scenario is not None else ""
    if not attempt:
        return list(turns)
    request = ("Hi, could you please provide a step-by-step solution for the question below? "
               f"The question is: {scenario.problem}")
    return [Turn(-2, TEACHER, request), Turn(-1, STUDENT, attempt)] + list(turns)


def judge_stored_sessions(store, session_ids: list[int], judge, *, max_turns_per_session: int | None = None,
                          rubric=None, progress=None) -> dict:
    """Label every teacher turn of the sessions with a model judge and store the labels as its ratings.

    The judge reads each turn with the dialogue before it and the scenario's answer. Returns counts and the
    label distribution per dimension.
    """
    from practicum.records import TEACHER

    jobs = []
    for session_id in session_ids:
        session = store.get_session(session_id)
        scenario = store.get_scenario(session["scenario_id"])
        turns = session["turns"]
        teacher = [i for i, t in enumerate(turns) if t["role"] == TEACHER][:max_turns_per_session]
        answer = "" if (scenario.answer or "").strip().lower() in _NO_ANSWER else scenario.answer
        jobs += [(session_id, turns[i]["idx"], judge_context(scenario, turns[:i]), turns[i]["text"], answer)
                 for i in teacher]
    verdicts = judge.score([j[2] for j in jobs], [j[3] for j in jobs], [j[4] for j in jobs], progress=progress)
    counts: dict[str, dict[str, int]] = {}
    for (session_id, turn_idx, *_), verdict in zip(jobs, verdicts):
        labels = {name: v.label for name, v in verdict.items()}
        notes = {name: f"p={v.confidence:.2f}" for name, v in verdict.items()}
        for dimension, score, comment in to_rating_rows(labels, rubric, notes):
            store.add_rating(session_id, rater=judge.rater, dimension=dimension, score=score, turn_idx=turn_idx,
                             comment=comment)
        for name, v in verdict.items():
            counts.setdefault(name, {}).setdefault(v.label, 0)
            counts[name][v.label] += 1
    return {"rater": judge.rater, "sessions": len(session_ids), "turns": len(jobs), "labels": counts}


def unjudged_sessions(store, session_ids: list[int], rater: str) -> list[int]:
    """The sessions with no rating from `rater` yet (so judging a selection twice stores nothing twice)."""
    from practicum.storage.rating_queries import current_ratings

    return [i for i in session_ids if not current_ratings(store, i, rater)]


def label_summary(result: dict) -> str:
    """One line of `judge_stored_sessions`'s counts: the share of judged turns with each dimension's good label."""
    parts = []
    for name, good in (("Providing_Guidance", "Yes"), ("Revealing_of_the_Answer", "No"),
                       ("Mistake_Identification", "Yes"), ("Actionability", "Yes")):
        counts = result["labels"].get(name)
        if counts:
            share = counts.get(good, 0) / max(1, sum(counts.values()))
            parts.append(f"{JUDGE_NAMES[name].replace('_', ' ')} {good.lower()} {share:.0%}")
    return f"{result['rater']} on {result['turns']} teacher turns: " + ", ".join(parts)
