"""Best-of-n keeps the ranker's best candidate the gate allows, and every candidate is stored with its ratings."""

from __future__ import annotations

import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.agents.best_of import Ranked, pick
from practicum.agents.fidelity_gate import check
from practicum.agents.session import SessionOptions, run_to_end
from practicum.agents.speakers import SpeakerBuilder, parse_agent_spec
from practicum.errors import BackendError
from practicum.records import STUDENT, TEACHER, Turn
from practicum.storage.candidates import list_candidates

from .test_student_state import SPOONS

HISTORY = [Turn(0, TEACHER, "Talk me through your solution."), Turn(1, STUDENT, "I got 4 spoons.")]


class TableRanker:
    """Scores each text from a table (unknown texts 0); records what it was asked."""

    rater = "judge:table@1"

    def __init__(self, totals: dict[str, float]):
        self.totals = totals
        self.asked: list[list[str]] = []

    def rank(self, scenario, history, texts):
        self.asked.append(list(texts))
        return [Ranked(self.totals.get(t, 0.0), [("guidance", 1.0 + 4 * self.totals.get(t, 0.0), "scripted")])
                for t in texts]


def test_pick_keeps_the_highest_ranked_candidate_among_those_the_gate_allows():
    texts = ["Good luck with the spoons!", "Why did you subtract the 3 spoons she used?",
             "What happened to the 3 spoons she used?"]
    ranker = TableRanker({texts[0]: 0.9, texts[1]: 0.4, texts[2]: 0.7})
    best = pick(texts, TEACHER, SPOONS, HISTORY, None, ranker)
    assert best.index == 2 and best.text == texts[2]
    assert ranker.asked == [texts]  # every candidate is ranked, the refused one too
    meta = best.as_metadata()
    assert meta["kept"] == 2 and meta["rater"] == "judge:table@1"
    assert meta["candidates"][0]["defects"] == ["sign_off"] and meta["candidates"][0]["total"] == 0.9


def test_a_teacher_candidate_that_gives_the_answer_away_is_not_kept_however_well_it_ranks():
    texts = ["The answer is 10 spoons: she had 12 + 3 - 5 = 10.", "Where did the 3 spoons she used go?"]
    assert "reveals_answer" in check(texts[0], TEACHER, SPOONS, HISTORY).defects
    assert "reveals_answer" not in check(texts[0], TEACHER, SPOONS, HISTORY + [Turn(2, STUDENT, "Is it 10?")]).defects
    best = pick(texts, TEACHER, SPOONS, HISTORY, None, TableRanker({texts[0]: 2.0, texts[1]: 0.1}))
    assert best.index == 1


def test_ties_keep_the_first_candidate_and_all_refused_keeps_the_least_bad():
    texts = ["How many spoons did she use?", "How many spoons were left at the end?"]
    assert pick(texts, TEACHER, SPOONS, HISTORY, None, TableRanker({})).index == 0
    bad = ["Good luck!", "Let me know if you have questions. Happy learning!"]
    best = pick(bad, TEACHER, SPOONS, HISTORY, None, TableRanker({}))
    assert best.index == 0 and best.gate.candidates[1].defects


def _builder(replies, ranker):
    backends = {}

    def make_backend(spec):
        if spec not in backends:
            backends[spec] = ScriptedBackend(list(replies[spec.split(":")[0]]), spec=spec)
        return backends[spec]

    return SpeakerBuilder(None, make_backend, lambda role: ranker)


def test_best_of_spec_samples_n_in_one_batch_and_stores_every_candidate_with_its_ratings(store):
    teacher_lines = ["Happy learning!", "Where did the 3 spoons she used go?", "How many did her husband give her?"]
    ranker = TableRanker({teacher_lines[1]: 0.3, teacher_lines[2]: 0.8})
    builder = _builder({"scripted": teacher_lines + ["I think it is still 4."]}, ranker)
    teacher = builder.speaker(TEACHER, "scripted:best_of=3")
    assert teacher.candidates == 3
    # the student is a second scripted backend (another spec text, so another queue)
    student = builder.speaker(STUDENT, "scripted:gate=0")
    session_id = store.create_session(SPOONS, teacher_spec="scripted:best_of=3", student_spec="scripted")
    transcript = run_to_end(SPOONS, teacher, student, SessionOptions(max_turns=1, seed=1),
                            on_turn=lambda t: store.add_turn(session_id, t))
    assert transcript.turns[0].text == teacher_lines[2]
    stored = list_candidates(store, session_id, 0)
    assert [c["text"] for c in stored] == teacher_lines
    assert [c["note"].endswith("kept") for c in stored] == [False, False, True]
    assert "refused: sign_off" in stored[0]["note"]
    assert [round(c["mean_score"], 2) for c in stored] == [1.0, 2.2, 4.2]
    row = store.get_turns(session_id)[0]
    assert "text" not in row["metadata"]["best_of"]["candidates"][0]  # the text lives in turn_candidates


def test_best_of_needs_a_ranker_and_takes_a_number():
    with pytest.raises(BackendError, match="best_of="):
        parse_agent_spec("local:best_of=many")
    assert parse_agent_spec("local:best_of=off").best_of == 1
    builder = SpeakerBuilder(None, lambda spec: ScriptedBackend(["x"], spec=spec))
    with pytest.raises(BackendError, match="needs a ranker"):
        builder.speaker(TEACHER, "scripted:best_of=4")


def test_a_teacher_sentence_that_gives_the_answer_away_is_cut_when_others_remain():
    checked = check("So she had 10 spoons. Why did you take the 3 away?", TEACHER, SPOONS, HISTORY)
    assert checked.text == "Why did you take the 3 away?" and checked.repaired and checked.clean


def test_praising_the_written_wrong_attempt_in_the_first_turn_is_caught():
    # the student's attempt (answer 4, the right one is 10) opens the dialogue before any turn is spoken
    assert check("Awesome! You've got it right there.", TEACHER, SPOONS, []).defects == ["praise_wrong"]
    repaired = check("Awesome! Where did the 3 spoons go?", TEACHER, SPOONS, [])
    assert repaired.text == "Where did the 3 spoons go?" and repaired.clean
