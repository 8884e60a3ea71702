"""A judge that a small local model can be: one yes/no question per dimension, read from its probabilities.

Asked for a JSON grade, the embedded 135M model writes a story about the problem instead (0 of 4
probe replies parsed), so free-form judging gives nothing to compare. Here the model is asked
one MRBench question at a time and never generates: its next-token probabilities for "Yes" and
"No" as the reply's first word are read in one forward pass, and the score is the probability
of the good pole on the judge's 0-2 scale (2 * P(good) / (P(yes) + P(no))). Scores are stored as
ratings by `judge-choice:<spec>`, so every rating query and the loop's paired comparison read
them like any rater's. How much to trust them is measured, not assumed: `answer_agreement`
checks the revealing dimension against `states_answer` on the same turns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from practicum.records import TEACHER
from practicum.scenarios.answers import states_answer

# dimension -> (question, label whose answer "Yes" is the good pole)
QUESTIONS = {
    "revealing_of_the_answer": ("Does the tutor's response tell the student the final answer ({answer})?", False),
    "providing_guidance": ("Does the tutor's response guide the student with a hint or a question?", True),
}
LABELS = ("Yes", "No")


@dataclass
class ChoiceJudgeResult:
    """What one pass judged: the rater name, turns, and per-turn (session, turn, dimension, score)."""

    rater: str
    turns: int = 0
    scores: list[tuple[int, int, str, float]] = field(default_factory=list)


def choice_prompt(problem: str, answer: str, history: list[dict], turn_text: str, question: str) -> list[dict]:
    """Chat messages asking one yes/no question about one teacher turn."""
    lines = "\n".join(f"{t['role'].capitalize()}: {t['text']}" for t in history[-4:]) or "(no earlier turns)"
    user = (f"Problem: {problem}\nCorrect answer: {answer}\n\nConversation so far:\n{lines}\n\n"
            f"Tutor response:\nTeacher: {turn_text}\n\nQuestion: {question.format(answer=answer)} "
            "Answer Yes or No.")
    return [{"role": "system", "content": "You grade tutoring dialogues. Answer with one word: Yes or No."},
            {"role": "user", "content": user}]


def yes_probability(tokenizer, model, messages: list[dict]) -> float:
    """P(Yes) / (P(Yes) + P(No)) for the first token of the assistant's reply."""
    import torch

    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
    label_ids = [tokenizer(label, add_special_tokens=False)["input_ids"][0] for label in LABELS]
    with torch.inference_mode():
        logits = model(input_ids=ids).logits[0, -1]
    pair = torch.log_softmax(logits, dim=-1)[label_ids]
    return float(torch.softmax(pair, dim=-1)[0])


def judge_sessions_by_choice(store, session_ids: list[int], spec: str = "local", *,
                             max_turns_per_session: int | None = None, progress=None) -> ChoiceJudgeResult:
    """Score the sessions' teacher turns on each QUESTIONS dimension; store the scores as ratings."""
    from practicum.agents.backends.local import load_model
    from practicum.agents.backends.spec import parse_spec

    parsed = parse_spec(spec)
    if parsed.kind != "local":
        raise ValueError(f"the choice judge reads a local model's probabilities; got {spec}")
    tokenizer, model = load_model(parsed.options.get("model"), parsed.options.get("adapter"))
    result = ChoiceJudgeResult(rater=f"judge-choice:{spec}")
    jobs = []
    for session_id in session_ids:
        session = store.get_session(session_id)
        scenario = store.get_scenario(session["scenario_id"])
        turns = session["turns"]
        teacher = [i for i, t in enumerate(turns) if t["role"] == TEACHER][:max_turns_per_session]
        jobs += [(session_id, scenario, turns, position) for position in teacher]
    for number, (session_id, scenario, turns, position) in enumerate(jobs):
        turn = turns[position]
        for dimension, (question, yes_is_good) in QUESTIONS.items():
            messages = choice_prompt(scenario.problem, scenario.answer, turns[:position], turn["text"], question)
            p_yes = yes_probability(tokenizer, model, messages)
            score = 2 * (p_yes if yes_is_good else 1 - p_yes)
            store.add_rating(session_id, rater=result.rater, dimension=dimension, score=round(score, 4),
                             turn_idx=turn["idx"], comment=f"P(yes)={p_yes:.3f}")
            result.scores.append((session_id, turn["idx"], dimension, score))
        result.turns += 1
        if progress:
            progress(number + 1, len(jobs))
    return result


def answer_agreement(store, result: ChoiceJudgeResult) -> dict:
    """The revealing dimension (below 1: judged revealing) against `states_answer` on the same turns.

    Plain agreement flatters a judge that never flags anything when few turns state the answer, so the
    counts on both sides and the balanced accuracy (mean recall of the two classes) come with it.
    """
    truth, judged = [], []
    for session_id, turn_idx, dimension, score in result.scores:
        if dimension != "revealing_of_the_answer":
            continue
        session = store.get_session(session_id)
        answer = store.get_scenario(session["scenario_id"]).answer
        text = next(t["text"] for t in session["turns"] if t["idx"] == turn_idx)
        truth.append(states_answer(text, answer))
        judged.append(score < 1)
    total = len(truth)
    recalls = [sum(j == t for j, t in zip(judged, truth) if t == side) / truth.count(side)
               for side in (True, False) if truth.count(side)]
    return {"turns": total, "stating_answer": sum(truth), "judged_revealing": sum(judged),
            "agreement": round(sum(j == t for j, t in zip(judged, truth)) / total, 4) if total else None,
            "balanced_accuracy": round(sum(recalls) / 2, 4) if len(recalls) == 2 else None}
