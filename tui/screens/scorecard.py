"""The scorecard after a practice session: judge dimensions, move mix and MathDial outcomes beside MathDial's
human teachers, and the turns most worth revisiting (Enter opens one in review, where `b` branches from it).

The numbers are computed in a worker: the judge rates any teacher turn the practice feedback had not
reached yet, the classifier predicts the moves, the session metrics are stored, then
`evaluation.scorecard.build_scorecard` reads it all back. Dismissed with 'rate', ('turn', idx),
('compare', parent id) or None.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option

GROUP_TITLES = {"judge": "Judge: share of your turns", "moves": "Moves: share of your turns",
                "outcomes": "Outcomes (MathDial's measures)"}
WIDE = 120  # from this width on, the turns to revisit stand beside the table
REFERENCE_NOTE = ("MathDial: 300 real tutoring dialogues by human teachers (Macina et al. 2023), measured the "
                  "same way as your session. success@k: the student states the answer within their first k+1 "
                  "turns; telling@k: you state it within your first k+1 turns, before the student does.")


def session_stats(session: dict) -> list[tuple[str, str]]:
    """Basic numbers every session has: status, why it stopped, turns per role, tokens, latency."""
    turns = session["turns"]
    by_role = {role: [t for t in turns if t["role"] == role] for role in ("teacher", "student")}
    prompt = sum(t["prompt_tokens"] or 0 for t in turns)
    completion = sum(t["completion_tokens"] or 0 for t in turns)
    timed = [t["latency_ms"] for t in turns if t["latency_ms"] and t["model"] != "human"]
    rows = [
        ("status", session["status"] + (f" ({session['stop_reason']})" if session["stop_reason"] else "")),
        ("turns", f"{len(turns)} ({len(by_role['teacher'])} teacher, {len(by_role['student'])} student)"),
        ("tokens", f"{prompt + completion} ({prompt} prompt, {completion} completion)"),
    ]
    if timed:
        rows.append(("model latency", f"{sum(timed) / len(timed) / 1000:.2f}s mean over {len(timed)} "
                     + ("reply" if len(timed) == 1 else "replies")))
    if session.get("error"):
        rows.append(("error", session["error"]))
    return rows


def format_value(line, value: float | None, of_session: bool) -> str:
    """A share as a percentage; one session's yes/no outcome as yes or no."""
    if value is None:
        return "–"
    if of_session and line.measure.group == "outcomes":
        return "yes" if value >= 0.5 else "no"
    return f"{value:.0%}"


def scorecard_table(card) -> Table:
    """The scorecard lines in three groups, with a better/worse mark where a direction is known."""
    table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, expand=False)
    table.add_column("")  # the labels wrap on narrow screens; the numbers never do
    table.add_column("you", justify="right", no_wrap=True)
    table.add_column("MathDial", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True, min_width=8)
    group = None
    for line in card.lines:
        if line.measure.group != group:
            group = line.measure.group
            table.add_row(Text(GROUP_TITLES[group], style="bold"), "", "", "")
        mark = {"better": Text("▲ better", style="green"), "worse": Text("▼ worse", style="red")}.get(line.verdict, "")
        table.add_row(f"  {line.measure.label}", format_value(line, line.yours, True),
                      format_value(line, line.reference, False), mark)
    return table


@dataclass
class ScorecardReady(Message):
    """The worker built the scorecard (or failed with `error`)."""

    card: object | None
    error: str = ""


