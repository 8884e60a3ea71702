"""Two branches side by side: a session and a branch of it, from the branch point on, with moves and judge words.

Before the branch point both hold the same turns (the branch copied them), so only what follows
is shown. Each teacher turn carries its feedback line from what is stored (predicted move, the
judge's ratings); a summary above each side counts the turns at the judge's good pole and telling.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from practicum.records import TEACHER
from practicum.tui.widgets.feedback_line import FeedbackLine
from practicum.tui.widgets.turn_card import TurnCard


def side_summary(turns: list[dict], feedback: dict) -> Text:
    """'2 teacher turns · 1 telling · judge: 5 of 8 marks good' for one side after the branch point."""
    teacher = [t for t in turns if t["role"] == TEACHER]
    items = [feedback[t["idx"]] for t in teacher if t["idx"] in feedback]
    telling = sum(1 for f in items if f.move == "telling")
    marks = [tone for f in items for _, tone in f.phrases(brief=False)]
    text = Text(f"{len(teacher)} teacher turn{'s' if len(teacher) != 1 else ''}", style="bold")
    if any(f.move for f in items):
        text.append(f" · {telling} telling", style="red" if telling else "green")
    if marks:
        good = sum(1 for tone in marks if tone == "good")
        text.append(f" · {good} of {len(marks)} judge marks good", style="green" if good == len(marks) else "yellow")
    return text


class CompareScreen(Screen):
    """The original on the left, the branch on the right."""

    BINDINGS = [
        Binding("1", "open(0)", "Review original", tooltip="Open the original session in review"),
        Binding("2", "open(1)", "Review branch", tooltip="Open the branch in review"),
        Binding("escape,q", "back", "Back", tooltip="Back"),
    ]

    def __init__(self, parent_id: int, branch_id: int):
        """Compare session `parent_id` with its branch `branch_id`."""
        super().__init__()
        self.ids = (parent_id, branch_id)
        self.branch_turn = 0

    def compose(self) -> ComposeResult:
        """A line about the branch point, then two columns."""
        from practicum.evaluation.turn_feedback import stored_feedback
        from practicum.storage.practice_queries import BRANCH_TURN

        store = self.app.store
        parent, branch = (store.get_session(i) for i in self.ids)
        self.branch_turn = int(branch["metadata"].get(BRANCH_TURN) or 0)
        name = store.get_scenario(branch["scenario_id"]).student_profile.name
        yield Header()
        yield Static(f"Session {self.ids[0]} and its branch {self.ids[1]} share turns 0-{self.branch_turn - 1}; "
                     f"from turn {self.branch_turn} on they differ." if self.branch_turn else
                     f"Session {self.ids[0]} and its branch {self.ids[1]} differ from the first turn.",
                     id="compare-info")
        with Horizontal(id="compare-body"):
            for title, session in (("original", parent), ("branch", branch)):
                feedback = stored_feedback(store, session["id"], rubric=self.app.rubric)
                turns = [t for t in session["turns"] if t["idx"] >= self.branch_turn]
                with Vertical(classes="compare-side" + (" -branch" if title == "branch" else "")):
                    head = Text(f"{title.capitalize()}: session {session['id']}\n", style="bold")
                    head.append_text(side_summary(turns, feedback))
                    yield Static(head, classes="compare-head")
                    with VerticalScroll(classes="compare-turns"):
                        for turn in turns:
                            card = TurnCard(turn, name)
                            yield card
                            if turn["role"] == TEACHER:
                                card.add_class("-with-feedback")
                                said = feedback.get(turn["idx"])
                                if said is not None:  # the move is in the turn's header already
                                    said = replace(said, move=None)
                                yield FeedbackLine(turn["idx"], said, note="not judged" if said is None else "")
                        if not turns:
                            yield Static("(no turns from the branch point)", classes="dialog-hint")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        """Title."""
        self.sub_title = f"compare · session {self.ids[0]} and branch {self.ids[1]} from turn {self.branch_turn}"
        for scroll in self.query(VerticalScroll):
            scroll.can_focus = False

    def action_open(self, side: int) -> None:
        """Open one side in review, at the branch point."""
        self.app.open_review(self.ids[side], turn_idx=self.branch_turn)

    def action_back(self) -> None:
        """Back."""
        self.app.pop_screen()
