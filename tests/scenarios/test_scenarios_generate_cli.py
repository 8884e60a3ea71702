"""`practicum scenarios generate` and `practicum scenarios misconceptions` through click, no model."""

from __future__ import annotations

import json
import time

from click.testing import CliRunner

from practicum.cli import cli
from practicum.errors import InputError
from practicum.scenarios.answers import extract_numbers, parse_numeric_answer
from practicum.scenarios.checks import scenario_faults
from practicum.storage.store import Store


def run(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)


def test_generate_stores_twenty_valid_math_scenarios(tmp_path):
    db = tmp_path / "p.db"
    start = time.perf_counter()
    result = run(db, "scenarios", "generate", "--subject", "math", "--grade", "5", "--count", "20")
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - start < 30 and "Generated 20 of 20 scenarios (stored)." in result.output
    stored = Store(db).list_scenarios(source="generated:construct")
    assert len(stored) == 20 and len({s.problem for s in stored}) == 20
    for s in stored:
        wrong = extract_numbers(s.student_profile.incorrect_solution)[-1]
        assert scenario_faults(s) == [] and parse_numeric_answer(s.answer) != wrong
        assert s.student_profile.misconception_id and s.student_profile.problem_family


def test_same_seed_same_batch_and_json_output(tmp_path):
    args = ["scenarios", "generate", "--subject", "reading", "--grade", "5", "--count", "4", "--seed", "9",
            "--no-save", "--json"]
    first, second = run(tmp_path / "a.db", *args), run(tmp_path / "b.db", *args)
    assert json.loads(first.stdout) == json.loads(second.stdout)
    assert len(json.loads(first.stdout)) == 4 and not Store(tmp_path / "a.db").list_scenarios()


def test_reword_with_a_backend_that_loses_the_numbers_keeps_the_templates(tmp_path):
    db = tmp_path / "p.db"
    plain = run(db, "scenarios", "generate", "--subject", "math", "--grade", "7", "--count", "3", "--no-save",
                "--json")
    reworded = run(db, "scenarios", "generate", "--subject", "math", "--grade", "7", "--count", "3", "--no-save",
                   "--json", "--reword", "--backend", "scripted")  # the scripted backend answers "Okay."
    assert reworded.exit_code == 0, reworded.output
    assert [s["problem"] for s in json.loads(reworded.stdout)] == [s["problem"] for s in json.loads(plain.stdout)]
    assert "Reworded 0 of 3 problems" in reworded.output and "numbers changed 3" in reworded.output


def test_filters_and_errors(tmp_path):
    db = tmp_path / "p.db"
    result = run(db, "scenarios", "generate", "--subject", "math", "--grade", "6", "--misconception",
                 "forgets-to-divide-by-100", "--count", "3", "--json", "--no-save")
    assert {s["student_profile"]["misconception_id"] for s in json.loads(result.stdout)} == {"forgets-to-divide-by-100"}
    bad = CliRunner().invoke(cli, ["--db", str(db), "scenarios", "generate", "--subject", "math", "--grade", "5",
                                   "--topic", "calculus"])  # cli.main turns an InputError into one line, exit 1
    assert isinstance(bad.exception, InputError) and "--topic 'calculus'" in str(bad.exception)
    both = CliRunner().invoke(cli, ["--db", str(db), "scenarios", "generate", "--subject", "math", "--grade", "5",
                                    "--reword", "--model-written"])
    assert both.exit_code == 2 and "not both" in both.output


def test_misconceptions_lists_the_library(tmp_path):
    rows = json.loads(run(tmp_path / "p.db", "scenarios", "misconceptions", "--json").stdout)
    names = {r["name"] for r in rows}
    assert {"add-across", "smaller-from-larger", "percent-of-new-price", "heavier-falls-faster"} <= names
    assert {r["subject"] for r in rows} == {"math", "science", "reading", "history"}
    add_across = next(r for r in rows if r["name"] == "add-across")
    assert add_across["families"] == ["fraction-addition"] and add_across["grades"] == "4-6"
    table = run(tmp_path / "p.db", "scenarios", "misconceptions", "--subject", "math", "--grade", "3").output
    assert "smaller-from-larger" in table and "add-across" not in table


def test_model_written_and_reword_on_an_openai_compatible_endpoint(tmp_path, monkeypatch):
    from tests.fakes.openai_server import FakeOpenAIServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    db = tmp_path / "p.db"
    with FakeOpenAIServer() as server:
        spec = f"openai:strong,base_url={server.base_url}"
        server.queue_reply("A recipe needs 1/2 cup of sugar and 1/3 cup of flour. How many cups is that in total?",
                           "5/6", "Adds the numerators and the denominators.", "1/2 + 1/3 = 2/5, so 2/5 cups.",
                           "3/6 + 2/6 = 5/6, so the answer is 5/6.")
        written = run(db, "scenarios", "generate", "--subject", "math", "--grade", "5", "--topic", "fractions",
                      "--model-written", "--backend", spec, "--json")
        assert written.exit_code == 0, written.output
        [scenario] = json.loads(written.stdout)
        assert scenario["answer"] == "5/6" and scenario["student_profile"]["wrong_answer"] == "2/5"
        assert scenario["source"] == f"generated:{spec}" and len(server.chat_requests) == 5

        built = json.loads(run(db, "scenarios", "generate", "--subject", "math", "--grade", "4", "--no-save",
                               "--json").stdout)[0]
        server.queue_reply("On a rainy afternoon, " + built["problem"])
        reworded = run(db, "scenarios", "generate", "--subject", "math", "--grade", "4", "--no-save", "--json",
                       "--reword", "--backend", spec)
        [kept] = json.loads(reworded.stdout)
        assert kept["problem"] == "On a rainy afternoon, " + built["problem"] and kept["answer"] == built["answer"]
        assert "Reworded 1 of 1 problems" in reworded.output
    stored = Store(db).list_scenarios()
    assert [s.student_profile.problem_family for s in stored] == ["model-written"]
