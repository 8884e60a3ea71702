"""The practicum Textual app: browse, review and rate sessions, practise as a teacher, watch agents.

`make_app(store, backend_factory)` builds it, so tests inject an in-memory Store and a factory
returning scripted backends. Screens get their speakers from `app.speaker_builder()`, which loads
a spec's `program=` into the role and builds backends through that factory (run ids are looked up
in the app's Store). Screens live one per file in `tui/screens/`, widgets in `tui/widgets/`, and
the look in `practicum.tcss`.
"""

from __future__ import annotations

from typing import Callable

from textual.app import App
from textual.binding import Binding

from practicum.agents.backends.base import ChatBackend
from practicum.scenarios.model import Scenario
from practicum.storage.store import Store
from practicum.evaluation.rubric import DEFAULT_RUBRIC, Rubric

BackendFactory = Callable[[str], ChatBackend]  # backend spec text -> backend
RATER_SETTING = "rater"
Navigator = Callable[[int, int], "tuple[int, int | None] | None"]


def default_backend_factory(spec: str, store: Store | None = None) -> ChatBackend:
    """Build the backend a spec names (models load lazily); `adapter=<run id>` is looked up in `store`."""
    from practicum.agents.backends.spec import make_backend
    from practicum.agents.speakers import parse_agent_spec

    parsed = parse_agent_spec(spec)  # a program= here is the role's business; the backend ignores it
    if parsed.is_human:
        from practicum.errors import BackendError

        raise BackendError("'human' is not a model backend")
    return make_backend(parsed.backend, store)


class PracticumApp(App):
    """Holds the store, the backend factory, the rubric and the rater; screens do the rest."""

    CSS_PATH = "practicum.tcss"
    TITLE = "practicum"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    def __init__(
        self, store: Store, backend_factory: BackendFactory, *, rubric: Rubric | None = None,
        rater: str | None = None, teacher_spec: str = "local", student_spec: str = "local",
        remember_rater: bool = True,
    ):
        """`rater` skips asking for a name; `remember_rater` saves an asked name in the user settings."""
        super().__init__()
        self.store = store
        self.backend_factory = backend_factory
        self.rubric = rubric or DEFAULT_RUBRIC
        self.rater = rater
        self.teacher_spec = teacher_spec
        self.student_spec = student_spec
        self.remember_rater = remember_rater

    def speaker_builder(self):
        """A SpeakerBuilder over the app's store and backend factory (one per session: its backends are shared)."""
        from practicum.agents.speakers import SpeakerBuilder

        return SpeakerBuilder(self.store, self.backend_factory)

    def on_mount(self) -> None:
        """Open on the sessions browser."""
        from practicum.tui.screens.browser import BrowserScreen

        self.push_screen(BrowserScreen())

    # -- things several screens need -------------------------------------------------------------

    def with_rater(self, then: Callable[[str], None]) -> None:
        """Call `then(rater)`, asking for the rater's name first if it is not known yet (asked once)."""
        if self.rater:
            then(self.rater)
            return
        from practicum.tui.screens.prompt import TextPromptScreen

        def answered(name: str | None) -> None:
            if not name:
                self.notify("Ratings need your name; nothing was saved.", severity="warning")
                return
            self.rater = name
            if self.remember_rater:
                from practicum.config import save_setting

                save_setting(RATER_SETTING, name)
            self.notify(f"Rating as {name} (saved in your settings).")
            then(name)

        self.push_screen(
            TextPromptScreen("Your name, saved with every rating you give", placeholder="e.g. ana",
                             empty_message="Type your name to rate, or Escape to cancel."),
            answered,
        )

    def open_review(self, session_id: int, *, turn_idx: int | None = None, navigator: Navigator | None = None) -> None:
        """Show a session's transcript for review and rating."""
        from practicum.tui.screens.review import ReviewScreen

        self.push_screen(ReviewScreen(session_id, turn_idx=turn_idx, navigator=navigator))

    def pick_scenario(self, purpose: str, then: Callable[[Scenario], None]) -> None:
        """Let the user pick (or generate) a scenario, then call `then` with it."""
        from practicum.tui.screens.scenario_picker import ScenarioPickerScreen

        self.push_screen(ScenarioPickerScreen(purpose), lambda s: then(s) if s is not None else None)

    def start_practice(self) -> None:
        """Pick a scenario, then practise on it as the teacher."""
        from practicum.tui.screens.practice import PracticeScreen

        self.pick_scenario("practise", lambda s: self.push_screen(PracticeScreen(s, self.student_spec)))

    def start_watch(self) -> None:
        """Pick a scenario, then watch two agents on it."""
        from practicum.tui.screens.watch import WatchScreen

        self.pick_scenario("watch", lambda s: self.push_screen(WatchScreen(s)))

    def show_summary(self, session_id: int) -> None:
        """Show how a session ended and offer to rate it."""
        from practicum.tui.screens.summary import SummaryScreen

        def chosen(choice: str | None) -> None:
            if choice == "rate":
                self.open_review(session_id)

        self.push_screen(SummaryScreen(session_id), chosen)


def make_app(
    store: Store, backend_factory: BackendFactory | None = None, *, rubric: Rubric | None = None,
    rater: str | None = None, teacher_spec: str = "local", student_spec: str = "local",
    remember_rater: bool = True,
) -> PracticumApp:
    """Build the app over a store; `backend_factory(backend_spec)` makes the model backends (default: real ones)."""
    if rater is None:
        from practicum.config import load_settings

        rater = load_settings().get(RATER_SETTING) or None
    return PracticumApp(
        store, backend_factory or (lambda spec: default_backend_factory(spec, store)), rubric=rubric, rater=rater,
        teacher_spec=teacher_spec, student_spec=student_spec, remember_rater=remember_rater,
    )
