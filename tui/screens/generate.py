"""Generate a new scenario from subject, grade and topic, off the UI thread.

With the backend field blank the scenario is built offline by construction (`scenarios/problems`:
sampled numbers, a computed answer, an attempt made by a named misconception rule), in well under a
second. With a backend spec (a strong model behind `openai:`), the model writes it, behind the same
checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, LoadingIndicator

from practicum.scenarios.model import Scenario


@dataclass
class ScenarioGenerated(Message):
    """The generator worker finished: a scenario, or the error that stopped it."""

    scenario: Scenario | None
    error: str = ""


class GenerateScenarioScreen(ModalScreen[Scenario | None]):
    """Fill subject, grade, topic and a backend; Enter on any field generates."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        """Four fields and a progress line."""
        with Vertical(classes="dialog"):
            yield Label("Generate a scenario", classes="dialog-title")
            yield Input(placeholder="subject (math, science, reading…)", id="gen-subject")
            yield Input(placeholder="grade (e.g. 6)", id="gen-grade")
            yield Input(placeholder="topic (optional, e.g. fractions)", id="gen-topic")
            yield Input(placeholder="backend (blank: build offline; or e.g. openai:gpt-4o-mini)", id="gen-backend")
            with Horizontal(id="gen-progress", classes="thinking"):
                yield LoadingIndicator()
                yield Label("generating…")
            yield Label("Enter generates · Tab next field · Esc cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        """Hide the progress line until asked."""
        self.query_one("#gen-progress").display = False

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        fields = {key: self.query_one(f"#gen-{key}", Input).value.strip()
                  for key in ("subject", "grade", "topic", "backend")}
        missing = [key for key in ("subject", "grade") if not fields[key]]
        if missing:
            self.notify(f"Fill in {', '.join(missing)} first.", severity="warning")
            return
        if self.query_one("#gen-progress").display:
            self.notify("Already generating; wait or press Esc.", severity="warning")
            return
        self.query_one("#gen-progress").display = True
        self.generate(fields)

    @work(thread=True, exclusive=True, group="generate")
    def generate(self, fields: dict) -> None:
        """Run the generator (model calls) in a thread and post the result back."""
        import random

        from practicum.agents.scenario_generator import ScenarioGenerator
        from practicum.errors import InputError, PracticumError
        from practicum.scenarios.problems.build import build_scenarios

        try:
            if fields["backend"]:
                backend = self.app.backend_factory(fields["backend"])
                scenario = ScenarioGenerator().generate(
                    backend, subject=fields["subject"], grade=fields["grade"], topic=fields["topic"]
                )
            else:
                made, note = build_scenarios(fields["subject"], fields["grade"], 1, seed=random.randrange(2**31),
                                             topic=fields["topic"])
                if not made:
                    raise InputError(note or "no scenario matches that subject, grade and topic")
                scenario = made[0]
        except PracticumError as exc:
            self.post_message(ScenarioGenerated(None, str(exc)))
        except Exception as exc:  # a backend bug must not crash the app
            self.post_message(ScenarioGenerated(None, f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(ScenarioGenerated(scenario))

    @on(ScenarioGenerated)
    def _generated(self, message: ScenarioGenerated) -> None:
        self.query_one("#gen-progress").display = False
        if message.scenario is None:
            self.notify(message.error, title="Generation failed", severity="error", timeout=8)
            return
        self.app.store.upsert_scenarios([message.scenario])
        self.notify(f"Generated {message.scenario.id}")
        self.dismiss(message.scenario)

    def action_cancel(self) -> None:
        """Close; a generation in flight finishes in the background and is dropped."""
        self.dismiss(None)
