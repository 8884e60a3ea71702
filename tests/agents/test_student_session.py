"""Knowledge state and gate records travel with the turns: stored, read back, shown, and used on resume."""

from __future__ import annotations

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.runner import SessionRunner
from practicum.agents.session import SessionOptions
from practicum.agents.speakers import SpeakerBuilder, default_gate, parse_agent_spec
from practicum.records import Turn
from practicum.storage import runs as run_store
from practicum.tui.widgets.turn_card import student_state_line

from .test_student_state import SPOONS


def test_turn_metadata_round_trips_through_the_store(store):
    session = store.create_session(SPOONS, teacher_spec="scripted", student_spec="scripted")
    metadata = {"knowledge": {"stage": "partial", "reason": "the teacher told you a step"},
                "gate": {"candidates": 4, "kept": 1, "rejected": [{"index": 0, "defects": ["assistant_speak"]}]}}
    store.add_turn(session, Turn(idx=0, role="teacher", text="How many spoons did she use?"))
    store.add_turn(session, Turn(idx=1, role="student", text="She used 3.", metadata=metadata))
    run_store.record_step(store, turns=[(session, Turn(idx=2, role="teacher", text="And then?", metadata={"x": [1]}))])
    turns = store.get_turns(session)
    assert [t["metadata"] for t in turns] == [{}, metadata, {"x": [1]}]
    assert store.get_session(session)["turns"][1]["metadata"] == metadata


def test_a_session_stores_the_state_that_shaped_each_student_turn(store):
    backends = {"scripted:t": ScriptedBackend(["She used 3 spoons. Does she still have them?",
                                               "No: 12 + 3 = 15, so she bought 10 spoons."], spec="scripted:t")}
    student_backend = ScriptedBackend(["I'm glad I could help!", "I think it's 4, because 12 - 3 = 9.",
                                       "Oh, so she bought 10 spoons.", "Happy to help!"], spec="scripted:s")
    backends["scripted"] = student_backend
    builder = SpeakerBuilder(store, backends.__getitem__)
    options = SessionOptions(max_turns=4, seed=1)
    teacher = builder.speaker("teacher", "scripted:t", options.teacher_options)
    student = builder.speaker("student", "scripted:gate=2", options.student_options)
    assert student.gate == 2 and teacher.gate == 0  # scripted replies are used as queued unless gate= asks
    runner = SessionRunner(store, SPOONS, teacher, student, options)
    transcript = runner.run()
    assert transcript.stop_reason == "student_answered"
    stored = store.get_turns(runner.session_id)
    first, second = stored[1], stored[3]
    assert first["text"] == "I think it's 4, because 12 - 3 = 9."
    assert first["metadata"]["knowledge"]["stage"] == "partial"
    assert first["metadata"]["gate"]["rejected"][0]["defects"][0] == "assistant_speak"
    assert second["metadata"]["knowledge"]["stage"] == "understood"
    assert "state: understood (the teacher told you the answer)" in student_state_line(second).plain
    assert "gate: 1 of 2 refused (assistant_speak" in student_state_line(first).plain


def test_gate_and_state_are_role_options_of_the_agent_spec():
    spec = parse_agent_spec("local:adapter=none,gate=off,state=off")
    assert (spec.backend_text, spec.gate, spec.state) == ("local:adapter=none", 0, False)
    assert parse_agent_spec("openai:gpt-4o-mini,gate=3").gate == 3

    class OnePass(ScriptedBackend):
        batches_in_one_pass = True

    assert default_gate(OnePass(spec="local"), "student") == 2
    assert default_gate(OnePass(spec="local"), "teacher") == 1
    assert default_gate(ScriptedBackend(spec="openai:gpt-4o-mini"), "student") == 1
    assert default_gate(ScriptedBackend(spec="scripted"), "student") == 0
