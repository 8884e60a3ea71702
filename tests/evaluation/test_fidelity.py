"""The replay benchmark: the file has exactly its five fields, and each measure is computed as documented."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.roles import Student
from practicum.agents.session import AgentSpeaker
from practicum.evaluation.fidelity import ReplayTurn, discriminator_auc, fidelity_report, gate_summary
from practicum.evaluation.fidelity_replay import replay, replay_items, write_replay
from practicum.records import TEACHER, Turn

from ..agents.test_student_state import SPOONS

ROW_FIELDS = ["dialogue_id", "turn", "real", "simulated", "answer"]


def item(dialogue, turn, real, simulated, history=None):
    history = history or [Turn(idx=0, role=TEACHER, text="How many spoons did Julia have?")]
    return ReplayTurn(dialogue_id=dialogue, turn=turn, real=real, simulated=simulated, answer="10", scenario=SPOONS,
                      history=history, conversation=f"c{dialogue}")


def test_measures_on_hand_made_turns():
    turns = [
        item(1, 1, "I got 4 because 12 - 3 = 9.", "I think it is 4 spoons."),
        item(1, 3, "Oh, 12 + 3 = 15, so 10 spoons.", "So she bought 10 spoons."),
        item(2, 1, "I think 4 spoons.", "She bought 10 spoons, glad I could help!"),
        item(2, 3, "Still 4?", "Let's count the 3 spoons together."),
    ]
    report = fidelity_report(turns, auc=False)
    real, sim = report["real"], report["simulated"]
    assert real["turns"] == sim["turns"] == 4
    assert real["assistant_speak"] == 0 and sim["assistant_speak"] == 0.25
    assert sim["teacher_voice"] == 0.25
    assert real["states_answer"] == 0.25 and sim["states_answer"] == 0.5
    # the real student does not state the answer in turns 0, 2, 3; the simulated one does in turn 2
    assert sim["premature"] == pytest.approx(1 / 3)
    # before the real student's first statement: dialogue 1 turn 1, dialogue 2 turns 1 and 3
    assert sim["premature_before_first"] == pytest.approx(1 / 3)
    assert real["persistence"] == pytest.approx(3 / 3) and sim["persistence"] == pytest.approx(1 / 3)
    assert sim["answer_kappa"] == pytest.approx(0.5)
    assert real["median_words"] == 6.5 and sim["length_ratio"] == pytest.approx(sim["median_words"] / 6.5)


def test_the_discriminator_finds_a_student_that_always_says_the_same_thing_and_not_a_copy():
    reals = ["I think it is 4 spoons.", "She used 3, so 12 - 3 = 9.", "Oh, so I add the 3?", "Then 15 - 5 = 10.",
             "I'm not sure.", "Maybe 9 spoons.", "I added 5 to x.", "So x is 4."]
    copies = [item(d, t, r, r) for d in range(6) for t, r in enumerate(reals)]
    parrots = [item(d, t, r, "As an AI language model I am happy to help!") for d in range(6) for t, r in enumerate(reals)]
    assert discriminator_auc(parrots) > 0.95
    assert discriminator_auc(copies) == pytest.approx(0.5, abs=0.15)


def test_replay_file_rows_have_exactly_the_five_fields(tmp_path, mathdial_path):
    items = replay_items(mathdial_path, limit=2)
    assert {i.dialogue_id for i in items} == {6000025, 6000044} and all(i.turn > 0 for i in items)
    backend = ScriptedBackend(respond=lambda messages: "I think I subtracted, so 4 spoons.")
    speaker = AgentSpeaker(Student(), backend, gate=2)
    replay(items, speaker, batch_size=3)
    assert len(backend.history) == 2 * len(items)  # two candidates per turn
    prompt = backend.history[0][0]
    first = min(items, key=lambda i: (i.conversation, i.turn))
    assert prompt == Student().messages(first.scenario, first.history)  # the runtime prompt, directive included
    path = write_replay(items, tmp_path / "replay.jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == len(items) and all(list(r) == ROW_FIELDS for r in rows)
    assert rows[0]["answer"] == "10" and rows[0]["simulated"] == "I think I subtracted, so 4 spoons."
    assert gate_summary(items)["gated_turns"] == len(items)


def test_eval_fidelity_command_writes_the_file_and_reports_both_sides(tmp_path, mathdial_path):
    from practicum.cli import cli

    out = tmp_path / "replay.jsonl"
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "p.db"), "eval", "fidelity", "--input", str(mathdial_path),
                                      "--limit", "6", "--student", "scripted:gate=1", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["real"]["turns"] == report["simulated"]["turns"] == len(out.read_text().splitlines())
    assert report["simulated"]["median_words"] == 1.0  # the scripted default reply, "Okay."
    assert 0.5 <= report["simulated"]["discriminator_auc"] <= 1.0
    assert report["dialogues"] == 6 and report["gate_candidates"] == 1
