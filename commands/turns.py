"""`practicum turns`: review one turn: rate it, save a better version, keep and rate alternative candidates.

These feed preference datasets (`practicum export --format openai-dpo|hf-dpo|hf-kto`): a rewrite
is preferred over the turn it rewrites, and scored alternatives of one turn are paired by score.
"""

from __future__ import annotations

import os

import click
from rich.table import Table

from practicum.commands.common import console, open_store, print_json
from practicum.errors import InputError

RATER_SETTING = "rater"  # the same user setting the TUI remembers a rater's name in


def _default_rater() -> str:
    from practicum.config import load_settings

    return str(load_settings().get(RATER_SETTING) or os.environ.get("USER") or "reviewer")


def _rater_option(func):
    return click.option("--rater", default=None, help="Who is rating (default: the TUI's remembered name, else $USER).")(func)


def _score_options(func):
    func = click.option("--comment", default="", help="Free-text note stored with the score.")(func)
    func = click.option("--dimension", default="overall", show_default=True, help="Rubric dimension being scored.")(func)
    func = click.option("--score", required=True, type=float, help="The score (the default rubric uses 1-5).")(func)
    return _rater_option(func)


@click.group()
def turns():
    """Review single turns: rate them, rewrite them, and keep alternative candidates."""


@turns.command("show")
@click.argument("session_id", type=int)
@click.argument("turn_idx", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def show_turn(ctx, session_id, turn_idx, as_json):
    """Show one turn with its ratings and every candidate or rewrite stored for it."""
    from practicum.storage.candidates import list_candidates

    store = open_store(ctx)
    session = store.get_session(session_id)
    turn = next((t for t in session["turns"] if t["idx"] == turn_idx), None)
    if turn is None:
        raise InputError(f"session {session_id} has no turn {turn_idx} (it has {len(session['turns'])})")
    ratings = [r for r in store.ratings(session_id) if r["turn_idx"] == turn_idx]
    candidates = list_candidates(store, session_id, turn_idx)
    if as_json:
        print_json({"turn": turn, "ratings": ratings, "candidates": candidates})
        return
    console.print(f"[bold]Session {session_id}, turn {turn_idx}[/bold] ({turn['role']}"
                  + (f", {turn['move']}" if turn.get("move") else "") + ")")
    console.print(turn["text"], markup=False)
    for r in ratings:
        score = "comment" if r["score"] is None else f"{r['score']:g}"
        console.print(f"[dim]  {r['rater']} {r['dimension']}: {score} {r['comment']}[/dim]", markup=True)
    _print_candidates(candidates)


def _print_candidates(candidates: list[dict]) -> None:
    if not candidates:
        console.print("[dim]No candidates or rewrites.[/dim]")
        return
    table = Table("id", "turn", "kind", "author", "score", "text")
    for c in candidates:
        score = "" if c["mean_score"] is None else f"{c['mean_score']:.2f} ({c['n_scores']})"
        table.add_row(str(c["id"]), str(c["turn_idx"]), c["kind"], c["author"] or c["model"], score, c["text"][:100])
    console.print(table)


@turns.command("rewrite")
@click.argument("session_id", type=int)
@click.argument("turn_idx", type=int)
@click.option("--text", help="The improved turn; without it, your $EDITOR opens on the original.")
@click.option("--author", default=None, help="Who wrote it (default: the remembered rater name, else $USER).")
@click.option("--note", default="", help="Why it is better (kept with the rewrite).")
@click.pass_context
def rewrite_turn(ctx, session_id, turn_idx, text, author, note):
    """Save a reviewer's improved version of a turn (preferred over the original in preference exports)."""
    from practicum.storage.candidates import save_rewrite

    store = open_store(ctx)
    if text is None:
        original = next((t["text"] for t in store.get_turns(session_id) if t["idx"] == turn_idx), None)
        if original is None:
            raise InputError(f"session {session_id} has no turn {turn_idx}")
        text = click.edit(original)
        if text is None:
            raise InputError("no rewrite saved: the editor was closed without changes")
    candidate_id = save_rewrite(store, session_id, turn_idx, text, author=author or _default_rater(), note=note)
    console.print(f"Saved rewrite {candidate_id} of session {session_id} turn {turn_idx}.")


@turns.command("add-candidate")
@click.argument("session_id", type=int)
@click.argument("turn_idx", type=int)
@click.option("--text", required=True, help="An alternative reply for this turn's context.")
@click.option("--author", default="", help="Who wrote it, if a person did.")
@click.option("--model", default="", help="Which backend produced it, if a model did.")
@click.pass_context
def add_candidate_cmd(ctx, session_id, turn_idx, text, author, model):
    """Store an alternative reply for a turn, to be scored and paired with the others."""
    from practicum.storage.candidates import add_candidate

    candidate_id = add_candidate(open_store(ctx), session_id, turn_idx, text, author=author, model=model)
    console.print(f"Stored candidate {candidate_id} for session {session_id} turn {turn_idx}.")


@turns.command("candidates")
@click.argument("session_id", type=int)
@click.option("--turn", "turn_idx", type=int, default=None, help="Only this turn's candidates.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_candidates_cmd(ctx, session_id, turn_idx, as_json):
    """List a session's candidates and rewrites with their mean current score."""
    from practicum.storage.candidates import list_candidates

    store = open_store(ctx)
    store.get_session(session_id)
    candidates = list_candidates(store, session_id, turn_idx)
    if as_json:
        print_json(candidates)
    else:
        _print_candidates(candidates)


@turns.command("rate")
@click.argument("session_id", type=int)
@click.argument("turn_idx", type=int)
@_score_options
@click.pass_context
def rate_turn(ctx, session_id, turn_idx, score, dimension, comment, rater):
    """Score a turn as it was said (re-rating keeps the history; the latest score counts)."""
    store = open_store(ctx)
    if not any(t["idx"] == turn_idx for t in store.get_session(session_id)["turns"]):
        raise InputError(f"session {session_id} has no turn {turn_idx}")
    rating_id = store.add_rating(session_id, rater=rater or _default_rater(), dimension=dimension, score=score,
                                 turn_idx=turn_idx, comment=comment)
    console.print(f"Stored rating {rating_id}: session {session_id} turn {turn_idx} {dimension} = {score:g}.")


@turns.command("rate-candidate")
@click.argument("candidate_id", type=int)
@_score_options
@click.pass_context
def rate_candidate_cmd(ctx, candidate_id, score, dimension, comment, rater):
    """Score a candidate or rewrite on the same scale as turns."""
    from practicum.storage.candidates import rate_candidate

    rating_id = rate_candidate(open_store(ctx), candidate_id, rater=rater or _default_rater(), dimension=dimension,
                               score=score, comment=comment)
    console.print(f"Stored rating {rating_id}: candidate {candidate_id} {dimension} = {score:g}.")


@turns.command("delete-candidate")
@click.argument("candidate_id", type=int)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def delete_candidate_cmd(ctx, candidate_id, yes):
    """Delete a candidate or rewrite and its ratings."""
    from practicum.storage.candidates import delete_candidate, get_candidate

    store = open_store(ctx)
    candidate = get_candidate(store, candidate_id)
    if not yes:
        click.confirm(f"Delete {candidate['kind']} {candidate_id} of session {candidate['session_id']} "
                      f"turn {candidate['turn_idx']}?", abort=True)
    delete_candidate(store, candidate_id)
    console.print(f"Deleted candidate {candidate_id}.")
