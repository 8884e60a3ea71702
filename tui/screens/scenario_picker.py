"""Pick a scenario to practise or watch: a list of built-in and stored scenarios, filtered as you type.

For practice, ctrl+n sorts the list by what the trainee most needs (`evaluation.progress.order_by_need`):
their weakest measure over their last sessions, against MathDial's teachers, is named in the hint,
scenarios they have not practised come first, then those where they did worst on that measure.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from practicum.scenarios.model import Scenario

MAX_SHOWN = 200


@dataclass
class NeedOrder(Message):
    """The worker ordered the scenarios by need: the order (scenario ids) and the rule in words."""

    order: list[str] | None
    rule: str


def all_scenarios(store) -> list[Scenario]:
    """Built-in scenarios first, then stored ones (imported, generated) not already listed."""
    from practicum.scenarios.files import builtin_scenarios

    found = {s.id: s for s in builtin_scenarios()}
    for scenario in store.list_scenarios():
        found.setdefault(scenario.id, scenario)
    return sorted(found.values(), key=lambda s: (s.source != "builtin", s.subject, s.id))


def matches(scenario: Scenario, words: list[str]) -> bool:
    """True when every word occurs in the scenario's id, title, subject, grade, topic or problem."""
    haystack = " ".join([scenario.id, scenario.title, scenario.subject, f"grade {scenario.grade}",
                         scenario.topic, scenario.problem]).lower()
    return all(word in haystack for word in words)


class ScenarioPickerScreen(ModalScreen[Scenario | None]):
    """Type to filter, arrows to move, Enter to pick, ctrl+g to generate a new scenario."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("ctrl+g", "generate", "Generate new"),
        Binding("ctrl+n", "by_need", "By need", tooltip="Sort by what you most need (your weakest measure)"),
    ]

    def __init__(self, purpose: str = "practise", trainee: str | None = None):
        """`purpose` names what the scenario is for, in the title; `trainee` enables sorting by their needs."""
        super().__init__()
        self.purpose = purpose
        self.trainee = trainee
        self.scenarios: list[Scenario] = []
        self.listed: list[Scenario] = []  # in the order currently chosen (usual, or by need)
        self.shown: list[Scenario] = []
        self.rule = ""  # how the list is sorted by need, in words (empty: the usual order)

    def compose(self) -> ComposeResult:
        """Search box over a list."""
        with Vertical(classes="dialog picker-dialog"):
            yield Label(f"Pick a scenario to {self.purpose}", classes="dialog-title")
            yield Input(placeholder="type to filter: fractions, grade 7, mathdial…", id="picker-search")
            yield OptionList(id="picker-list")
            yield Label("↑/↓ move · Enter pick · ctrl+g generate a new one · Esc cancel",
                        classes="dialog-hint", id="picker-hint")

    def on_mount(self) -> None:
        """Load the scenarios."""
        self.scenarios = all_scenarios(self.app.store)
        self.listed = list(self.scenarios)
        self.query_one(OptionList).can_focus = False
        self.refilter("")

    @on(Input.Changed, "#picker-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.refilter(event.value)

    def refilter(self, text: str) -> None:
        """Show the scenarios matching every typed word."""
        words = text.lower().split()
        found = [s for s in self.listed if matches(s, words)]
        self.shown = found[:MAX_SHOWN]
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            Option(Text.assemble(s.title, (f"  {s.subject} · grade {s.grade} · {s.source.split(':')[0]}", "dim")),
                   id=s.id)
            for s in self.shown
        )
        if self.shown:
            options.highlighted = 0
        shown = f"{MAX_SHOWN} of {len(found)}" if len(found) > MAX_SHOWN else f"{len(found)}"
        need = " · ctrl+n usual order" if self.rule else (" · ctrl+n sort by what you need" if self.trainee else "")
        self.query_one("#picker-hint", Label).update(
            (f"{self.rule}\n" if self.rule else "")
            + f"{shown} scenarios · ↑↓ move · Enter pick · ctrl+g generate{need} · Esc cancel"
        )

    def action_move(self, step: int) -> None:
        """Move the highlight."""
        options = self.query_one(OptionList)
        if self.shown:
            current = options.highlighted or 0
            options.highlighted = max(0, min(len(self.shown) - 1, current + step))

    @on(Input.Submitted, "#picker-search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.pick(self.query_one(OptionList).highlighted)

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self.pick(event.option_index)

    def pick(self, index: int | None) -> None:
        """Return the scenario at `index`, or explain why there is none."""
        if index is None or not self.shown:
            self.notify("No scenario matches; change the filter or press ctrl+g to generate one.",
                        severity="warning")
            return
        self.dismiss(self.shown[index])

    def action_generate(self) -> None:
        """Ask for subject, grade and topic, generate, and return the new scenario."""
        from practicum.tui.screens.generate import GenerateScenarioScreen

        def done(scenario: Scenario | None) -> None:
            if scenario is not None:
                self.dismiss(scenario)

        self.app.push_screen(GenerateScenarioScreen(), done)

    def action_by_need(self) -> None:
        """Sort by what the trainee most needs, or back to the usual order."""
        if not self.trainee:
            self.notify("Sorting by need works for practice, with your name known.", severity="warning")
            return
        if self.rule:
            self.rule, self.listed = "", list(self.scenarios)
            self.refilter(self.query_one("#picker-search", Input).value)
            return
        self.query_one("#picker-hint", Label).update("Reading your practice history…")
        self.order_by_need()

    @work(thread=True, exclusive=True, group="need")
    def order_by_need(self) -> None:
        """Find the weakest measure in the trainee's history and order the scenarios by it (off the UI thread)."""
        from practicum.evaluation.progress import order_by_need, trainee_progress, weakest
        from practicum.storage.practice_queries import scenario_practice_counts

        try:
            _, classifier, _ = self.app.feedback_tools()
            progress = trainee_progress(self.app.store, self.trainee, classifier=classifier, rubric=self.app.rubric)
            need = weakest(progress, self.app.reference())
            counts = scenario_practice_counts(self.app.store, self.trainee)
            ordered, rule = order_by_need(self.scenarios, progress, need, counts)
        except Exception as exc:
            self.post_message(NeedOrder(None, str(exc) or type(exc).__name__))
        else:
            self.post_message(NeedOrder([s.id for s in ordered], rule))

    @on(NeedOrder)
    def _need_order(self, message: NeedOrder) -> None:
        if message.order is None:
            self.notify(f"Cannot sort by need: {message.rule}", severity="error")
            self.refilter(self.query_one("#picker-search", Input).value)
            return
        by_id = {s.id: s for s in self.scenarios}
        self.listed = [by_id[i] for i in message.order]
        self.rule = message.rule
        self.refilter(self.query_one("#picker-search", Input).value)

    def action_cancel(self) -> None:
        """Close without a scenario."""
        self.dismiss(None)
