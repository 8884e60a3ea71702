"""The side panel: what the session is about and who the simulated student is."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from practicum.scenarios.model import Scenario


def scenario_text(scenario: Scenario) -> Text:
    """The scenario and student profile as labelled paragraphs."""
    p = scenario.student_profile
    text = Text()

    def section(label: str, value: str) -> None:
        if value:
            text.append(f"{label}\n", style="bold")
            text.append(f"{value}\n\n")

    text.append(f"{scenario.title}\n", style="bold underline")
    text.append(f"{scenario.subject}, grade {scenario.grade}" + (f" · {scenario.topic}" if scenario.topic else ""),
                style="dim")
    text.append(f"\n{scenario.id} · {scenario.source}\n\n", style="dim")
    section("Problem", scenario.problem)
    section("Answer", scenario.answer)
    section("Objective", scenario.objective)
    text.append(f"Student: {p.name}, grade {p.grade}\n", style="bold magenta")
    text.append(f"{p.persona}\n\n")
    section("Knows", p.knowledge_state)
    section("Misconceptions", "\n".join(f"- {m}" for m in p.misconceptions))
    section("Their attempt", p.incorrect_solution)
    t = p.traits
    text.append(f"confidence {t.confidence} · motivation {t.motivation} · {t.verbosity} answers", style="dim")
    return text


def opening_text(scenario: Scenario, note: str) -> Text:
    """The card that opens a live session: the problem, the student's attempt, and what to do."""
    from practicum.agents.roles import opening_turn

    text = Text()
    text.append(f"{scenario.title} · {scenario.subject}, grade {scenario.grade}\n", style="bold")
    text.append(f"{scenario.student_profile.name} says: ", style="bold magenta")
    text.append(opening_turn(scenario)["text"])
    text.append(f"\n{note}", style="dim")
    return text


class ScenarioPanel(VerticalScroll):
    """A scrollable side panel showing one scenario."""

    def __init__(self, scenario: Scenario | None = None, **kwargs):
        """Show `scenario` (or nothing until `show` is called)."""
        super().__init__(**kwargs)
        self.can_focus = False
        self._scenario = scenario

    def compose(self):
        """One static body."""
        yield Static(scenario_text(self._scenario) if self._scenario else "", id="scenario-body")

    def show(self, scenario: Scenario) -> None:
        """Switch to another scenario."""
        self._scenario = scenario
        self.query_one("#scenario-body", Static).update(scenario_text(scenario))
