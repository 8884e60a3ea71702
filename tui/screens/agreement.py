"""Inter-rater agreement: per-dimension kappa or alpha, and the turns where raters differ most."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, Static

from practicum.storage.rating_queries import multi_rater_scores
from practicum.evaluation.rater_agreement import agreement_by_dimension, top_disagreements

STATISTIC_LABEL = {"cohen_kappa": "Cohen κ", "krippendorff_alpha_ordinal": "Krippendorff α (ord.)"}
EXPLAIN = (
    "Sessions scored by two or more raters; only each rater's latest score counts. Two raters on a dimension: "
    "Cohen's kappa (unweighted). Three or more: Krippendorff's alpha with the ordinal distance, which allows "
    "missing scores. 1 is perfect agreement, 0 is chance; 'same score' is the share of rater pairs that agree "
    "exactly."
)


def format_value(value: float | None) -> Text:
    """A statistic with a colour for how much agreement it shows."""
    if value is None:
        return Text("n/a", style="dim")
    style = "green" if value >= 0.67 else "yellow" if value >= 0.4 else "red"
    return Text(f"{value:.3f}", style=style)


class AgreementScreen(Screen):
    """Two tables: agreement per dimension, and the biggest disagreements (Enter opens one)."""

    BINDINGS = [
        Binding("enter", "open", "Open turn", tooltip="Open the highlighted disagreement in the review"),
        Binding("g", "reload", "Reload", tooltip="Recompute from the database"),
        Binding("escape,q", "back", "Back", tooltip="Back to the browser"),
    ]

    def compose(self) -> ComposeResult:
        """Explanation, the two tables."""
        yield Header()
        yield Static(EXPLAIN, id="agreement-explain")
        yield Label("Agreement per dimension", classes="section-title")
        yield DataTable(id="agreement", cursor_type="row", zebra_stripes=True)
        yield Label("Largest disagreements (Enter opens the turn)", classes="section-title")
        yield DataTable(id="disagreements", cursor_type="row", zebra_stripes=True)
        yield Footer(show_command_palette=False)

    def __init__(self):
        """Nothing computed until the screen shows."""
        super().__init__()
        self.disagreements = []

    def on_mount(self) -> None:
        """Set the title; the numbers come when the screen is shown."""
        self.sub_title = "agreement"

    def on_screen_resume(self) -> None:
        """Compute on first showing and again after a review (scores may have changed)."""
        self.action_reload()

    def action_reload(self) -> None:
        """Recompute everything from the stored ratings."""
        rows = multi_rater_scores(self.app.store)
        table = self.query_one("#agreement", DataTable)
        table.clear(columns=True)
        table.add_columns("dimension", "raters", "units", "statistic", "value", "same score")
        labels = {d.name: d.label for role in ("teacher", "student", None) for d in self.app.rubric.for_role(role)}
        for result in agreement_by_dimension(rows, self.app.rubric.scales()):
            exact = f"{result.exact_agreement:.0%}" if result.exact_agreement is not None else "–"
            table.add_row(labels.get(result.dimension, result.dimension), ", ".join(result.raters), str(result.units),
                          STATISTIC_LABEL[result.statistic], format_value(result.value), exact)
        self.disagreements = top_disagreements(rows, limit=50)
        worst = self.query_one("#disagreements", DataTable)
        worst.clear(columns=True)
        worst.add_columns("session", "turn", "dimension", "spread", "scores")
        for item in self.disagreements:
            scores = "  ".join(f"{rater} {score:g}" for rater, score in item.scores.items())
            worst.add_row(str(item.session_id), "session" if item.turn_idx is None else str(item.turn_idx),
                          labels.get(item.dimension, item.dimension), f"{item.spread:g}", scores)
        if not rows:
            self.notify("No session has scores from two or more raters yet.", severity="warning", timeout=6)
            worst.display = table.display = False
            self.query_one("#agreement-explain", Static).update(
                "No session has scores from two or more raters yet.\n\n" + EXPLAIN
            )
        else:
            worst.display = table.display = True
            self.query_one("#agreement-explain", Static).update(EXPLAIN)
            worst.focus()

    @on(DataTable.RowSelected, "#disagreements")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.open(event.cursor_row)

    def action_open(self) -> None:
        """Open the highlighted disagreement."""
        self.open(self.query_one("#disagreements", DataTable).cursor_row)

    def open(self, index: int) -> None:
        """Review the session of a disagreement, at its turn."""
        if not self.disagreements or index >= len(self.disagreements):
            self.notify("Nothing to open.", severity="warning")
            return
        item = self.disagreements[index]
        self.app.open_review(item.session_id, turn_idx=item.turn_idx)

    def action_back(self) -> None:
        """Back to the browser."""
        self.app.pop_screen()
