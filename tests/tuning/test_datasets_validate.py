"""The validator against a corpus of deliberately broken files: one per error class, each found at its line."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from practicum.cli import cli
from practicum.errors import InputError
from practicum.tuning.datasets import prices, tokens
from practicum.tuning.datasets.validation import detect_training_format, validate_file


def good_sft(i: int) -> dict:
    return {"messages": [
        {"role": "system", "content": "You are a patient teacher."},
        {"role": "user", "content": f"Is {i} + {i} equal to {i * 3}?"},
        {"role": "assistant", "content": "What does adding a number to itself give?", "weight": 1},
    ]}


def good_dpo(i: int) -> dict:
    return {"input": {"messages": [{"role": "user", "content": f"I think {i} x 0 = {i}."}]},
            "preferred_output": [{"role": "assistant", "content": "What happens with zero groups?"}],
            "non_preferred_output": [{"role": "assistant", "content": f"No, it is 0, not {i}."}]}


def write_lines(path, records):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def broken_file(tmp_path, good, bad, name="broken.jsonl"):
    """Ten good examples, then the broken one on line 11."""
    return write_lines(tmp_path / name, [good(i) for i in range(10)] + [bad])


SFT_BREAKAGES = {
    "invalid_json": '{"messages": [',
    "data_type": ["a list, not an object"],
    "missing_messages_list": {"messages": []},
    "message_missing_key": {"messages": [{"role": "user"}, {"role": "assistant", "content": "Hi"}]},
    "message_unrecognized_key": {"messages": [{"role": "user", "content": "Hi", "mood": "tired"},
                                              {"role": "assistant", "content": "Hello"}]},
    "unrecognized_role": {"messages": [{"role": "teacher", "content": "Hi"}, {"role": "assistant", "content": "Hi"}]},
    "missing_content": {"messages": [{"role": "user", "content": "  "}, {"role": "assistant", "content": "Hi"}]},
    "example_missing_assistant_message": {"messages": [{"role": "user", "content": "Hi"}]},
    "invalid_weight": {"messages": [{"role": "user", "content": "Hi", "weight": 1},
                                    {"role": "assistant", "content": "Hello", "weight": 0.5}]},
}


# As in the cookbook, a message without content also counts as missing_content.
ALSO_REPORTED = {"message_missing_key": {"missing_content"}}


@pytest.mark.parametrize("kind", sorted(SFT_BREAKAGES))
def test_each_openai_chat_error_class_is_found_on_its_line(tmp_path, kind):
    report = validate_file(broken_file(tmp_path, good_sft, SFT_BREAKAGES[kind]), "openai-sft")
    assert not report.ok
    expected = {kind} | ALSO_REPORTED.get(kind, set())
    assert {(p.at, p.kind) for p in report.errors} == {("line 11", k) for k in expected}
    assert report.error_counts()[kind] == (2 if kind == "invalid_weight" else 1)


DPO_BREAKAGES = {
    "missing_input": {k: v for k, v in good_dpo(0).items() if k != "input"},
    "missing_preferred_output": {k: v for k, v in good_dpo(0).items() if k != "preferred_output"},
    "missing_non_preferred_output": {k: v for k, v in good_dpo(0).items() if k != "non_preferred_output"},
    "invalid_output": {**good_dpo(0), "preferred_output": [{"role": "user", "content": "wrong side"}]},
    "identical_outputs": {**good_dpo(0), "non_preferred_output": good_dpo(0)["preferred_output"]},
    "missing_messages_list": {**good_dpo(0), "input": {"messages": "not a list"}},
    "unrecognized_role": {**good_dpo(0), "input": {"messages": [{"role": "coach", "content": "Hi"}]}},
}


@pytest.mark.parametrize("kind", sorted(DPO_BREAKAGES))
def test_each_openai_dpo_error_class_is_found_on_its_line(tmp_path, kind):
    report = validate_file(broken_file(tmp_path, good_dpo, DPO_BREAKAGES[kind]), "openai-dpo")
    assert {(p.at, p.kind) for p in report.errors} == {("line 11", kind)}


def good_hf(fmt):
    def make(i):
        prompt = [{"role": "system", "content": "Tutor."}, {"role": "user", "content": f"Is {i} odd?"}]
        if fmt == "hf-sft":
            return {"prompt": prompt, "completion": [{"role": "assistant", "content": "How could you check?"}]}
        if fmt == "hf-dpo":
            return {"prompt": prompt, "chosen": [{"role": "assistant", "content": "How could you check?"}],
                    "rejected": [{"role": "assistant", "content": "Yes."}]}
        return {"prompt": prompt, "completion": [{"role": "assistant", "content": "Check it."}], "label": True}
    return make


HF_BREAKAGES = [
    ("hf-sft", "missing_column", {"prompt": [{"role": "user", "content": "Hi"}]}),
    ("hf-sft", "inconsistent_columns", {**good_hf("hf-sft")(0), "extra": 1}),
    ("hf-sft", "invalid_completion", {**good_hf("hf-sft")(0), "completion": [{"role": "user", "content": "Hi"}]}),
    ("hf-sft", "message_missing_key", {**good_hf("hf-sft")(0), "prompt": [{"content": "no role"}]}),
    ("hf-sft", "missing_content", {**good_hf("hf-sft")(0), "prompt": [{"role": "user", "content": ""}]}),
    ("hf-sft", "unrecognized_role", {**good_hf("hf-sft")(0), "prompt": [{"role": "student", "content": "Hi"}]}),
    ("hf-sft", "data_type", 42),
    ("hf-dpo", "identical_outputs", {**good_hf("hf-dpo")(0), "rejected": good_hf("hf-dpo")(0)["chosen"]}),
    ("hf-kto", "invalid_label", {**good_hf("hf-kto")(0), "label": "yes"}),
]


@pytest.mark.parametrize("fmt, kind, bad", HF_BREAKAGES, ids=[f"{f}-{k}" for f, k, _ in HF_BREAKAGES])
def test_each_trl_error_class_is_found_on_its_line(tmp_path, fmt, kind, bad):
    report = validate_file(broken_file(tmp_path, good_hf(fmt), bad), fmt)
    assert {(p.at, p.kind) for p in report.errors} == {("line 11", kind)}


def test_good_files_pass_with_token_counts_and_cost(tmp_path):
    report = validate_file(write_lines(tmp_path / "ok.jsonl", [good_sft(i) for i in range(12)]), "openai-sft")
    assert report.ok and report.n_examples == 12
    counter = tokens.token_counter(prices.DEFAULT_MODEL)
    per_example = [counter.count_messages(good_sft(i)["messages"]) for i in range(12)]
    assert report.tokens["total"] == sum(per_example) and report.tokens["max"] == max(per_example)
    cost = report.cost
    assert cost["epochs"] == prices.default_epochs(12) == 8  # the cookbook: 100 // 12
    assert cost["usd"] == pytest.approx(sum(per_example) * 8 * 3.00 / 1e6, abs=1e-4)
    priced = validate_file(tmp_path / "ok.jsonl", "openai-sft", epochs=2, price=10.0)
    assert priced.cost["usd"] == pytest.approx(sum(per_example) * 2 * 10.0 / 1e6, abs=1e-4)
    for fmt, make in (("openai-dpo", good_dpo), ("hf-dpo", good_hf("hf-dpo")), ("hf-kto", good_hf("hf-kto"))):
        assert validate_file(write_lines(tmp_path / f"{fmt}.jsonl", [make(i) for i in range(10)]), fmt).ok


def test_too_few_examples_and_over_the_context_limit(tmp_path):
    long = {"messages": [{"role": "user", "content": "seven " * 17_000}, {"role": "assistant", "content": "Hmm."}]}
    report = validate_file(write_lines(tmp_path / "few.jsonl", [good_sft(0), long]), "openai-sft",
                           model="gpt-3.5-turbo-0125")
    assert {(p.at, p.kind) for p in report.errors} == {("file", "too_few_examples"), ("line 2", "over_context_limit")}
    assert report.tokens["context_limit"] == 16_385 and report.tokens["over_limit"] == 1


def test_validation_file_has_no_minimum_and_no_cost(tmp_path):
    """OpenAI's 10-example minimum is for training data; a small validation file is fine."""
    from practicum.tuning.datasets.validation import guess_purpose

    small = write_lines(tmp_path / "teacher.val.jsonl", [good_sft(0), good_sft(1)])
    as_training = validate_file(small, "openai-sft")
    assert [p.kind for p in as_training.errors] == ["too_few_examples"] and as_training.cost
    as_validation = validate_file(small, "openai-sft", purpose="validation")
    assert as_validation.ok and as_validation.cost == {} and as_validation.tokens["total"] > 0
    assert guess_purpose(small) == "validation" and guess_purpose(tmp_path / "teacher.jsonl") == "training"
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", str(small)], catch_exceptions=False)
    assert result.exit_code == 0 and "validation file" in result.output
    result = runner.invoke(cli, ["validate", str(small), "--purpose", "training"])
    assert result.exit_code == 1 and "too_few_examples" in result.output


