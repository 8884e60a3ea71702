"""`simulate` lifecycle at the command line: --db for run ids, human end of input, Ctrl-C, help that matches the code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from click.testing import CliRunner

from practicum.cli import cli

SCENARIO = "fractions-unlike-denominators"


def run(db, *args, input=None):
    return CliRunner().invoke(cli, ["--db", str(db), *args], input=input, catch_exceptions=False)


def practicum(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "practicum", *args], capture_output=True, text=True,
                          timeout=timeout)


def sessions(db) -> list[dict]:
    from practicum.storage.store import Store

    store = Store(db)
    try:
        return [store.get_session(s["id"]) for s in store.list_sessions(limit=None)]
    finally:
        store.close()


def tiny_adapter(folder, base_dir):
    """A real (untrained) peft LoRA adapter on the tiny Llama, with the manifest the LoRA tuner writes."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = get_peft_model(AutoModelForCausalLM.from_pretrained(str(base_dir)),
                           LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"]))
    model.save_pretrained(str(folder))
    (folder / "manifest.json").write_text(json.dumps({"base_model": {"path": str(base_dir), "embedded": False}}))
    return folder


def test_adapter_run_id_resolves_through_the_db_given_with_db(tmp_path, tiny_llama_dir, practicum_home):
    from practicum.storage.store import Store
    from practicum.storage.tuning_runs import create_tuning_run, update_tuning_run

    adapter = tiny_adapter(tmp_path / "adapter", tiny_llama_dir)
    decoy = Store()  # the default database ($PRACTICUM_HOME): its run 1 is not a LoRA run
    create_tuning_run(decoy, tuner="dspy", config={}, status="succeeded")
    decoy.close()
    db = tmp_path / "other.db"
    store = Store(db)
    run_id = create_tuning_run(store, tuner="lora", config={}, role="teacher", status="succeeded")
    update_tuning_run(store, run_id, artifact_path=str(adapter))
    store.close()
    assert run_id == 1

    result = run(db, "simulate", "--scenario", SCENARIO, "--turns", "2", "--teacher", "local:adapter=1",
                 "--student", "scripted:I added the bottoms.", "--temperature", "0")
    assert result.exit_code == 0, result.output
    [session] = sessions(db)
    assert session["teacher_spec"] == "local:adapter=1" and session["status"] == "completed"
    teacher_turn = session["turns"][0]
    assert teacher_turn["model"] == "local:adapter=1" and teacher_turn["completion_tokens"] > 0


def test_an_adapter_run_missing_from_the_db_is_a_one_line_error_naming_it(tmp_path):
    db = tmp_path / "p.db"
    proc = practicum("--db", str(db), "simulate", "--scenario", SCENARIO, "--teacher", "local:adapter=7",
                     "--student", "scripted")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"adapter=7: no tuning run with id 7 in the database {db}" in proc.stderr
    assert sessions(db) == []


def test_a_program_run_missing_from_the_db_names_it(tmp_path):
    db = tmp_path / "p.db"
    proc = practicum("--db", str(db), "simulate", "--scenario", SCENARIO, "--teacher", "scripted:program=4",
                     "--student", "scripted")
    assert proc.returncode == 1 and f"program=4: no tuning run with id 4 in the database {db}" in proc.stderr


def test_end_of_human_input_stores_the_session_as_interrupted(tmp_path):
    db = tmp_path / "p.db"
    result = run(db, "simulate", "--scenario", SCENARIO, "--teacher", "human", "--student",
                 "scripted:I added 3 and 4.", input="How did you get 7?\n")
    assert result.exit_code == 0, result.output
    assert "End of input: session 1 is stored as interrupted with its 2 turns." in result.output
    assert "Aborted" not in result.output
    [session] = sessions(db)
    assert (session["status"], session["stop_reason"], session["error"]) == ("interrupted", "end_of_input", "")
    assert [(t["role"], t["text"]) for t in session["turns"]] == [
        ("teacher", "How did you get 7?"), ("student", "I added 3 and 4.")]


def test_end_of_input_before_any_turn_stores_nothing(tmp_path):
    db = tmp_path / "p.db"
    result = run(db, "simulate", "--scenario", SCENARIO, "--teacher", "human", "--student", "scripted", input="")
    assert result.exit_code == 0 and "End of input: nothing was stored." in result.output
    assert sessions(db) == []


def test_ctrl_c_while_the_first_reply_is_generated_leaves_no_session_and_one_message(tmp_path):
    """A 5 s first reply stands in for the model loading; SIGINT arrives while it is under way."""
    db = tmp_path / "p.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "practicum", "--db", str(db), "simulate", "--scenario", SCENARIO, "--teacher",
         "scripted:delay=5", "--student", "scripted"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    header = proc.stdout.readline()  # printed just before the first turn is asked for
    assert "teacher scripted:delay=5" in header
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["Interrupted: nothing was stored."]
    assert sessions(db) == []


def test_temperature_help_states_the_default_the_code_uses():
    from practicum.agents.session import SessionOptions

    options = SessionOptions()
    assert options.teacher_options.temperature == options.student_options.temperature
    text = CliRunner().invoke(cli, ["simulate", "--help"]).output
    assert f"(default {options.teacher_options.temperature}; 0 is greedy)" in " ".join(text.split())
