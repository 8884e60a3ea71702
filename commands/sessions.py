"""`practicum sessions`: list, show, search and delete stored sessions."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Column, Table

from practicum.commands.common import console, open_store, print_json, print_turn


@click.group()
def sessions():
    """Browse stored sessions and their transcripts."""


@sessions.command("list")
@click.option("--source", help="Only sessions from this source (simulated, mathdial, practice, ...).")
@click.option("--status", help="Only sessions with this status (running, completed, failed, interrupted).")
@click.option("--scenario", "scenario_id", help="Only sessions on this scenario id.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1), help="How many to show.")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0), help="Skip this many (paging).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_sessions(ctx, source, status, scenario_id, limit, offset, as_json):
    """List sessions, newest first."""
    store = open_store(ctx)
    rows = store.list_sessions(source=source, status=status, scenario_id=scenario_id, limit=limit, offset=offset)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No sessions yet. Create one with: practicum simulate --scenario <id>")
        return
    names = ["id", "scenario", "subject", "teacher", "student", "turns", "status", "source", "started"]
    if console.width < 120:  # a narrow terminal keeps the columns a reader scans first
        names = ["id", "scenario", "subject", "turns", "status", "source"]
    table = Table(*(Column(name, no_wrap=True, overflow="ellipsis") for name in names))
    for r in rows:
        values = {
            "id": str(r["id"]), "scenario": r["scenario_id"], "subject": f"{r['subject']} {r['grade']}",
            "teacher": r["teacher_spec"], "student": r["student_spec"], "turns": str(r["n_turns"]),
            "status": r["status"], "source": r["source"], "started": (r["started"] or "")[5:16].replace("T", " "),
        }
        table.add_row(*(values[name] for name in names))
    console.print(table)
    total = store.count_sessions()
    if total > offset + len(rows):
        console.print(f"[dim]{offset + len(rows)} of {total}; next page: --offset {offset + len(rows)}[/dim]")


@sessions.command("show")
@click.argument("session_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the session and its turns as JSON.")
@click.pass_context
def show_session(ctx, session_id, as_json):
    """Show one session's transcript with tokens, latency and teacher-move labels."""
    store = open_store(ctx)
    session = store.get_session(session_id)
    if as_json:
        session["ratings"] = store.ratings(session_id)
        print_json(session)
        return
    scenario = store.get_scenario(session["scenario_id"])
    console.print(f"[bold]Session {session_id}[/bold]: {escape(scenario.title)} ({escape(scenario.id)}, "
                  f"{scenario.subject}, grade {scenario.grade}), source {session['source']}")
    console.print(f"teacher {session['teacher_spec']}, student {session['student_spec']}, seed {session['seed']}, "
                  f"status {session['status']}" + (f" ({session['stop_reason']})" if session["stop_reason"] else ""))
    if session.get("error"):
        console.print(f"[red]error:[/red] {escape(session['error'])}")
    console.print(f"[dim]Problem: {escape(scenario.problem)}  Answer: {escape(scenario.answer)}[/dim]")
    for turn in session["turns"]:
        print_turn(turn, scenario.student_profile.name)
    tokens = sum((t["prompt_tokens"] or 0) + (t["completion_tokens"] or 0) for t in session["turns"])
    console.print(f"[dim]{len(session['turns'])} turns, {tokens} tokens[/dim]")


@sessions.command("search")
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="Most matches to show.")
@click.option("--json", "as_json", is_flag=True, help="Print matches as JSON.")
@click.pass_context
def search_sessions(ctx, query, limit, as_json):
    """Full-text search over turn text (SQLite FTS5 syntax: words, "phrases", OR, prefix*).

    Each match shows about 16 whole words around the best hit, matched words highlighted
    (in --json, the `snippet` field marks them with « »; `text` is the whole turn).
    """
    store = open_store(ctx)
    hits = store.search_turns(query, limit=limit)
    if as_json:
        marks = str.maketrans({store.SNIPPET_OPEN: "«", store.SNIPPET_CLOSE: "»"})
        print_json([{**h, "snippet": h["snippet"].translate(marks)} for h in hits])
        return
    if not hits:
        console.print(f"No turns match '{query}'.")
        return
    table = Table("session", "turn", "role", "scenario", "match")
    for h in hits:
        table.add_row(str(h["session_id"]), str(h["idx"]), h["role"], h["scenario_id"], highlight_snippet(h["snippet"]))
    console.print(table)


def highlight_snippet(snippet: str) -> str:
    """Rich markup for an FTS snippet: matched words in bold, everything else escaped."""
    from practicum.storage.store import Store

    out, rest = [], snippet
    while Store.SNIPPET_OPEN in rest:
        before, _, rest = rest.partition(Store.SNIPPET_OPEN)
        word, _, rest = rest.partition(Store.SNIPPET_CLOSE)
        out += [escape(before), f"[bold yellow]{escape(word)}[/bold yellow]"]
    return "".join(out + [escape(rest)])


@sessions.command("delete")
@click.argument("session_id", type=int)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def delete_session(ctx, session_id, yes):
    """Delete a session with its turns and ratings."""
    store = open_store(ctx)
    session = store.get_session(session_id)
    if not yes:
        click.confirm(f"Delete session {session_id} ({len(session['turns'])} turns)?", abort=True)
    store.delete_session(session_id)
    console.print(f"Deleted session {session_id}.")
