"""Steps the practice, branch and scorecard tests share: start practising, send a turn, wait for a condition."""

from __future__ import annotations

import time


async def start_practice(pilot, scenario_filter: str = "fractions unlike"):
    """From the browser: p, filter the picker, pick the first match, wait for the student."""
    await pilot.pause()
    await pilot.press("p")
    await pilot.pause()
    pilot.app.screen.query_one("#picker-search").value = scenario_filter
    await pilot.pause()
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_until(pilot, condition, timeout: float = 30.0, what: str = "the condition"):
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def say(pilot, text: str, *, wait_all: bool = True):
    """Send a teacher turn; wait for every worker (student and feedback), or only for the student's reply."""
    app = pilot.app
    screen = app.screen
    before = len(screen.query("TurnCard"))
    screen.query_one("#reply").value = text
    await pilot.press("enter")
    if wait_all:
        await app.workers.wait_for_complete()
        await pilot.pause()
    else:
        await wait_until(pilot, lambda: len(screen.query("TurnCard")) >= before + 2, what="the student's reply")


async def end_session(pilot):
    """Esc, then wait for the scorecard's numbers."""
    await pilot.press("escape")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def shown_text(screen) -> str:
    """Everything the screen's Static widgets show, as plain text."""
    import io

    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO())
    for widget in screen.query("Static"):
        console.print(widget.content)
    return console.export_text()
