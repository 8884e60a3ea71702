"""Practice feedback with the real packaged judge (skipped until it is built; under CI=true it must exist)."""

from __future__ import annotations

import os

import pytest

from practicum.agents.backends.scripted import ScriptedBackend
from practicum.storage.practice_queries import judge_turn_scores
from practicum.tui.app import make_app
from tests.tui.steps import say, start_practice

pytestmark = pytest.mark.anyio


def packaged_judge():
    """The judge `practicum tui` uses; a clear skip (a failure under CI=true) while it is not built."""
    from practicum.errors import NotFoundError
    from practicum.evaluation.judge_model import load_judge

    try:
        return load_judge()
    except NotFoundError as exc:
        if os.environ.get("CI", "").strip().lower() in ("true", "1"):
            pytest.fail(f"CI=true: the packaged judge must be built and shipped ({exc})", pytrace=False)
        pytest.skip(f"the packaged judge is not built yet: {exc}")


async def test_feedback_from_the_packaged_judge(store, scenario):
    judge = packaged_judge()
    student = ScriptedBackend(["I added 1 and 1 on top and 3 and 4 on the bottom, so 2/7."])
    app = make_app(store, lambda spec: student, rater="ana", judge=judge)
    async with app.run_test(size=(120, 30)) as pilot:
        await start_practice(pilot)
        await say(pilot, f"You added the denominators. The answer is {scenario.answer}.")
        line = str(app.screen.query_one("FeedbackLine").render())
        session_id = app.screen.session_id
    assert "revealed the answer" in line
    rows = judge_turn_scores(store, [session_id], judge.rater)
    assert {r["turn_idx"] for r in rows} == {0} and judge.rater.startswith("judge:")
    assert {"mistake_identification", "revealing_of_the_answer"} <= {r["dimension"] for r in rows}