def test_tiktoken_loads_offline_and_counts_exactly():
    counter = tokens.token_counter("gpt-4o-mini-2024-07-18")
    assert counter.exact and counter.name == "tiktoken o200k_base"
    assert counter.count("hello world") == 2
    assert tokens.token_counter("gpt-3.5-turbo-0125").name == "tiktoken cl100k_base"


def test_without_any_cached_encoding_counts_are_an_estimate(monkeypatch):
    tokens.token_counter.cache_clear()
    monkeypatch.setattr(tokens, "cache_dirs", lambda: [])
    try:
        counter = tokens.token_counter("gpt-4o-mini-2024-07-18")
        assert not counter.exact and counter.name.startswith("estimate")
        assert counter.count("abcdefghi") == math.ceil(9 / 4)
    finally:
        tokens.token_counter.cache_clear()


def test_dspy_file_checks(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"format": "practicum.dspy-examples", "input_keys": ["situation", "dialogue"],
                                "output_key": "reply", "examples": [
                                    {"situation": "s", "dialogue": [], "reply": "ok"},
                                    {"situation": "s", "reply": "no dialogue"},
                                    {"situation": "s", "dialogue": [], "reply": " "}]}))
    report = validate_file(path, "dspy")
    assert [(p.at, p.kind) for p in report.errors] == [("examples[1]", "missing_column"), ("examples[2]", "missing_content")]


