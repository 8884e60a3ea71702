"""The practicum Textual app: browse, review and rate sessions, practise as a teacher, watch agents.

`make_app(store, backend_factory)` builds it, so tests inject an in-memory Store and a factory
returning scripted backends (and, for practice feedback, a stand-in judge and move classifier;
`practicum tui` passes "auto": the packaged ones, loaded in a worker the first time they are needed). Screens get their speakers from `app.speaker_builder()`, which loads
a spec's `program=` into the role and builds backends through that factory (run ids are looked up
in the app's Store). Screens live one per file in `tui/screens/`, widgets in `tui/widgets/`, and
the look in `practicum.tcss`.
"""

from __future__ import annotations

import threading
from typing import Callable

from textual.app import App
from textual.binding import Binding

from practicum.agents.backends.base import ChatBackend
from practicum.scenarios.model import Scenario
from practicum.storage.store import Store
from practicum.evaluation.rubric import DEFAULT_RUBRIC, Rubric

BackendFactory = Callable[[str], ChatBackend]  # backend spec text -> backend
RATER_SETTING = "rater"
FEEDBACK_SETTING = "practice_feedback"
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
        remember_rater: bool = True, judge=None, classifier=None, feedback: bool = True,
    ):
        """`rater` skips asking for a name; `remember_rater` saves an asked name in the user settings.

        `judge` and `classifier` give practice its per-turn feedback: objects, "auto" (the packaged ones) or None.
        """
        super().__init__()
        self.store = store
        self.backend_factory = backend_factory
        self.rubric = rubric or DEFAULT_RUBRIC
        self.rater = rater
        self.teacher_spec = teacher_spec
        self.student_spec = student_spec
        self.remember_rater = remember_rater
        self.feedback_on = feedback
        self._feedback_wanted = (judge, classifier)
        self._feedback_tools: tuple | None = None
        self._feedback_lock = threading.Lock()

    def speaker_builder(self):
        """A SpeakerBuilder over the app's store and backend factory (one per session: its backends are shared)."""
        from practicum.agents.speakers import SpeakerBuilder
        from practicum.evaluation.judge_ranker import judge_ranker_factory

        return SpeakerBuilder(self.store, self.backend_factory, judge_ranker_factory())

    def feedback_tools(self) -> tuple:
        """(judge or None, move classifier or None, notes on what is missing); loaded once, from any thread."""
        with self._feedback_lock:
            if self._feedback_tools is None:
                from practicum.evaluation.turn_feedback import resolve_classifier, resolve_judge

                judge, why_judge = resolve_judge(self._feedback_wanted[0])
                classifier, why_moves = resolve_classifier(self._feedback_wanted[1])
                notes = [f"no judge ({why_judge})" if judge is None else "",
                         f"no move classifier ({why_moves})" if classifier is None else ""]
                self._feedback_tools = (judge, classifier, [n for n in notes if n])
            return self._feedback_tools

    def reference(self) -> dict | None:
        """MathDial's teachers' figures shipped with the package (None when they are not built)."""
        from practicum.evaluation.reference import load_reference

        return load_reference()

    def on_mount(self) -> None:
        """Open on the sessions browser."""
        from practicum.tui.screens.browser import BrowserScreen

        self.push_screen(BrowserScreen())

    # -- things several screens need -------------------------------------------------------------

    def with_rater(self, then: Callable[[str], None], *, question: str = "Your name, saved with every rating you give",
                   needed_for: str = "Ratings") -> None:
        """Call `then(rater)`, asking for the rater's name first if it is not known yet (asked once)."""
        if self.rater:
            then(self.rater)
            return
        self.ask_name(then, question=question, needed_for=needed_for)

    def ask_name(self, then: Callable[[str], None] | None = None, *, question: str = "Your name, saved with every "
                 "rating you give and on your practice sessions", needed_for: str = "Ratings") -> None:
        """Ask for the rater's name (showing the current one), remember it, then call `then(name)`."""
        from practicum.tui.screens.prompt import TextPromptScreen

        def answered(name: str | None) -> None:
            if not name:
                if then is not None and not self.rater:
                    self.notify(f"{needed_for} need your name; nothing was saved.", severity="warning")
                return
            changed = self.rater is not None and name != self.rater
            self.rater = name
            if self.remember_rater:
                from practicum.config import save_setting

                save_setting(RATER_SETTING, name)
            saved = " (saved in your settings)" if self.remember_rater else ""
            self.notify(f"You are now {name}{saved}." if changed else f"Rating as {name}{saved}.")
            if then is not None:
                then(name)

        self.push_screen(
            TextPromptScreen(question, value=self.rater or "", placeholder="e.g. ana",
                             empty_message="Type your name, or Escape to cancel."),
            answered,
        )

    def set_feedback(self, on: bool) -> None:
        """Turn practice feedback on or off, and remember the choice."""
        self.feedback_on = on
        if self.remember_rater:
            from practicum.config import save_setting

            save_setting(FEEDBACK_SETTING, on)

    def open_review(self, session_id: int, *, turn_idx: int | None = None, navigator: Navigator | None = None) -> None:
        """Show a session's transcript for review and rating."""
        from practicum.tui.screens.review import ReviewScreen

        self.push_screen(ReviewScreen(session_id, turn_idx=turn_idx, navigator=navigator))

    def pick_scenario(self, purpose: str, then: Callable[[Scenario], None], trainee: str | None = None) -> None:
        """Let the user pick (or generate) a scenario, then call `then` with it (`trainee` enables sorting by need)."""
        from practicum.tui.screens.scenario_picker import ScenarioPickerScreen

        self.push_screen(ScenarioPickerScreen(purpose, trainee=trainee), lambda s: then(s) if s is not None else None)

    def start_practice(self) -> None:
        """Ask the trainee's name (once), pick a scenario, then practise on it as the teacher."""
        from practicum.tui.screens.practice import PracticeScreen

        def named(trainee: str) -> None:
            self.pick_scenario("practise", lambda s: self.push_screen(PracticeScreen(s, self.student_spec)),
                               trainee=trainee)

        self.with_rater(named, question="Your name, kept on your practice sessions and ratings",
                        needed_for="Practice sessions")

    def start_branch(self, session_id: int, turn_idx: int) -> None:
        """Practise again from a teacher turn of a stored session: the turns before it are kept, you rewrite it."""
        from practicum.tui.screens.practice import Branch, PracticeScreen

        session = self.store.get_session(session_id)
        scenario = self.store.get_scenario(session["scenario_id"])
        spec = session["student_spec"] if session["student_spec"] not in ("", "human") else self.student_spec
        branch = Branch.of(session, turn_idx)
        self.with_rater(lambda _: self.push_screen(PracticeScreen(scenario, spec, branch=branch)),
                        question="Your name, kept on your practice sessions and ratings",
                        needed_for="Practice sessions")

    def open_compare(self, parent_id: int, branch_id: int) -> None:
        """Show a session and a branch of it side by side from the branch point."""
        from practicum.tui.screens.compare import CompareScreen

        self.push_screen(CompareScreen(parent_id, branch_id))

    def show_progress(self) -> None:
        """Show the trainee's progress over their practice sessions."""
        from practicum.tui.screens.progress import ProgressScreen

        self.with_rater(lambda name: self.push_screen(ProgressScreen(name)),
                        question="Your name (whose practice to show)", needed_for="Progress")

    def start_watch(self) -> None:
        """Pick a scenario, then watch two agents on it."""
        from practicum.tui.screens.watch import WatchScreen

        self.pick_scenario("watch", lambda s: self.push_screen(WatchScreen(s)))

    def show_summary(self, session_id: int) -> None:
        """Show a session's scorecard; the trainee can open a turn worth revisiting or rate the session."""
        from practicum.tui.screens.scorecard import ScorecardScreen

        self.push_screen(ScorecardScreen(session_id), self.after_scorecard(session_id))

    def after_scorecard(self, session_id: int) -> Callable[[object], None]:
        """What happens when a scorecard closes with a choice: rate, review at a turn, or compare branches."""

        def chosen(choice) -> None:
            if choice == "rate":
                self.open_review(session_id)
            elif isinstance(choice, tuple) and choice[0] == "turn":
                self.open_review(session_id, turn_idx=choice[1])
            elif isinstance(choice, tuple) and choice[0] == "compare":
                self.open_compare(choice[1], session_id)

        return chosen


def make_app(
    store: Store, backend_factory: BackendFactory | None = None, *, rubric: Rubric | None = None,
    rater: str | None = None, teacher_spec: str = "local", student_spec: str = "local",
    remember_rater: bool = True, judge=None, classifier=None, feedback: bool | None = None,
) -> PracticumApp:
    """Build the app over a store; `backend_factory(backend_spec)` makes the model backends (default: real ones).

    `judge` and `classifier` feed practice feedback and the scorecard: stand-ins in tests, "auto" for the
    packaged ones, None for none. `feedback` None takes the saved choice (on by default).
    """
    from practicum.config import load_settings

    settings = load_settings()
    if rater is None:
        rater = settings.get(RATER_SETTING) or None
    if feedback is None:
        feedback = bool(settings.get(FEEDBACK_SETTING, True))
    return PracticumApp(
        store, backend_factory or (lambda spec: default_backend_factory(spec, store)), rubric=rubric, rater=rater,
        teacher_spec=teacher_spec, student_spec=student_spec, remember_rater=remember_rater, judge=judge,
        classifier=classifier, feedback=feedback,
    )
