"""What a new user hit: the agreement header after `g`, the jump after a digit in `?`, changing the rater name."""

from __future__ import annotations

import pytest

from practicum.tui.app import make_app
from tests.tui.steps import shown_text

pytestmark = pytest.mark.anyio


async def test_agreement_header_is_current_after_g(store, seeded):
    app = make_app(store, None, rater="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert "No session has scores from two or more raters yet" in shown_text(app.screen)
        for rater, score in (("ana", 4), ("bo", 2)):  # a second rater scores, e.g. in another terminal
            store.add_rating(seeded[0], rater=rater, dimension="coherence", score=score, turn_idx=0)
        await pilot.press("g")
        await pilot.pause()
        text = shown_text(app.screen)
        assert "No session has scores" not in text and "Sessions scored by two or more raters" in text
        assert app.screen.query_one("#agreement").row_count == 1


async def test_keys_screen_says_a_digit_moves_to_the_next_dimension(store, seeded):
    app = make_app(store, None, rater="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.open_review(seeded[0])
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        text = shown_text(app.screen)
        assert "the cursor then moves on to the next dimension" in text
        assert "b" in text and "Practise again from the selected teacher turn" in text


async def test_browser_keys_list_progress_and_name(store, seeded):
    app = make_app(store, None, rater="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        text = shown_text(app.screen)
        assert "Your progress over your practice sessions" in text
        assert "Change your name (on ratings and practice sessions)" in text
