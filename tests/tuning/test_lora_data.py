"""LoRA data: every accepted row layout, one-line errors naming file and line, exact loss masks, the split."""

from __future__ import annotations

import json

import pytest

from practicum.errors import InputError
from practicum.tuning.lora.data import (
    Conversation, PreferencePair, read_training_file, sibling_validation_file, split_by_conversation,
)
from practicum.tuning.lora.encoding import IGNORE, encode_conversation, encode_rows

SYSTEM = {"role": "system", "content": "You are a patient math teacher."}


def write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def tokenizer():
    pytest.importorskip("transformers")
    from tests.fakes.tiny_llama import build_tokenizer

    return build_tokenizer()


def test_reads_messages_and_prompt_completion_rows(tmp_path):
    path = write_jsonl(tmp_path / "train.jsonl", [
        {"messages": [SYSTEM, {"role": "user", "content": "3+4?"}, {"role": "assistant", "content": "Count up.", "weight": 0},
                      {"role": "user", "content": "12"}, {"role": "assistant", "content": "How did you get 12?"},
                      {"role": "user", "content": "I multiplied"}]},
        {"prompt": [SYSTEM, {"role": "user", "content": "2+2?"}], "completion": [{"role": "assistant", "content": "Try it."}]},
    ])
    data = read_training_file(path)
    assert data.objective == "sft" and len(data.rows) == 2 and len(data.sha256) == 64
    first, second = data.rows
    # weight 0 is context; messages after the last learned reply are dropped
    assert first.learned == [False, False, False, False, True] and first.line == 1
    assert second.learned == [False, False, True] and second.messages[-1]["content"] == "Try it."


def test_reads_preference_rows_and_refuses_mixing(tmp_path):
    pair = {"prompt": [SYSTEM, {"role": "user", "content": "3+4?"}],
            "chosen": [{"role": "assistant", "content": "What do you get if you count up?"}],
            "rejected": [{"role": "assistant", "content": "It is 7."}]}
    data = read_training_file(write_jsonl(tmp_path / "dpo.jsonl", [pair]))
    assert data.objective == "dpo" and isinstance(data.rows[0], PreferencePair)
    sft = {"prompt": pair["prompt"], "completion": pair["chosen"]}
    path = write_jsonl(tmp_path / "mixed.jsonl", [pair, sft])
    with pytest.raises(InputError, match=r"mixed.jsonl:2: a sft row in a file whose first row is dpo"):
        read_training_file(path)
    with pytest.raises(InputError, match="objective sft needs messages or prompt/completion rows"):
        read_training_file(tmp_path / "dpo.jsonl", objective="sft")


@pytest.mark.parametrize("bad,message", [
    ('{"messages": [', "invalid JSON"),
    ({"messages": [{"role": "user", "content": "hi"}]}, "no assistant message to learn"),
    ({"messages": [{"role": "robot", "content": "hi"}]}, "messages\\[0\\].role 'robot' is not one of"),
    ({"prompt": [SYSTEM], "completion": [{"role": "user", "content": "x"}]}, "'completion' must be one assistant message"),
    ({"prompt": [SYSTEM], "completion": [{"role": "assistant", "content": "x"}], "label": True}, "KTO rows"),
    ({"text": "plain"}, "expected columns messages, prompt/completion or prompt/chosen/rejected"),
    ([1, 2], "expected a JSON object"),
])
def test_bad_rows_name_file_and_line(tmp_path, bad, message):
    good = {"prompt": [SYSTEM], "completion": [{"role": "assistant", "content": "ok"}]}
    path = write_jsonl(tmp_path / "train.jsonl", [good, "", bad])
    with pytest.raises(InputError, match=message) as info:
        read_training_file(path)
    text = str(info.value)
    assert text.startswith(f"{path}:3: ") and "\n" not in text


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_training_file(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="no rows"):
        read_training_file(write_jsonl(tmp_path / "empty.jsonl", []))


