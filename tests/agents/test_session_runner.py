"""SessionRunner: the row appears with the first turn, each turn is stored as it comes, one ending is stored."""

from __future__ import annotations

import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.runner import SessionRunner
from practicum.agents.session import HumanSpeaker, SessionOptions
from practicum.agents.speakers import SpeakerBuilder
from practicum.errors import BackendError


def runner_for(store, scenario, teacher_replies, student_replies, max_turns=4, **kwargs):
    backends = {"scripted:t": ScriptedBackend(teacher_replies, default=None, spec="scripted:t"),
                "scripted:s": ScriptedBackend(student_replies, default=None, spec="scripted:s")}
    builder = SpeakerBuilder(store, backends.__getitem__)
    options = SessionOptions(max_turns=max_turns, seed=3)
    teacher = builder.speaker("teacher", "scripted:t", options.teacher_options)
    student = builder.speaker("student", "scripted:s", options.student_options)
    return SessionRunner(store, scenario, teacher, student, options, **kwargs)


def test_completed_session_row_holds_specs_seed_options_programs_and_every_turn(store, scenario):
    runner = runner_for(store, scenario, ["Why 7?", "And the bottoms?"], ["I added.", "I added them too."])
    seen = []
    for turn in runner.play():
        seen.append(turn)
        assert [t["text"] for t in store.get_turns(runner.session_id)][-1] == turn.text  # stored before it is yielded
    session = store.get_session(runner.session_id)
    assert (session["status"], session["stop_reason"], session["error"]) == ("completed", "max_turns", "")
    assert [t["text"] for t in session["turns"]] == ["Why 7?", "I added.", "And the bottoms?", "I added them too."]
    assert (session["teacher_spec"], session["student_spec"], session["seed"]) == ("scripted:t", "scripted:s", 3)
    assert session["options"]["max_turns"] == 4 and session["options"]["teacher"]["temperature"] == 0.3
    assert session["teacher_program"] == session["prompts"]["teacher"]["version"] != ""
    assert session["student_program"] == session["prompts"]["student"]["version"] != ""
    assert session["ended"] and len(seen) == 4


def test_interrupt_keeps_the_turns_and_marks_the_session_interrupted(store, scenario):
    runner = runner_for(store, scenario, ["Why 7?", KeyboardInterrupt()], ["I added."], max_turns=6)
    with pytest.raises(KeyboardInterrupt):
        for _ in runner.play():
            pass
    session = store.get_session(runner.session_id)
    assert (session["status"], session["stop_reason"]) == ("interrupted", "interrupted")
    assert [t["role"] for t in session["turns"]] == ["teacher", "student"]


def test_ctrl_c_before_the_first_turn_leaves_no_row(store, scenario):
    """Like Ctrl-C while the model loads: the first request never returns."""
    runner = runner_for(store, scenario, [KeyboardInterrupt()], [])
    with pytest.raises(KeyboardInterrupt):
        runner.run()
    assert runner.session_id is None and store.count_sessions() == 0
    assert runner.outcome.status == "interrupted"


def test_a_backend_failure_marks_the_session_failed_with_its_error(store, scenario):
    runner = runner_for(store, scenario, ["Why 7?", BackendError("endpoint unreachable")], ["I added."], max_turns=6)
    with pytest.raises(BackendError):
        runner.run()
    session = store.get_session(runner.session_id)
    assert (session["status"], session["stop_reason"]) == ("failed", "error")
    assert session["error"] == "endpoint unreachable" and len(session["turns"]) == 2


def test_a_failure_before_the_first_turn_is_still_stored(store, scenario):
    runner = runner_for(store, scenario, [RuntimeError("CUDA out of memory\nat line 3")], [])
    with pytest.raises(Exception):
        runner.run()
    session = store.get_session(runner.session_id)
    assert session["status"] == "failed" and session["turns"] == []
    assert "CUDA out of memory at line 3" in session["error"]  # one line, names what failed


def test_end_of_human_input_is_interrupted_with_its_reason_not_failed(store, scenario):
    typed = iter(["What did you do first?"])

    def ask(scenario, history):
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    student = SpeakerBuilder(store, lambda spec: ScriptedBackend(["I added the bottoms."])).speaker("student", "local")
    runner = SessionRunner(store, scenario, HumanSpeaker("teacher", ask), student, SessionOptions(max_turns=6))
    with pytest.raises(EOFError):
        runner.run()
    session = store.get_session(runner.session_id)
    assert (session["status"], session["stop_reason"], session["error"]) == ("interrupted", "end_of_input", "")
    assert session["teacher_spec"] == "human" and [t["role"] for t in session["turns"]] == ["teacher", "student"]
    assert "teacher" not in session["prompts"]  # a person has no role program


def test_cancel_between_turns_and_only_the_first_ending_counts(store, scenario):
    runner = runner_for(store, scenario, ["Why 7?", "Hm?"], ["I added.", "Yes."], max_turns=6)
    turns = runner.play(cancelled=lambda: len(runner.state.turns) >= 3)
    assert len(list(turns)) == 3
    runner.fail("late error")  # a later ending does not overwrite the first
    session = store.get_session(runner.session_id)
    assert (session["status"], session["stop_reason"], session["error"]) == ("interrupted", "cancelled", "")


def test_person_ends_a_practice_session_with_their_reason(store, scenario):
    student = SpeakerBuilder(store, lambda spec: ScriptedBackend(["I added."])).speaker("student", "local")
    runner = SessionRunner(store, scenario, HumanSpeaker("teacher"), student, SessionOptions(max_turns=60),
                           source="practice", extra_options={"via": "tui"})
    from practicum.agents.session import Reply

    runner.add(Reply(text="How did you start?", model="human"))
    runner.step()
    runner.finish("teacher_ended")
    session = store.get_session(runner.session_id)
    assert (session["status"], session["stop_reason"], session["source"]) == ("completed", "teacher_ended", "practice")
    assert session["options"]["via"] == "tui" and [t["model"] for t in session["turns"]] == ["human", "scripted"]
