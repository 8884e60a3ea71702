"""Fixtures for driving the TUI: a store with a few sessions, and reading the app's notifications."""

from __future__ import annotations

import pytest

from practicum.records import Turn


def add_session(store, scenario, turns, *, source="simulated", status="completed", teacher="scripted",
                student="scripted") -> int:
    """Store one session with `turns` given as (role, text) pairs or Turn objects."""
    session_id = store.create_session(scenario, teacher_spec=teacher, student_spec=student, source=source)
    for i, turn in enumerate(turns):
        if not isinstance(turn, Turn):
            role, text = turn
            turn = Turn(i, role, text, move="probing" if role == "teacher" else None,
                        prompt_tokens=40 + i, completion_tokens=10 + i, latency=0.5 * (i + 1),
                        model=teacher if role == "teacher" else student)
        store.add_turn(session_id, turn)
    store.finish_session(session_id, status, "max_turns" if status == "completed" else "error")
    return session_id


@pytest.fixture
def seeded(store, scenario):
    """Three sessions: two on the fractions scenario (simulated), one on a reading scenario (mathdial)."""
    from practicum.scenarios.files import get_builtin

    reading = get_builtin("reading-main-idea")
    ids = [
        add_session(store, scenario, [("teacher", "What did you do with the denominators?"),
                                      ("student", "I added them, 3 plus 4 is 7.")]),
        add_session(store, scenario, [("teacher", "Can you draw the two fractions as pizzas?"),
                                      ("student", "The pizza slices are different sizes."),
                                      ("teacher", "Good noticing! What could make them the same size?")]),
        add_session(store, reading, [("teacher", "What is the paragraph mostly about?"),
                                     ("student", "It is about the dog.")], source="mathdial",
                    teacher="human", student="human"),
    ]
    return ids


@pytest.fixture
def notes():
    """A function returning the messages of every notification the app has shown."""
    return lambda app: [n.message for n in app._notifications]
