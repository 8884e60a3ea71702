"""The sessions browser: listing, filters, sorting, lazy paging, full-text search, empty states."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Select

from practicum.tui.app import make_app

pytestmark = pytest.mark.anyio


def scripted_factory(spec):
    from practicum.agents.backends.scripted import ScriptedBackend

    return ScriptedBackend(spec=spec)


def column(table: DataTable, key: str) -> list[str]:
    """The plain text of one column, top to bottom."""
    return [str(getattr(cell, "plain", cell)).strip() for cell in table.get_column(key)]


async def test_lists_sessions_newest_first_with_turns_and_source(store, seeded):
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert column(table, "id") == [str(i) for i in reversed(seeded)]
        assert column(table, "turns") == ["2", "3", "2"]
        assert column(table, "source") == ["mathdial", "simulated", "simulated"]
        assert column(table, "teacher")[0] == "human"  # wide terminals show the specs


async def test_narrow_terminal_hides_spec_columns(store, seeded):
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keys = [str(k.value) for k in app.screen.query_one(DataTable).columns]
        assert "teacher" not in keys and "scenario" in keys and "rating" in keys


async def test_filters_by_subject_source_and_rated(store, seeded):
    store.add_rating(seeded[0], rater="ana", dimension="overall", score=4)
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        table = screen.query_one(DataTable)
        screen.query_one("#f-subject", Select).value = "reading"
        await pilot.pause()
        assert column(table, "id") == [str(seeded[2])]
        screen.query_one("#f-subject", Select).clear()
        screen.query_one("#f-source", Select).value = "simulated"
        await pilot.pause()
        assert column(table, "id") == [str(seeded[1]), str(seeded[0])]
        screen.query_one("#f-rated", Select).value = True
        await pilot.pause()
        assert column(table, "id") == [str(seeded[0])]
        assert column(table, "rating") == ["4.0"]
        screen.query_one("#f-rated", Select).value = False
        await pilot.pause()
        assert column(table, "id") == [str(seeded[1])]


async def test_sort_keys_and_header_click(store, seeded):
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        table = screen.query_one(DataTable)
        screen.sort_by("turns")
        await pilot.pause()
        assert column(table, "turns")[0] == "3"
        await pilot.press("r")  # reverse
        await pilot.pause()
        assert column(table, "turns")[-1] == "3"
        await pilot.press("s")  # next column after turns
        await pilot.pause()
        assert screen.query_state.sort == "status"


async def test_rows_load_a_page_at_a_time(store, scenario):
    from practicum.tui.screens.browser import PAGE_SIZE

    for _ in range(PAGE_SIZE + 30):
        store.create_session(scenario, teacher_spec="scripted", student_spec="scripted")
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert len(screen.rows) == PAGE_SIZE and screen.total == PAGE_SIZE + 30
        table = screen.query_one(DataTable)
        table.move_cursor(row=PAGE_SIZE - 5)
        await pilot.pause()
        assert len(screen.rows) == PAGE_SIZE + 30
        assert table.row_count == PAGE_SIZE + 30


async def test_scrolling_to_the_end_loads_the_next_page(store, scenario):
    from practicum.tui.screens.browser import PAGE_SIZE

    for _ in range(PAGE_SIZE * 2 + 5):
        store.create_session(scenario, teacher_spec="scripted", student_spec="scripted")
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        table.scroll_end(animate=False)  # as the mouse wheel does: the cursor stays on the first row
        await pilot.pause()
        assert len(app.screen.rows) == PAGE_SIZE * 2 and table.cursor_row == 0


async def test_search_finds_a_turn_and_opens_it(store, seeded):
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"draw", "enter")
        await pilot.pause()
        screen = app.screen
        assert [(h["session_id"], h["idx"]) for h in screen.hits] == [(seeded[1], 0)]
        assert "draw" in column(screen.query_one(DataTable), "text")[0]
        await pilot.press("enter")
        await pilot.pause()
        review = app.screen
        assert type(review).__name__ == "ReviewScreen"
        assert review.session_id == seeded[1] and review.current_turn_idx() == 0
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")  # clears the search
        await pilot.pause()
        assert screen.hits is None and screen.query_one(DataTable).row_count == 3


async def test_bad_and_empty_searches_notify(store, seeded, notes):
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("slash", "enter")
        await pilot.pause()
        assert any("Type words to search" in m for m in notes(app))
        app.screen.query_one("#search", Input).value = "plus 4, is"  # not FTS syntax: searched literally
        await pilot.press("enter")
        await pilot.pause()
        assert [h["session_id"] for h in app.screen.hits] == [seeded[0]]
        await pilot.press("slash")  # a search with hits moved the focus to the table
        app.screen.query_one("#search", Input).value = "zebra"
        await pilot.press("enter")
        await pilot.pause()
        assert any("No turn matches 'zebra'" in m for m in notes(app))


async def test_empty_database_shows_help_and_enter_notifies(store, notes):
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#empty").display
        assert any("No sessions yet" in m for m in notes(app))
        await pilot.press("enter")
        await pilot.pause()
        assert any("No session to open" in m for m in notes(app))
        assert type(app.screen).__name__ == "BrowserScreen"


async def test_ratings_given_in_review_show_in_the_list(store, seeded):
    app = make_app(store, scripted_factory, rater="ana")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter", "o", "3", "escape")
        await pilot.pause()
        assert column(app.screen.query_one(DataTable), "rating")[0] == "3.0"
