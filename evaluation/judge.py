"""An optional LLM judge: grades teacher turns on the MRBench dimensions through any chat backend.

MRBench (Maurya et al., NAACL 2025) rates a tutor's response to a student's
mistake on eight dimensions with three-way labels. The judge asks for one JSON
object per teacher turn; replies are parsed leniently (JSON, then `key: value`
lines, loose label words), and a reply that still cannot be read is stored as a
`judge_error` rating with the raw text, never raised. Scores are stored as
ratings by rater `judge:<backend spec>` the way every judge stores them
(`judge_ratings.to_rating_rows`): under the review rubric's name and scale where
the rubric has the dimension, else on 0-2 (2 = the good pole: yes / encouraging
/ did not reveal; 1 = partly; 0 = the bad pole); the label word goes in the
comment. The packaged model judge (`judge_model`) is the default; this one is
for any chat backend (`--judge openai:MODEL`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from practicum.agents.backends.base import GenerationOptions
from practicum.records import TEACHER
from practicum.evaluation.judge_ratings import to_rating_rows

ERROR_DIMENSION = "judge_error"

# dimension -> (question, {label: score})
DIMENSIONS: dict[str, tuple[str, dict[str, float]]] = {
    "mistake_identification": ("Does the tutor recognise that the student made a mistake?",
                               {"yes": 2, "to some extent": 1, "no": 0}),
    "mistake_location": ("Does the tutor point to where the mistake is?", {"yes": 2, "to some extent": 1, "no": 0}),
    "revealing_of_the_answer": ("Does the tutor reveal the final answer? ('no', 'yes (correct)' or "
                                "'yes (incorrect)')", {"no": 2, "yes (incorrect)": 1, "yes (correct)": 0}),
    "providing_guidance": ("Does the tutor offer useful guidance (hints, explanations, questions)?",
                           {"yes": 2, "to some extent": 1, "no": 0}),
    "actionability": ("Is it clear what the student should do next?", {"yes": 2, "to some extent": 1, "no": 0}),
    "coherence": ("Is the response coherent with the conversation?", {"yes": 2, "to some extent": 1, "no": 0}),
    "tutor_tone": ("Is the tone encouraging, neutral or offensive?", {"encouraging": 2, "neutral": 1, "offensive": 0}),
    "human_likeness": ("Does it sound like a human tutor?", {"yes": 2, "to some extent": 1, "no": 0}),
}

_SYNONYMS = {
    "partially": "to some extent", "partly": "to some extent", "somewhat": "to some extent",
    "some": "to some extent", "to some degree": "to some extent", "sort of": "to some extent",
    "true": "yes", "false": "no", "positive": "encouraging", "supportive": "encouraging",
    "rude": "offensive", "negative": "offensive",
}


class JudgeParseError(ValueError):
    """A judge reply that holds no usable scores."""


def judge_prompt(problem: str, answer: str, history: list[dict], turn_text: str) -> list[dict]:
    """The chat messages asking the judge to grade one teacher turn."""
    lines = "\n".join(f"{t['role'].capitalize()}: {t['text']}" for t in history) or "(no earlier turns)"
    questions = "\n".join(f'- "{name}": {question} Labels: {", ".join(labels)}'
                          for name, (question, labels) in DIMENSIONS.items())
    user = (
        f"Problem: {problem}\nCorrect answer: {answer}\n\nConversation so far:\n{lines}\n\n"
        f"Tutor response to grade:\nTeacher: {turn_text}\n\n"
        f"Grade the tutor response on each dimension:\n{questions}\n\n"
        "Reply with one JSON object mapping each dimension name to one of its labels, and nothing else."
    )
    return [{"role": "system", "content": "You are an expert grader of math tutoring dialogues."},
            {"role": "user", "content": user}]


def _key(text: str) -> str:
    return re.sub(r"[^a-z]+", "_", text.lower()).strip("_")


_KEYS = {_key(name): name for name in DIMENSIONS}
_KEYS.update({"tone": "tutor_tone", "revealing_answer": "revealing_of_the_answer",
              "answer_revealing": "revealing_of_the_answer", "guidance": "providing_guidance",
              "humanlikeness": "human_likeness", "human_like": "human_likeness"})


def _label(dimension: str, value) -> str | None:
    labels = DIMENSIONS[dimension][1]
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if isinstance(value, (int, float)):
        matches = [label for label, score in labels.items() if score == value]
        return matches[0] if matches else None
    text = re.sub(r"\s+", " ", str(value).strip().lower()).strip(" .\"'")
    text = _SYNONYMS.get(text, text)
    if text in labels:
        return text
    if dimension == "revealing_of_the_answer" and text.startswith("yes"):
        return "yes (incorrect)" if "incorrect" in text or "wrong" in text else "yes (correct)"
    for label in sorted(labels, key=len, reverse=True):
        if text.startswith(label):
            return label
    return None


def parse_judge_reply(text: str) -> dict[str, str]:
    """Read {dimension: label} from a judge reply; JudgeParseError when no dimension can be read."""
    candidates = []
    for match in re.finditer(r"\{.*?\}", text or "", re.DOTALL):
        candidates.append(match.group(0))
    greedy = re.search(r"\{.*\}", text or "", re.DOTALL)
    if greedy:
        candidates.insert(0, greedy.group(0))
    pairs: list[tuple[str, object]] = []
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            pairs = list(data.items())
            break
    if not pairs:
        # Broken JSON: quoted "key": value pairs; then plain `Key: value` lines (value to the end of the line).
        pairs = [(k, v) for k, _, v in re.findall(r'"([^"\n]+)"\s*:\s*("?)([^",}\n]*)\2', text or "")]
        pairs += re.findall(r"^\s*[-*]?\s*([A-Za-z][A-Za-z _-]+?)\s*[:=]\s*(.+?)\s*$", text or "", re.MULTILINE)
    labels: dict[str, str] = {}
    for key, value in pairs:
        dimension = _KEYS.get(_key(str(key)))
        if dimension and dimension not in labels:
            label = _label(dimension, value)
            if label is not None:
                labels[dimension] = label
    if not labels:
        preview = (text or "").strip().replace("\n", " ")[:80]
        raise JudgeParseError(f"no MRBench dimension found in judge reply: {preview!r}")
    return labels


@dataclass
class JudgeResult:
    """What one judging pass did."""

    rater: str
    turns: int = 0
    parsed: int = 0
    failed: int = 0
    partial: int = 0  # replies that scored only some dimensions
    errors: list[str] = field(default_factory=list)


def judge_sessions(store, session_ids: list[int], backend, *, max_turns_per_session: int | None = None,
                   batch_size: int = 8, options: GenerationOptions | None = None, progress=None) -> JudgeResult:
    """Grade every teacher turn of the sessions and store the scores as ratings by `judge:<spec>`."""
    rater = f"judge:{backend.spec}"
    options = options or GenerationOptions(max_tokens=200, temperature=0.0)
    result = JudgeResult(rater=rater)
    jobs = []
    for session_id in session_ids:
        session = store.get_session(session_id)
        scenario = store.get_scenario(session["scenario_id"])
        turns = session["turns"]
        teacher = [i for i, t in enumerate(turns) if t["role"] == TEACHER][:max_turns_per_session]
        for position in teacher:
            messages = judge_prompt(scenario.problem, scenario.answer, turns[:position], turns[position]["text"])
            jobs.append((session_id, turns[position]["idx"], messages))
    for start in range(0, len(jobs), batch_size):
        batch = jobs[start : start + batch_size]
        try:
            replies = [c.text for c in backend.complete_batch([m for _, _, m in batch], options)]
        except Exception as exc:  # a failing backend is recorded per turn, like a bad reply
            replies = [exc] * len(batch)
        for (session_id, turn_idx, _), reply in zip(batch, replies):
            _store_judgement(store, result, session_id, turn_idx, reply)
        if progress:
            progress(min(start + batch_size, len(jobs)), len(jobs))
    return result


def _store_judgement(store, result: JudgeResult, session_id: int, turn_idx: int, reply) -> None:
    result.turns += 1
    try:
        if isinstance(reply, Exception):
            raise JudgeParseError(f"backend failed: {reply}")
        labels = parse_judge_reply(reply)
    except JudgeParseError as exc:
        result.failed += 1
        result.errors.append(f"session {session_id} turn {turn_idx}: {exc}")
        raw = reply if isinstance(reply, str) else ""
        store.add_rating(session_id, rater=result.rater, dimension=ERROR_DIMENSION, score=None, turn_idx=turn_idx,
                         comment=f"{exc} | raw: {raw[:500]}")
        return
    result.parsed += 1
    if len(labels) < len(DIMENSIONS):
        result.partial += 1
    for dimension, score, comment in to_rating_rows(labels):
        store.add_rating(session_id, rater=result.rater, dimension=dimension, score=score, turn_idx=turn_idx,
                         comment=comment)


def to_judge_scale(scores: list[float], low: int, high: int) -> list[float]:
    """Bin scores on a rubric scale low..high onto the judge's 0-2 scale by thirds of the range.

    The scale comes from the rubric (a 1-5 dimension: 1-2 -> 0, 3 -> 1, 4-5 -> 2), never from the data.
    A rubric already on 0..2 is returned unchanged.
    """
    if (low, high) == (0, 2):
        return [float(s) for s in scores]
    span = high - low
    return [0.0 if (s - low) / span < 1 / 3 else (1.0 if (s - low) / span <= 2 / 3 else 2.0) for s in scores]


def judge_agreement(store, rater: str, session_ids: list[int] | None = None, rubric=None) -> list[dict]:
    """Per (dimension, other rater): n, agreement, Cohen's kappa, quadratic kappa and Spearman with the judge.

    Items are teacher turns scored by both. A score under a review-rubric name is on that rubric
    dimension's scale (the default rubric unless `rubric` is given) and compares under the judge's name
    for the same question (guidance -> providing_guidance, encouraging_tone -> tutor_tone); any other
    dimension is on the judge's 0-2 scale. Kappas compare both sides binned to 0-2 by thirds of their
    scale (`binned` says whether the other rater's scale needed it); Spearman uses the raw scores.
    """
    from practicum.evaluation.judge_ratings import comparison_name, rating_scale
    from practicum.evaluation.scores import agreement_summary, spearman
    from practicum.storage.metrics_queries import latest_scores

    judged = {}
    for r in latest_scores(store, rater=rater, session_ids=session_ids):
        judged[(r["session_id"], r["turn_idx"], comparison_name(r["dimension"]))] = (
            r["score"], rating_scale(r["dimension"], rubric))
    groups: dict[tuple, tuple[list, list]] = {}
    for row in latest_scores(store, exclude_prefix="judge:", session_ids=session_ids):
        dimension = comparison_name(row["dimension"])
        key = (row["session_id"], row["turn_idx"], dimension)
        if key in judged:
            score, judge_scale = judged[key]
            group = (dimension, row["rater"], judge_scale, rating_scale(row["dimension"], rubric))
            judge, other = groups.setdefault(group, ([], []))
            judge.append(score)
            other.append(row["score"])
    out = []
    for (dimension, other_rater, judge_scale, scale), (judge, other) in sorted(groups.items()):
        summary = agreement_summary(to_judge_scale(judge, *judge_scale), to_judge_scale(other, *scale),
                                    labels=[0.0, 1.0, 2.0])
        summary["spearman"] = spearman(judge, other)
        out.append({"dimension": dimension, "rater": other_rater, "binned": scale != (0, 2), **summary})
    return out