def test_format_detection(tmp_path):
    for fmt, record in (("openai-sft", good_sft(0)), ("openai-dpo", good_dpo(0)), ("hf-sft", good_hf("hf-sft")(0)),
                        ("hf-dpo", good_hf("hf-dpo")(0)), ("hf-kto", good_hf("hf-kto")(0))):
        assert detect_training_format(write_lines(tmp_path / f"{fmt}.jsonl", [record])) == fmt
    with pytest.raises(InputError, match="cannot tell the format"):
        detect_training_format(write_lines(tmp_path / "odd.jsonl", [{"text": "hi"}]))


def test_cli_exits_non_zero_with_a_per_line_report(tmp_path):
    runner = CliRunner()
    bad = broken_file(tmp_path, good_sft, SFT_BREAKAGES["unrecognized_role"])
    result = runner.invoke(cli, ["validate", str(bad), "--json"])
    assert isinstance(result.exception, InputError) and "1 error (unrecognized_role: 1)" in str(result.exception)
    data = json.loads(result.output)
    assert data["ok"] is False and data["errors"][0]["at"] == "line 11"
    good = write_lines(tmp_path / "good.jsonl", [good_sft(i) for i in range(10)])
    ok = runner.invoke(cli, ["validate", str(good)], catch_exceptions=False)
    assert ok.exit_code == 0 and "No errors found" in ok.output and "Estimated training cost" in ok.output