def test_labels_cover_exactly_the_learned_assistant_replies(tokenizer):
    messages = [SYSTEM, {"role": "user", "content": "What is 3 plus 4?"},
                {"role": "assistant", "content": "What do you get if you count up from 3?"},
                {"role": "user", "content": "I think it is 12."},
                {"role": "assistant", "content": "Can you tell me how you got that?"},
                {"role": "user", "content": "I multiplied."},
                {"role": "assistant", "content": "Let us add the apples one by one."}]
    learned = [False, False, True, False, False, False, True]
    encoded = encode_conversation(tokenizer, messages, learned, max_length=1000)
    ids, labels = encoded.input_ids, encoded.labels
    assert len(ids) == len(labels)
    assert all(label in (IGNORE, token) for token, label in zip(ids, labels))
    # Runs of labelled tokens are exactly the learned replies with their end-of-turn token, in order.
    runs, current = [], []
    for token, label in zip(ids, labels):
        if label != IGNORE:
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    assert [tokenizer.decode(run) for run in runs] == [
        "What do you get if you count up from 3?<|im_end|>", "Let us add the apples one by one.<|im_end|>"]
    # Everything else (system, user turns, the unlearned reply, role headers) is present but masked.
    rendered = tokenizer.apply_chat_template(messages, tokenize=False)
    assert tokenizer.decode(ids) == rendered.rstrip("\n")
    masked_text = tokenizer.decode([t for t, label in zip(ids, labels) if label == IGNORE])
    assert "Can you tell me how you got that?" in masked_text and "I multiplied." in masked_text
    # The prompt part is tokenized exactly as the backend tokenizes a generation prompt.
    prompt = tokenizer.apply_chat_template(messages[:2], tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    assert ids[: len(prompt_ids)] == prompt_ids and set(labels[: len(prompt_ids)]) == {IGNORE}


def test_long_conversations_lose_their_oldest_turns_first(tokenizer):
    history = []
    for i in range(12):
        history += [{"role": "user", "content": f"Is it {i} apples?"}, {"role": "assistant", "content": f"Count {i} again."}]
    messages = [SYSTEM, *history, {"role": "user", "content": "It is 7."}, {"role": "assistant", "content": "Well done!"}]
    learned = [False] * (len(messages) - 1) + [True]
    full = encode_conversation(tokenizer, messages, learned, max_length=10_000)
    short = encode_conversation(tokenizer, messages, learned, max_length=len(full.input_ids) // 2)
    assert short.shortened and not short.truncated and len(short.input_ids) <= len(full.input_ids) // 2
    text = tokenizer.decode(short.input_ids)
    assert text.startswith("<|im_start|>system\nYou are a patient math teacher.<|im_end|>\n<|im_start|>user\n")
    assert "Is it 0 apples?" not in text and "Is it 11 apples?" in text
    assert text.endswith("It is 7.<|im_end|>\n<|im_start|>assistant\nWell done!<|im_end|>")
    assert short.n_learned == full.n_learned


def test_rows_that_cannot_fit_are_cut_and_dropped_when_nothing_learned_is_left(tokenizer):
    long_system = Conversation([{"role": "system", "content": "count " * 200}, {"role": "user", "content": "hi"},
                                {"role": "assistant", "content": "ok"}], [False, False, True], line=4)
    long_reply = Conversation([SYSTEM, {"role": "user", "content": "hi"},
                               {"role": "assistant", "content": "one two three " * 40}], [False, False, True], line=5)
    short = Conversation([SYSTEM, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello there"}],
                         [False, False, True], line=6)
    items, counts = encode_rows(tokenizer, [long_system, long_reply, short], max_length=64, path="f.jsonl")
    assert [item.line for item in items] == [5, 6]
    assert counts["dropped"] == 1 and counts["truncated"] == 2 and counts["rows"] == 3
    assert all(len(item.input_ids) <= 64 for item in items) and items[0].n_learned > 0


def test_split_keeps_conversations_whole(tmp_path):
    rows = []
    for dialogue in range(10):
        opening = [SYSTEM, {"role": "user", "content": f"problem {dialogue}"}]
        for turn in range(3):
            rows.append(Conversation(opening + [{"role": "assistant", "content": f"turn {turn}"}], [False, False, True],
                                     line=len(rows) + 1, group=f"g{dialogue}"))
    train, val = split_by_conversation(rows, 0.2, seed=0)
    assert len(val) == 6 and len(train) == 24
    assert not {r.group for r in train} & {r.group for r in val}
    assert split_by_conversation(rows, 0.2, seed=0)[1] == val
    assert split_by_conversation(rows, 0.0, seed=0) == (rows, [])


def test_rows_of_one_dialogue_share_a_group(tmp_path):
    opening = [SYSTEM, {"role": "user", "content": "3+4?"}]
    path = write_jsonl(tmp_path / "train.jsonl", [
        {"prompt": opening, "completion": [{"role": "assistant", "content": "Count up."}]},
        {"prompt": opening + [{"role": "assistant", "content": "Count up."}, {"role": "user", "content": "7"}],
         "completion": [{"role": "assistant", "content": "Good."}]},
        {"prompt": [SYSTEM, {"role": "user", "content": "5+5?"}], "completion": [{"role": "assistant", "content": "Hm?"}]},
    ])
    groups = [row.group for row in read_training_file(path).rows]
    assert groups[0] == groups[1] != groups[2]


def test_sibling_validation_file_is_the_exporters_name(tmp_path):
    train = write_jsonl(tmp_path / "teacher.jsonl", [])
    assert sibling_validation_file(train) is None
    val = write_jsonl(tmp_path / "teacher.val.jsonl", [])
    assert sibling_validation_file(train) == val
