"""How sessions and search hits look in the browser's table: which columns fit, and each cell's text."""

from __future__ import annotations

from rich.text import Text

Column = tuple[str, str, int]  # key, label, width
STATUS_STYLE = {"completed": "", "running": "yellow", "failed": "red", "interrupted": "magenta"}
CELL_OVERHEAD = 2  # DataTable pads each cell by one on both sides


def short(text, width: int) -> str:
    """One line of at most `width` characters, ending in an ellipsis when cut."""
    text = " ".join(("" if text is None else str(text)).split())  # 0 (turn 0) is a value, not blank
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def _flex(fixed: list[Column], total_width: int, minimum: int) -> int:
    used = sum(width + CELL_OVERHEAD for _, _, width in fixed) + CELL_OVERHEAD + 2  # + the scrollbar
    return max(minimum, total_width - used)


def session_columns(total_width: int, wide: bool) -> list[Column]:
    """Columns for the session list; the scenario title takes the width that is left."""
    rest = [("subject", "subject", 7), ("grade", "grade", 5)]
    if wide:
        rest += [("teacher", "teacher", 12), ("student", "student", 12)]
    rest += [("turns", "turns", 5), ("status", "status", 9), ("rating", "rating", 6), ("source", "source", 9)]
    first = [("id", "id", 5)]
    return first + [("scenario", "scenario", _flex(first + rest, total_width, 14))] + rest


def hit_columns(total_width: int) -> list[Column]:
    """Columns for full-text search hits; the turn text takes the width that is left."""
    fixed = [("session", "session", 7), ("turn", "turn", 4), ("role", "role", 7), ("scenario", "scenario", 18)]
    return fixed + [("text", "text", _flex(fixed, total_width, 20))]


def session_cells(row: dict, columns: list[Column]) -> list:
    """The cells of one session row (from `storage.browse.page_sessions`)."""
    rating = row["mean_rating"]
    cells = {
        "id": str(row["id"]), "scenario": row["scenario_title"], "subject": row["subject"], "grade": row["grade"],
        "teacher": row["teacher_spec"], "student": row["student_spec"], "turns": str(row["n_turns"]),
        "status": row["status"], "rating": None, "source": row["source"],
    }
    out = []
    for key, _, width in columns:
        if key == "rating":
            out.append(Text(f"{rating:.1f}", style="green") if rating is not None else Text("–", style="dim"))
        elif key == "turns":
            out.append(cells[key].rjust(width))
        elif key == "status":
            out.append(Text(short(row["status"], width), style=STATUS_STYLE.get(row["status"], "")))
        else:
            out.append(short(cells[key], width))
    return out


def hit_cells(row: dict, columns: list[Column]) -> list:
    """The cells of one search hit (from `Store.search_turns`)."""
    values = {"session": row["session_id"], "turn": row["idx"], "role": row["role"], "scenario": row["scenario_id"],
              "text": row["text"]}
    return [short(values[key], width) for key, _, width in columns]
