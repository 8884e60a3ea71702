"""The sessions browser: a sortable, filterable table loaded a page at a time, and full-text search over turns."""

from __future__ import annotations

from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Select, Static

from practicum.errors import PracticumError
from practicum.storage.browse import SessionQuery, count_sessions, filter_values, page_sessions
from practicum.tui.widgets.session_rows import Column, hit_cells, hit_columns, session_cells, session_columns

PAGE_SIZE = 100
WIDE = 110  # from this width on, the teacher and student specs get their own columns
RATED_CHOICES = [("rated", True), ("unrated", False)]
EMPTY_HELP = (
    "No sessions yet.\n\n"
    "  p  practise: you are the teacher, a simulated student answers\n"
    "  w  watch two agents tutor each other\n\n"
    "Or import real dialogues first:\n"
    "  practicum scenarios import dev.jsonl --transcripts"
)


def literal_words(text: str) -> str:
    """An FTS5 query matching each word of `text` literally (every word quoted)."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in text.split())


SORT = Binding.Group("Sort", compact=True)


class BrowserScreen(Screen):
    """The home screen: every stored session, newest first."""

    AUTO_FOCUS = "#sessions"  # hidden on an empty database: nothing focused, so p and w work at once

    BINDINGS = [
        Binding("enter", "open", "Open", tooltip="Open the highlighted session (or search hit) for review"),
        Binding("slash", "focus_search", "Search",
                tooltip="Full-text search over turns (words, \"phrases\", OR, prefix*)"),
        Binding("s", "cycle_sort", "Sort", tooltip="Sort by the next column (or click a column header)", group=SORT),
        Binding("r", "reverse_sort", "Reverse", tooltip="Reverse the sort direction", group=SORT),
        Binding("f", "focus_filters", "Filters", show=False,
                tooltip="Move to the subject/grade/source/rated filters (Tab moves between them)"),
        Binding("x", "clear_filters", "Clear", show=False, tooltip="Clear every filter and the search"),
        Binding("p", "practice", "Practise", tooltip="Practise as the teacher with a simulated student"),
        Binding("w", "watch", "Watch", tooltip="Watch an agent-vs-agent session live"),
        Binding("a", "agreement", "Agreement", tooltip="Inter-rater agreement over sessions with 2+ raters"),
        Binding("t", "progress", "Progress", tooltip="Your progress over your practice sessions"),
        Binding("u", "name", "Name", show=False, tooltip="Change your name (on ratings and practice sessions)"),
        Binding("g", "reload", "Reload", show=False, tooltip="Reload from the database"),
        Binding("escape", "escape", "Back", show=False, tooltip="Leave the search box, or clear the search"),
        Binding("question_mark", "keys", "Keys", tooltip="Show every key"),
        Binding("q", "app.quit", "Quit", tooltip="Quit"),
    ]

    def __init__(self):
        """Start with every session, newest first."""
        super().__init__()
        self.query_state = SessionQuery()
        self.rows: list[dict] = []
        self.total = 0
        self.hits: list[dict] | None = None  # search results replace the session list while set
        self.search_text = ""
        self.wide = False
        self.filter_choices: dict[str, list[str]] = {}
        self.shown_columns: list[Column] = []

    def compose(self) -> ComposeResult:
        """Filters above the table, a status line below."""
        yield Header()
        with Horizontal(id="filters"):
            yield Input(placeholder="/ search turns", id="search")
            yield Select([], prompt="subject", id="f-subject")
            yield Select([], prompt="grade", id="f-grade")
            yield Select([], prompt="source", id="f-source")
            yield Select(RATED_CHOICES, prompt="rated?", id="f-rated")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Static(EMPTY_HELP, id="empty")
        yield Static("", id="status")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        """Fill the filter menus and the first page."""
        self.sub_title = "sessions"
        self.wide = self.app.size.width >= WIDE
        self.refresh_filter_values()
        self.reload()
        self.watch(self.query_one(DataTable), "scroll_y", self._scrolled, init=False)
        if self.total == 0 and not self.query_state.filtered:
            self.notify("No sessions yet: press p to practise or w to watch agents.", timeout=6)

    def refresh_filter_values(self) -> None:
        """Offer the subjects, grades and sources that stored sessions have."""
        values = filter_values(self.app.store)
        for key in ("subject", "grade", "source"):
            if values[key] == self.filter_choices.get(key):
                continue  # resetting the options would clear the chosen value
            self.filter_choices[key] = values[key]
            select = self.query_one(f"#f-{key}", Select)
            current = select.value
            select.set_options([(v, v) for v in values[key]])
            if current in values[key]:
                select.value = current

    # -- loading ---------------------------------------------------------------------------------

    def reload(self, keep: int | None = None) -> None:
        """Count and load the first page again (or enough pages to keep `keep` rows)."""
        store = self.app.store
        self.total = count_sessions(store, self.query_state)
        limit = max(PAGE_SIZE, keep or 0)
        self.rows = page_sessions(store, self.query_state, limit=limit, offset=0) if self.total else []
        self.render_table()

    def load_more(self) -> bool:
        """Append the next page; False when everything is loaded."""
        if self.hits is not None or len(self.rows) >= self.total:
            return False
        page = page_sessions(self.app.store, self.query_state, limit=PAGE_SIZE, offset=len(self.rows))
        self.rows.extend(page)
        table = self.query_one(DataTable)
        for row in page:
            table.add_row(*self.cells(row), key=str(row["id"]))
        self.update_status()
        return bool(page)

    def columns(self) -> list[Column]:
        """The visible columns for the current mode (sessions or search hits) and width."""
        if self.hits is not None:
            return hit_columns(self.app.size.width)
        return session_columns(self.app.size.width, self.wide)

    def cells(self, row: dict) -> list:
        """The cells of one row in the current mode."""
        columns = self.shown_columns or self.columns()
        return hit_cells(row, columns) if self.hits is not None else session_cells(row, columns)

    def render_table(self) -> None:
        """Rebuild the table's columns and rows from what is loaded."""
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        arrow = " ▼" if self.query_state.descending else " ▲"
        self.shown_columns = self.columns()
        for key, label, width in self.shown_columns:
            shown = label + (arrow if self.hits is None and key == self.query_state.sort else "")
            table.add_column(shown, key=key, width=width)
        items = self.hits if self.hits is not None else self.rows
        for i, row in enumerate(items):
            key = f"{row['session_id']}:{row['idx']}:{i}" if self.hits is not None else str(row["id"])
            table.add_row(*self.cells(row), key=key)
        if items:
            table.move_cursor(row=min(cursor, len(items) - 1))
        empty = self.total == 0 and self.hits is None and not self.query_state.filtered
        self.query_one("#empty").display = empty
        table.display = table.can_focus = not empty
        if empty and self.focused is table:
            self.set_focus(None)
        self.update_status()

    def update_status(self) -> None:
        """'sessions 1-100 of 10,000 · sorted by id ▼ · filters: subject=math'."""
        q = self.query_state
        if self.hits is not None:
            text = (f"{len(self.hits)} turns match '{self.search_text}'"
                    + (" (best 200)" if len(self.hits) >= 200 else "") + " · Enter opens · Esc clears the search")
        elif self.total == 0:
            text = "No sessions match these filters (x clears them)." if q.filtered else "No sessions yet."
        else:
            active = [f"{k}={v}" for k, v in (("subject", q.subject), ("grade", q.grade), ("source", q.source))
                      if v is not None]
            if q.rated is not None:
                active.append("rated" if q.rated else "unrated")
            text = (f"{len(self.rows):,} of {self.total:,} sessions loaded · sorted by {q.sort} "
                    f"{'▼' if q.descending else '▲'}" + (f" · {', '.join(active)}" if active else ""))
        self.query_one("#status", Static).update(text)

    # -- events ----------------------------------------------------------------------------------

    def on_resize(self) -> None:
        """Show or hide the spec columns when the terminal crosses the wide threshold."""
        wide = self.app.size.width >= WIDE
        if wide != self.wide:
            self.wide = wide
            self.render_table()

    def on_screen_resume(self) -> None:
        """Ratings may have changed while another screen was open: refresh what is loaded."""
        if self.is_mounted and self.hits is None:
            self.refresh_filter_values()
            self.reload(keep=len(self.rows))

    @on(DataTable.RowHighlighted, "#sessions")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.hits is None and event.cursor_row >= len(self.rows) - 10:
            self.load_more()

    def _scrolled(self, scroll_y: float) -> None:
        table = self.query_one(DataTable)
        if self.hits is None and table.max_scroll_y > 0 and scroll_y >= table.max_scroll_y - table.size.height:
            self.load_more()  # the mouse wheel reached the end of what is loaded

    @on(DataTable.RowSelected, "#sessions")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.open_row(event.cursor_row)

    @on(DataTable.HeaderSelected, "#sessions")
    def _header(self, event: DataTable.HeaderSelected) -> None:
        if self.hits is None:
            self.sort_by(str(event.column_key.value))

    @on(Select.Changed)
    def _filter_changed(self, event: Select.Changed) -> None:
        key = (event.select.id or "").removeprefix("f-")
        value = None if event.value is Select.NULL else event.value
        if getattr(self.query_state, key, None) == value:
            return
        self.query_state = replace(self.query_state, **{key: value})
        self.hits = None
        self.reload()

    @on(Input.Submitted, "#search")
    def _search(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.notify("Type words to search the turns for, e.g. denominator or \"common factor\".",
                        severity="warning")
            if self.hits is not None:
                self.action_clear_search()
            return
        try:
            hits = self.app.store.search_turns(text, limit=200)
        except PracticumError as exc:
            try:  # "2/7" or "don't" are not FTS syntax: search for the words literally instead
                hits = self.app.store.search_turns(literal_words(text), limit=200)
            except PracticumError:
                self.notify(str(exc), title="Search", severity="error")
                return
        self.search_text = text
        self.hits = hits
        self.render_table()
        self.query_one(DataTable).focus()
        if not hits:
            self.notify(f"No turn matches '{text}'.", severity="warning")

    # -- actions ---------------------------------------------------------------------------------

    def open_row(self, index: int) -> None:
        """Open the session (or search hit) at a table row in the review screen."""
        items = self.hits if self.hits is not None else self.rows
        if not items or index is None or index >= len(items):
            self.notify("No session to open here.", severity="warning")
            return
        row = items[index]
        if self.hits is not None:
            self.app.open_review(row["session_id"], turn_idx=row["idx"], navigator=self.neighbour)
        else:
            self.app.open_review(row["id"], navigator=self.neighbour)

    def neighbour(self, session_id: int, step: int) -> tuple[int, int | None] | None:
        """The session before/after `session_id` in this listing (loading pages as needed)."""
        items = self.hits if self.hits is not None else self.rows
        key = "session_id" if self.hits is not None else "id"
        ids = [row[key] for row in items]
        if session_id not in ids:
            return None
        index = ids.index(session_id)
        target = index + step
        while self.hits is not None and 0 <= target < len(items) and items[target][key] == session_id:
            target += step  # several hits in one session: skip to another session
        if target >= len(items) and self.load_more():
            items = self.rows
        if not 0 <= target < len(items):
            return None
        self.query_one(DataTable).move_cursor(row=target)
        row = items[target]
        return (row["session_id"], row["idx"]) if self.hits is not None else (row["id"], None)

    def action_open(self) -> None:
        """Open the highlighted row."""
        self.open_row(self.query_one(DataTable).cursor_row)

    def action_focus_search(self) -> None:
        """Put the cursor in the search box (at once, so keys typed right after land in it)."""
        self.set_focus(self.query_one("#search", Input))

    def action_focus_filters(self) -> None:
        """Put the cursor on the first filter menu."""
        self.query_one("#f-subject", Select).focus()

    def sort_by(self, column: str) -> None:
        """Sort by a column (again: reverse)."""
        try:
            self.query_state = self.query_state.with_sort(column)
        except PracticumError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.reload()

    def action_cycle_sort(self) -> None:
        """Sort by the next visible column."""
        if self.hits is not None:
            self.notify("Search hits are ordered by relevance; Esc returns to the sessions.", severity="warning")
            return
        keys = [key for key, _, _ in self.columns()]
        current = keys.index(self.query_state.sort) if self.query_state.sort in keys else -1
        self.sort_by(keys[(current + 1) % len(keys)])

    def action_reverse_sort(self) -> None:
        """Flip the sort direction."""
        if self.hits is None:
            self.sort_by(self.query_state.sort)

    def action_clear_search(self) -> None:
        """Back from search hits to the session list."""
        self.hits = None
        self.search_text = ""
        self.query_one("#search", Input).value = ""
        self.render_table()

    def action_clear_filters(self) -> None:
        """Drop every filter and the search."""
        for key in ("subject", "grade", "source", "rated"):
            self.query_one(f"#f-{key}", Select).clear()
        self.query_state = SessionQuery(sort=self.query_state.sort, descending=self.query_state.descending)
        self.hits = None
        self.query_one("#search", Input).value = ""
        self.reload()

    def action_escape(self) -> None:
        """Leave the search box or the filters; otherwise clear a search."""
        if not isinstance(self.focused, DataTable):
            self.query_one(DataTable).focus()
        elif self.hits is not None:
            self.action_clear_search()

    def action_reload(self) -> None:
        """Read the database again (another process may be writing sessions)."""
        self.refresh_filter_values()
        self.reload(keep=len(self.rows))
        self.notify(f"{self.total:,} sessions")

    def action_practice(self) -> None:
        """Pick a scenario and practise."""
        self.app.start_practice()

    def action_watch(self) -> None:
        """Pick a scenario and watch two agents."""
        self.app.start_watch()

    def action_progress(self) -> None:
        """Show the trainee's progress."""
        self.app.show_progress()

    def action_name(self) -> None:
        """Change the rater's name (saved like the first time it was asked)."""
        self.app.ask_name(question="Your name, saved with every rating you give and on your practice sessions")

    def action_agreement(self) -> None:
        """Open the agreement view."""
        from practicum.tui.screens.agreement import AgreementScreen

        self.app.push_screen(AgreementScreen())

    def action_keys(self) -> None:
        """Show every key of this screen."""
        from practicum.tui.screens.keys import KeysScreen, keys_of

        self.app.push_screen(KeysScreen("Sessions browser", keys_of(self),
                                        "Click a column header to sort by it. Search uses SQLite FTS5 syntax."))
