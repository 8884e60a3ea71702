"""Bounded role prompts: never over PROMPT_MAX_TOKENS, whatever the scenario, turns, demos or instructions.

Counted with the embedded model's real tokenizer and chat template when the embedded model is
installed; otherwise the meter counts UTF-8 bytes, a bound no tokenizer of this family can exceed.
"""

from __future__ import annotations

import json

import pytest

from practicum.agents.prompt_budget import (
    PROMPT_MAX_TOKENS, REPLY_MAX_TOKENS, ROW_MAX_TOKENS, WINDOW_TURNS, bounds, meter, prompt_tokens,
)
from practicum.agents.roles import Student, Teacher, opening_turn
from practicum.records import Turn

LONG = "Why do you think the bottom numbers can be added like that, when the pieces differ in size? "
WEIRD = "ü€😀 १२३ 7/8=0.875 ‽ " * 3
DIGITS = "1234567890 / 987654321 = " * 4


def real_counter():
    """(count(messages), name): the embedded tokenizer with its chat template, or the meter's byte bound."""
    from practicum.agents.backends.token_meter import tokenizer_file

    path = tokenizer_file()
    if path is None:
        assert not meter().exact
        return prompt_tokens, "utf-8 bytes"
    transformers = pytest.importorskip("transformers")
    tok = transformers.AutoTokenizer.from_pretrained(str(path.parent))
    return (lambda messages: len(tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                                         return_dict=False))), "embedded tokenizer"


@pytest.fixture(scope="module")
def count():
    return real_counter()[0]


def scenarios(base):
    huge = base.model_copy(update={"problem": "A tank holds 3/4 of 1,234 litres. " * 90, "answer": "12" * 400,
                                   "objective": "Understand " * 300, "subject": "math " * 50})
    huge.student_profile = huge.student_profile.model_copy(update={
        "incorrect_solution": "I added the tops and the bottoms, so 2/7. " * 120, "persona": WEIRD * 40,
        "knowledge_state": DIGITS * 30, "misconceptions": [LONG * 10] * 8, "name": "Ana" * 100})
    unicode = base.model_copy(update={"problem": WEIRD * 60})
    return {"built-in": base, "huge fields": huge, "unicode": unicode}


def history(n, text=LONG * 12):
    return [Turn(i, "teacher" if i % 2 == 0 else "student", f"{i}: {text}{WEIRD if i % 3 else DIGITS}")
            for i in range(n)]


@pytest.mark.parametrize("role_class", [Teacher, Student])
def test_a_rendered_prompt_never_exceeds_its_stated_length(role_class, scenario, count):
    role = role_class()
    worst = 0
    for name, sc in scenarios(scenario).items():
        for n in (0, 1, WINDOW_TURNS, WINDOW_TURNS + 1, 40):
            for turns in (history(n), history(n, LONG * 200)):
                messages = role.messages(sc, turns)
                worst = max(worst, count(messages))
                assert count(messages) <= PROMPT_MAX_TOKENS, (name, n)
                assert messages[0]["role"] == "system" and messages[-1]["role"] == "user"
    assert worst > PROMPT_MAX_TOKENS * 0.8  # the inputs really pushed against the bound


def test_demos_and_long_instructions_stay_within_the_bound(scenario, count):
    import dspy

    role = Teacher()
    role.respond.signature = role.respond.signature.with_instructions(LONG * 60)
    role.respond.demos = [dspy.Example(situation="s", dialogue=[{"role": "student", "text": LONG * 30}],
                                       reply=LONG * 30).with_inputs("situation", "dialogue") for _ in range(9)]
    for sc in scenarios(scenario).values():
        for n in (0, 3, 20):
            assert count(role.messages(sc, history(n))) <= PROMPT_MAX_TOKENS


def test_the_window_keeps_the_opening_and_the_last_turns_and_summarises_the_rest(scenario):
    turns = [Turn(i, "teacher" if i % 2 == 0 else "student", f"Turn number {i} says something short.")
             for i in range(10)]
    messages = Teacher().messages(scenario, turns)  # the last turn is the student's: no cue after it
    said = [m["content"] for m in messages[1:]]
    assert said[0] == opening_turn(scenario)["text"]
    assert said[-WINDOW_TURNS:] == [t.text for t in turns[-WINDOW_TURNS:]]
    assert "Earlier in this conversation (4 turns not shown)" in messages[0]["content"]
    assert "Turn number 3 says" in messages[0]["content"] and "Turn number 5 says" not in messages[0]["content"]
    short = Teacher().messages(scenario, turns[:WINDOW_TURNS])
    assert "Earlier in this conversation" not in short[0]["content"]
    assert [m["content"] for m in short[1:]][-WINDOW_TURNS:] == [t.text for t in turns[:WINDOW_TURNS]]


def test_meter_clips_within_the_count():
    m = meter()
    text = LONG * 20 + WEIRD * 10
    for n in (1, 5, 17, 100):
        assert m.count(m.clip(text, n)) <= n and m.count(m.clip_start(text, n)) <= n
        assert m.count(m.clip_middle(text, n)) <= n
    assert m.clip("short", 10) == "short"
    middle = m.clip_middle("first words " + "x y " * 200 + "the answer is 4", 30)
    assert middle.startswith("first words") and middle.endswith("the answer is 4")


def test_exported_rows_fit_the_row_bound_and_the_manifest_says_so(store, scenario, tmp_path, count):
    from practicum.tuning.datasets.exporting import ExportSettings, export_dataset

    sc = scenarios(scenario)["huge fields"]
    turns = [Turn(i, "teacher" if i % 2 == 0 else "student", f"{i} {LONG * 40}") for i in range(14)]
    store.import_transcript(sc, turns, source="simulated")
    out = tmp_path / "sft.jsonl"
    result = export_dataset(store, "hf-sft", out, settings=ExportSettings(val_fraction=0))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 7
    for row in rows:
        whole = count(row["prompt"] + row["completion"])  # the generation prompt counts as the reply's header
        assert whole <= ROW_MAX_TOKENS
        assert meter().count(row["completion"][0]["content"]) <= REPLY_MAX_TOKENS
    assert result.counts["prompt_bound"] == bounds()
    assert result.counts["prompt_bound"]["max_row_tokens"] == 1024
