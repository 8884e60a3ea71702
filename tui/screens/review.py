"""Transcript review and keyboard-first rating: one card per turn, a rubric panel, the scenario beside."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from practicum.errors import PracticumError
from practicum.storage.rating_queries import COMMENT, current_ratings, session_raters
from practicum.evaluation.rubric import Dimension
from practicum.tui.widgets.rubric_panel import RubricPanel
from practicum.tui.widgets.scenario_panel import ScenarioPanel
from practicum.tui.widgets.turn_card import SessionCard, TurnCard

SIDE_PANEL_MIN_WIDTH = 110  # narrower terminals start with the scenario panel hidden
TURN = Binding.Group("Turn", compact=True)
DIMENSION = Binding.Group("Dim", compact=True)
SESSION = Binding.Group("Session", compact=True)


class ReviewScreen(Screen):
    """Read a transcript and rate it: j/k between turns, ←/→ between dimensions, digits score."""

    BINDINGS = [
        Binding("j,down", "move(1)", "Next", tooltip="Next turn", group=TURN),
        Binding("k,up", "move(-1)", "Prev", tooltip="Previous turn", group=TURN),
        Binding("h,left", "dimension(-1)", "Dim ←", tooltip="Previous rubric dimension", group=DIMENSION),
        Binding("l,right", "dimension(1)", "Dim →", tooltip="Next rubric dimension", group=DIMENSION),
        *[Binding(str(d), f"score({d})", "Score", show=False,
                  tooltip="Score the highlighted dimension (digits 0-9)") for d in range(10)],
        Binding("c", "comment", "Comment", tooltip="Comment on this turn (or the session)"),
        Binding("o", "overall", "Overall", tooltip="Jump to the whole-session item (overall score)"),
        Binding("p", "session(-1)", "Prev session", tooltip="Previous session in the browser's list", group=SESSION),
        Binding("n", "session(1)", "Next session", tooltip="Next session in the browser's list", group=SESSION),
        Binding("i", "toggle_panel", "Scenario", tooltip="Show or hide the scenario and student profile"),
        Binding("b", "branch", "Branch", tooltip="Practise again from the selected teacher turn: the turns before it "
                "are kept, you rewrite it, the student continues under the same seed"),
        Binding("v", "compare", "Compare", show=False,
                tooltip="Compare a branch with the session it came from, side by side from the branch point"),
        Binding("g,home", "jump(0)", "First", show=False, tooltip="First turn"),
        Binding("G,end", "jump(-1)", "Last", show=False, tooltip="Whole-session item"),
        Binding("question_mark", "keys", "Keys", tooltip="Show every key"),
        Binding("escape,q", "back", "Back", tooltip="Back to the browser"),
    ]

    def __init__(self, session_id: int, *, turn_idx: int | None = None, navigator=None):
        """Review `session_id`, starting at turn `turn_idx`; `navigator(id, step)` finds neighbours."""
        super().__init__()
        self.session_id = session_id
        self.start_turn = turn_idx
        self.navigator = navigator
        self.items: list[TurnCard | SessionCard] = []
        self.index = 0
        self.dim_index = 0
        self.ratings: dict[tuple[int | None, str], dict] = {}
        self.judge = ""  # the judge whose latest ratings are shown as suggestions
        self.suggestions: dict[tuple[int | None, str], dict] = {}

    def compose(self) -> ComposeResult:
        """Transcript and side panel above the rubric."""
        yield Header()
        with Horizontal(id="review-body"):
            yield VerticalScroll(id="transcript")
            yield ScenarioPanel(id="side")
        yield RubricPanel(id="rubric")
        yield Footer(show_command_palette=False)

    async def on_mount(self) -> None:
        """Load the session; hide the side panel on narrow terminals."""
        self.query_one("#transcript").can_focus = False
        self.query_one("#side").display = self.app.size.width >= SIDE_PANEL_MIN_WIDTH
        await self.load(self.session_id, self.start_turn)

    async def load(self, session_id: int, turn_idx: int | None = None) -> None:
        """Show another session (n/p), starting at `turn_idx` or the first turn."""
        store = self.app.store
        try:
            session = store.get_session(session_id)
            scenario = store.get_scenario(session["scenario_id"])
        except PracticumError as exc:
            self.notify(str(exc), severity="error")
            return
        self.session_id, self.session, self.scenario = session_id, session, scenario
        self.sub_title = f"session {session_id} · {scenario.title}"
        self.query_one(ScenarioPanel).show(scenario)
        transcript = self.query_one("#transcript", VerticalScroll)
        await transcript.remove_children()
        name = scenario.student_profile.name
        self.items = [TurnCard(turn, name, show_state=True) for turn in session["turns"]]
        ending = session["status"] + (f" ({session['stop_reason']})" if session["stop_reason"] else "")
        self.items.append(SessionCard(f"{len(session['turns'])} turns · {ending}"))
        await transcript.mount(Static(self.info_line(), id="session-info"), *self.items)
        self.reload_ratings()
        indexes = [i for i, card in enumerate(self.items) if isinstance(card, TurnCard)
                   and card.turn["idx"] == turn_idx]
        self.select(indexes[0] if indexes else 0)

    def info_line(self) -> str:
        """Who spoke, how it ended, who rated it."""
        s = self.session
        raters = session_raters(self.app.store, self.session_id)
        parts = [f"Session {self.session_id}", f"teacher {s['teacher_spec']}", f"student {s['student_spec']}",
                 f"source {s['source']}", s["status"] + (f" ({s['stop_reason']})" if s["stop_reason"] else "")]
        if raters:
            parts.append(f"rated by {', '.join(raters)}")
        if s.get("error"):
            parts.append(f"error: {s['error']}")
        return " · ".join(parts)

    # -- state -----------------------------------------------------------------------------------

    def current_turn_idx(self) -> int | None:
        """The stored idx of the selected turn, or None for the whole-session item."""
        card = self.items[self.index]
        return card.turn["idx"] if isinstance(card, TurnCard) else None

    def dimensions(self, card=None) -> list[Dimension]:
        """The rubric dimensions of an item (the selected one by default)."""
        card = card if card is not None else self.items[self.index]
        return self.app.rubric.for_role(card.turn["role"] if isinstance(card, TurnCard) else None)

    def item_ratings(self, card) -> dict[str, dict]:
        """This rater's current ratings of one item, by dimension."""
        idx = card.turn["idx"] if isinstance(card, TurnCard) else None
        return {dim: row for (turn_idx, dim), row in self.ratings.items() if turn_idx == idx}

    def item_suggestions(self, card) -> dict[str, dict]:
        """The judge's current ratings of one item, by dimension (suggestions, never the rater's scores)."""
        idx = card.turn["idx"] if isinstance(card, TurnCard) else None
        return {dim: row for (turn_idx, dim), row in self.suggestions.items() if turn_idx == idx}

    def reload_ratings(self) -> None:
        """Read the rater's current ratings and the newest judge's, and redraw every card."""
        rater = self.app.rater
        store = self.app.store
        self.ratings = current_ratings(store, self.session_id, rater) if rater else {}
        judges = {name: current_ratings(store, self.session_id, name)
                  for name in session_raters(store, self.session_id) if name.startswith("judge:") and name != rater}
        self.judge = max(judges, key=lambda name: max(row["id"] for row in judges[name].values()), default="")
        self.suggestions = judges.get(self.judge, {})
        for card in self.items:
            if isinstance(card, TurnCard):
                card.set_scores(self.dimensions(card), self.item_ratings(card), self.item_suggestions(card),
                                self.judge.split("@")[0])
            else:
                card.set_scores(self.dimensions(card), self.item_ratings(card))

    def select(self, index: int) -> None:
        """Move the cursor to an item and show its rubric."""
        if not self.items:
            return
        self.items[self.index].remove_class("-selected")
        self.index = max(0, min(len(self.items) - 1, index))
        self.dim_index = min(self.dim_index, max(0, len(self.dimensions()) - 1))
        card = self.items[self.index]
        card.add_class("-selected")
        self.query_one("#transcript", VerticalScroll).scroll_to_widget(card, animate=False)
        self.refresh_rubric()

    def refresh_rubric(self) -> None:
        """Redraw the rubric panel for the selected item."""
        card = self.items[self.index]
        if isinstance(card, TurnCard):
            what = f"{card.turn['role']} turn {card.turn['idx']}"
        else:
            what = "the whole session"
        rater = self.app.rater or "you (name asked at the first score)"
        title = f"Rating {what} as {rater}"
        scores = {dim: row["score"] for dim, row in self.item_ratings(card).items() if row["score"] is not None}
        suggested = {dim: row["score"] for dim, row in self.item_suggestions(card).items()
                     if row["score"] is not None}
        self.query_one(RubricPanel).show(title, self.dimensions(), scores, self.dim_index, suggested)

    # -- actions ---------------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        """Next or previous turn."""
        self.select(self.index + step)

    def action_jump(self, index: int) -> None:
        """First turn, or (-1) the whole-session item."""
        self.select(index if index >= 0 else len(self.items) - 1)

    def action_overall(self) -> None:
        """Jump to the whole-session item."""
        self.select(len(self.items) - 1)

    def action_dimension(self, step: int) -> None:
        """Next or previous rubric dimension of the selected item."""
        count = len(self.dimensions())
        if count:
            self.dim_index = (self.dim_index + step) % count
            self.refresh_rubric()

    def action_score(self, score: int) -> None:
        """Score the highlighted dimension; saved at once, then the cursor moves to the next dimension."""
        dims = self.dimensions()
        if not dims:
            self.notify("The rubric has nothing to score for this item.", severity="warning")
            return
        dim = dims[self.dim_index]
        if not dim.low <= score <= dim.high:
            self.notify(f"{dim.label} is scored {dim.low}-{dim.high}.", severity="warning")
            return
        turn_idx = self.current_turn_idx()
        self.app.with_rater(lambda rater: self.save_score(rater, dim, score, turn_idx))

    def save_score(self, rater: str, dim: Dimension, score: int, turn_idx: int | None) -> None:
        """Store one score (a new row: history is kept) and redraw."""
        self.app.store.add_rating(self.session_id, rater=rater, dimension=dim.name, score=score, turn_idx=turn_idx)
        self.reload_ratings()
        dims = self.dimensions()
        if self.current_turn_idx() == turn_idx and self.dim_index < len(dims) - 1:
            self.dim_index += 1
        self.refresh_rubric()
        self.query_one("#session-info", Static).update(self.info_line())

    def action_comment(self) -> None:
        """Write a comment on the selected turn, or on the session."""
        turn_idx = self.current_turn_idx()
        self.app.with_rater(lambda rater: self.ask_comment(rater, turn_idx))

    def ask_comment(self, rater: str, turn_idx: int | None) -> None:
        """Ask for the comment text and store it."""
        from practicum.tui.screens.prompt import TextPromptScreen

        existing = self.ratings.get((turn_idx, COMMENT), {}).get("comment", "")
        what = "the whole session" if turn_idx is None else f"turn {turn_idx}"

        def save(text: str | None) -> None:
            if text is None:
                return
            self.app.store.add_rating(self.session_id, rater=rater, dimension=COMMENT, score=None,
                                      turn_idx=turn_idx, comment=text)
            self.reload_ratings()
            self.refresh_rubric()
            self.notify(f"Comment on {what} saved.")

        self.app.push_screen(TextPromptScreen(f"Comment on {what}", value=existing,
                                              empty_message="The comment is empty; type it or press Escape."), save)

    async def action_session(self, step: int) -> None:
        """Open the next or previous session of the browser's list."""
        found = self.navigator(self.session_id, step) if self.navigator else None
        if found is None:
            self.notify(f"No {'next' if step > 0 else 'previous'} session in the list.", severity="warning")
            return
        session_id, turn_idx = found
        self.dim_index = 0
        await self.load(session_id, turn_idx)

    def action_toggle_panel(self) -> None:
        """Show or hide the scenario side panel."""
        side = self.query_one("#side")
        side.display = not side.display

    def action_keys(self) -> None:
        """Show every key."""
        from practicum.tui.screens.keys import KeysScreen, keys_of

        keys = [(k, d) for k, d in keys_of(self) if not k.isdigit()]
        keys.insert(4, ("1-9", "Score the highlighted dimension (0 where the scale starts at 0); the cursor then "
                               "moves on to the next dimension"))
        note = ("Every score is saved at once with your name and the time; scoring again keeps the old row as "
                "history and the newest one counts. After a digit the cursor jumps to the next dimension, so five "
                "digits rate a teacher turn.")
        self.app.push_screen(KeysScreen("Review and rating", keys, note))

    def action_branch(self) -> None:
        """Practise again from the selected teacher turn (a new session, this one untouched)."""
        card = self.items[self.index]
        if not isinstance(card, TurnCard) or card.turn["role"] != "teacher":
            self.notify("Branch from a teacher turn: select one with j/k, then press b.", severity="warning")
            return
        self.app.start_branch(self.session_id, card.turn["idx"])

    def action_compare(self) -> None:
        """Compare this branch with its parent (or this session with its newest branch)."""
        from practicum.storage.practice_queries import PARENT, branch_children

        parent = (self.session.get("metadata") or {}).get(PARENT)
        children = [] if parent else branch_children(self.app.store, self.session_id)
        if parent:
            self.app.open_compare(parent, self.session_id)
        elif children:
            self.app.open_compare(self.session_id, children[-1])
        else:
            self.notify("No branch to compare: b on a teacher turn practises it again as a branch.",
                        severity="warning")

    def action_back(self) -> None:
        """Back to the previous screen."""
        self.app.pop_screen()