class ScorecardScreen(Screen):
    """How the session went against MathDial's teachers, and where to look again."""

    BINDINGS = [
        Binding("r", "rate", "Rate it", tooltip="Rate the session yourself in the review screen"),
        Binding("c", "compare", "Compare", tooltip="Compare this branch with the session it came from"),
        Binding("escape,q", "close", "Close", tooltip="Back to the sessions"),
    ]

    def __init__(self, session_id: int):
        """The scorecard of a stored session."""
        super().__init__()
        self.session_id = session_id
        self.card = None
        self.parent_id: int | None = None
        self.wide = True

    def compose(self) -> ComposeResult:
        """Stats, the table and the turns to revisit (beside it when wide, above it when narrow)."""
        yield Header()
        yield Static("", id="scorecard-stats")
        with Horizontal(id="scorecard-busy", classes="thinking"):
            yield LoadingIndicator()
            yield Label("Scoring your turns…")
        self.wide = self.app.size.width >= WIDE
        revisit = [Label("Turns to revisit (Enter opens one; b there practises it again)", id="revisit-title",
                         classes="section-title"), OptionList(id="revisit")]
        if self.wide:
            with Horizontal(id="scorecard-body"):
                with VerticalScroll(id="scorecard-main"):
                    yield Static("", id="scorecard-table")
                    yield Static("", id="scorecard-notes")
                with Vertical(id="scorecard-side"):
                    yield from revisit
        else:
            with VerticalScroll(id="scorecard-main"):
                yield from revisit
                yield Static("", id="scorecard-table")
                yield Static("", id="scorecard-notes")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        """Show the basic statistics at once; score the rest in a worker."""
        from practicum.storage.practice_queries import PARENT

        session = self.app.store.get_session(self.session_id)
        self.parent_id = session["metadata"].get(PARENT)
        scenario = self.app.store.get_scenario(session["scenario_id"])
        self.sub_title = f"scorecard · session {self.session_id} · {scenario.title}"
        stats = " · ".join(value if label == "status" else value.replace(" ", " turns ", 1) if label == "turns"
                           else f"{label} {value}" for label, value in session_stats(session))
        branch = f"\nBranch of session {self.parent_id} (c compares them)." if self.parent_id else ""
        self.query_one("#scorecard-stats", Static).update(f"Session {self.session_id} ended: {stats}{branch}")
        for widget_id in ("#revisit-title", "#revisit"):
            self.query_one(widget_id).display = False
        self.score()

    @work(thread=True, exclusive=True, group="scorecard")
    def score(self) -> None:
        """Judge the unjudged turns, predict moves, store the metrics, and build the scorecard."""
        from practicum.evaluation.compute import compute_session_metrics, metrics_version
        from practicum.evaluation.scorecard import build_scorecard
        from practicum.evaluation.turn_feedback import complete_session
        from practicum.storage.practice_queries import latest_judge

        store, rubric = self.app.store, self.app.rubric
        try:
            judge, classifier, notes = self.app.feedback_tools()
            complete_session(store, self.session_id, judge=judge, classifier=classifier, rubric=rubric)
            compute_session_metrics(store, self.session_id, classifier)
            rater = judge.rater if judge is not None else latest_judge(store, [self.session_id])
            card = build_scorecard(store, self.session_id, metrics_version=metrics_version(classifier),
                                   judge_rater=rater, reference=self.app.reference(), rubric=rubric)
            card.notes = [f"This scorecard has {n}." for n in notes] + card.notes
        except Exception as exc:  # the stats stay on screen; the numbers say why they are missing
            self.post_message(ScorecardReady(None, str(exc) or type(exc).__name__))
        else:
            self.post_message(ScorecardReady(card))

    @on(ScorecardReady)
    def _ready(self, message: ScorecardReady) -> None:
        self.query_one("#scorecard-busy").display = False
        if message.card is None:
            self.query_one("#scorecard-table", Static).update(Text(f"Could not score this session: {message.error}",
                                                                   style="red"))
            return
        card = self.card = message.card
        self.query_one("#scorecard-table", Static).update(scorecard_table(card))
        revisit = self.query_one("#revisit", OptionList)
        revisit.clear_options()
        for item in card.revisit:
            text = Text.assemble((f"turn {item.turn_idx}", "bold"), "  ", (", ".join(item.reasons), "yellow"))
            if self.wide:
                text.append(f"\n“{item.text}”", style="dim")
            revisit.add_option(Option(text, id=str(item.turn_idx)))
        shown = bool(card.revisit)
        self.query_one("#revisit-title").display = revisit.display = shown
        if shown:
            revisit.highlighted = 0
            revisit.focus(scroll_visible=False)
        notes = [REFERENCE_NOTE] + list(card.notes) + ([] if shown else ["No turn stands out to revisit."])
        self.query_one("#scorecard-notes", Static).update(Text("\n".join(notes), style="dim"))

    @on(OptionList.OptionSelected, "#revisit")
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(("turn", int(event.option.id)))

    def action_rate(self) -> None:
        """Close and open the review to rate the session."""
        self.dismiss("rate")

    def action_compare(self) -> None:
        """Close and compare this branch with its parent."""
        if self.parent_id is None:
            self.notify("This session is not a branch: in review, b on a teacher turn practises it again.",
                        severity="warning")
            return
        self.dismiss(("compare", self.parent_id))

    def action_close(self) -> None:
        """Close."""
        self.dismiss(None)
