"""Pick a scenario to practise or watch: a list of built-in and stored scenarios, filtered as you type."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from practicum.scenarios.model import Scenario

MAX_SHOWN = 200


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
    ]

    def __init__(self, purpose: str = "practise"):
        """`purpose` names what the scenario is for, in the title."""
        super().__init__()
        self.purpose = purpose
        self.scenarios: list[Scenario] = []
        self.shown: list[Scenario] = []

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
        self.query_one(OptionList).can_focus = False
        self.refilter("")

    @on(Input.Changed, "#picker-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.refilter(event.value)

    def refilter(self, text: str) -> None:
        """Show the scenarios matching every typed word."""
        words = text.lower().split()
        found = [s for s in self.scenarios if matches(s, words)]
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
        self.query_one("#picker-hint", Label).update(
            f"{shown} scenarios · ↑↓ move · Enter pick · ctrl+g generate · Esc cancel"
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

    def action_cancel(self) -> None:
        """Close without a scenario."""
        self.dismiss(None)
