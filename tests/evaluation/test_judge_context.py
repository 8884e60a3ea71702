"""The judge reads what MRBench's annotators saw: the student's attempt opens every judged dialogue."""

from __future__ import annotations

from practicum.evaluation.judge_model import Verdict
from practicum.evaluation.judge_ratings import judge_context, judge_stored_sessions
from practicum.records import Turn


class RecordingJudge:
    """Labels every response 'No' and keeps the contexts it was given (the judge's inputs are under test)."""

    rater = "judge:recording@1"

    def __init__(self):
        self.contexts = []

    def score(self, contexts, responses, answers, progress=None):
        self.contexts += [list(c) for c in contexts]
        return [{"Providing_Guidance": Verdict("No", {"No": 1.0})} for _ in responses]


def test_context_opens_with_the_request_and_the_students_attempt(scenario):
    turns = [Turn(0, "teacher", "How did you get 2/7?")]
    context = judge_context(scenario, turns)
    assert context[0].role == "teacher" and scenario.problem in context[0].text
    assert (context[1].role, context[1].text) == ("student", scenario.student_profile.incorrect_solution.strip())
    assert context[2:] == turns


def test_no_attempt_means_no_invented_opening(scenario):
    bare = scenario.model_copy(update={"student_profile": scenario.student_profile.model_copy(
        update={"incorrect_solution": ""})})
    assert judge_context(bare, []) == []


def test_stored_sessions_are_judged_with_the_attempt_before_each_teacher_turn(store, scenario):
    turns = [Turn(0, "teacher", "How did you get 2/7?"), Turn(1, "student", "I added the tops and bottoms."),
             Turn(2, "teacher", "Are thirds and fourths the same size?")]
    session = store.import_transcript(scenario, turns, source="test")
    judge = RecordingJudge()
    result = judge_stored_sessions(store, [session], judge)
    assert result["turns"] == 2 and len(judge.contexts) == 2
    first, second = judge.contexts
    assert (first[1].role, first[1].text) == ("student", scenario.student_profile.incorrect_solution.strip())
    assert len(first) == 2
    assert [t["text"] for t in second[2:]] == ["How did you get 2/7?", "I added the tops and bottoms."]
