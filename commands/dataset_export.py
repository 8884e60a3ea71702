"""`practicum export` and `practicum datasets`: write training data from rated transcripts, list what was written."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from practicum.commands.common import console, err_console, open_store, print_json
from practicum.errors import InputError

EXPORT_FORMATS = ("dspy", "openai-sft", "openai-dpo", "hf-sft", "hf-dpo", "hf-kto", "dialogue")


def _thresholds(values: tuple[str, ...], option: str) -> dict[str, float]:
    found = {}
    for item in values:
        name, sep, number = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            found[name.strip()] = float(number)
        except ValueError:
            raise InputError(f"{option} {item!r}: expected NAME=NUMBER, e.g. {option} telling_rate=0.3") from None
    return found


def _date(ctx, param, value):
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2025-06-30") from None


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True, help="Dataset format to write (dialogue: whole transcripts, the format `practicum import` reads).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Training file to write; the validation file goes beside it as NAME.val.EXT.")
@click.option("--role", type=click.Choice(["teacher", "student"]), default="teacher", show_default=True,
              help="The role being trained: its turns are the targets, rendered with its own prompt.")
@click.option("--source", "sources", multiple=True, help="Only sessions from this source (repeatable).")
@click.option("--status", "statuses", multiple=True,
              help="Only sessions with this status (repeatable; default: completed and interrupted, so failed "
                   "sessions are left out unless you add --status failed).")
@click.option("--subject", default=None, help="Only scenarios of this subject.")
@click.option("--grade", default=None, help="Only scenarios of this grade.")
@click.option("--since", default=None, callback=_date, help="Only sessions started on or after this date (YYYY-MM-DD).")
@click.option("--until", default=None, callback=_date, help="Only sessions started before this date (YYYY-MM-DD).")
@click.option("--rater", default=None, help="Only this rater's scores count, and only sessions they scored.")
@click.option("--dimension", default=None, help="Only this rubric dimension's scores count (default: all, averaged).")
@click.option("--min-session-rating", type=float, default=None,
              help="Only sessions whose session score is at least this (unscored sessions are left out).")
@click.option("--min-turn-rating", type=float, default=None,
              help="Turns scored below this are not learned (weight 0 in openai-sft, left out elsewhere).")
@click.option("--unrated-turns", type=click.Choice(["learn", "skip"]), default="learn", show_default=True,
              help="With --min-turn-rating: learn turns nobody has scored, or skip them (the summary counts them).")
@click.option("--min-metric", "min_metrics", multiple=True, help="NAME=VALUE: only sessions whose metric is at least VALUE.")
@click.option("--max-metric", "max_metrics", multiple=True, help="NAME=VALUE: only sessions whose metric is at most VALUE.")
@click.option("--rewrites/--no-rewrites", default=True, show_default=True,
              help="Train on a reviewer's rewrite of a turn instead of the turn as said.")
@click.option("--val-fraction", type=click.FloatRange(0, 1, max_open=True), default=0.1, show_default=True,
              help="Share of scenarios held out for validation (split by scenario, never by turn).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the train/validation split.")
@click.option("--min-margin", type=click.FloatRange(0), default=0.0, show_default=True,
              help="DPO: pair two scored replies only when their scores differ by at least this (0: any difference).")
@click.option("--kto-threshold", type=float, default=None,
              help="KTO: replies scored at least this are desirable (default: --min-turn-rating, else 3).")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@click.pass_context
def export(ctx, fmt, out, role, sources, statuses, subject, grade, since, until, rater, dimension, min_session_rating,
           min_turn_rating, unrated_turns, min_metrics, max_metrics, rewrites, val_fraction, seed, min_margin, kto_threshold, as_json):
    """Write stored transcripts as training data for one role, with a train/validation split by scenario.

    Every turn of the role becomes an example whose prompt is exactly what the role sends at
    run time (scenario + history up to the turn). The export is recorded in the datasets table.
    """
    from rich.progress import Progress

    from practicum.tuning.datasets.exporting import ExportSettings, export_dataset
    from practicum.tuning.datasets.selection import ExportFilters

    filters = ExportFilters(
        role=role, sources=list(sources), statuses=list(statuses), subject=subject, grade=grade, since=since,
        until=until, rater=rater, dimension=dimension, min_session_rating=min_session_rating,
        min_turn_rating=min_turn_rating, unrated_turns=unrated_turns, min_metrics=_thresholds(min_metrics, "--min-metric"),
        max_metrics=_thresholds(max_metrics, "--max-metric"), use_rewrites=rewrites,
    )
    settings = ExportSettings(val_fraction=val_fraction, seed=seed, min_margin=min_margin, kto_threshold=kto_threshold)
    store = open_store(ctx)
    with Progress(console=err_console, transient=True, disable=as_json) as progress:
        task = progress.add_task(f"Rendering {role} turns", total=None)
        result = export_dataset(store, fmt, out, filters, settings, on_session=lambda _: progress.advance(task))
    if as_json:
        print_json({"dataset_id": result.dataset_id, "format": fmt, "files": result.files, "counts": result.counts,
                    "content_hash": result.content_hash})
        return
    _print_summary(result)


def _print_summary(result) -> None:
    table = Table("split", "file", "examples", "learned turns", "context-only", "sessions", "scenarios", "problems")
    for side, path in result.files.items():
        c = result.counts[side]
        table.add_row(side, path, str(c["examples"]), str(c["learned"]), str(c["context_only"]), str(c["sessions"]),
                      str(c["scenarios"]), str(result.counts["problems"][side]))
    console.print(table)
    counts = result.counts
    filters = result.filters
    console.print(f"{counts['sessions_matched']} sessions matched; {counts['role_turns']} turns of the role, "
                  f"{counts['not_learned_turns']} not learned.")
    if filters.min_turn_rating is not None and counts.get("unrated_turns"):
        verb = "learned anyway" if filters.unrated_turns == "learn" else "not learned"
        hint = "; --unrated-turns skip leaves them out" if filters.unrated_turns == "learn" else ""
        console.print(f"[yellow]{counts['unrated_turns']} of these turns have no rating and were {verb} "
                      f"(--min-turn-rating {filters.min_turn_rating:g} only judges scored turns{hint}).[/yellow]")
    if result.dropped:
        console.print("Left out: " + ", ".join(f"{n} sessions ({reason})" for reason, n in result.dropped.items()))
        if any(reason.startswith("no ") and reason.endswith(" metric") for reason in result.dropped):
            console.print("[yellow]Metrics come from `practicum eval`: run it on those sessions to include them.[/yellow]")
    console.print(f"[dim]dataset {result.dataset_id}, sha256 {result.content_hash[:16]}...[/dim]")


@click.group()
def datasets():
    """Exported datasets recorded in the database."""


@datasets.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="How many to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_datasets_cmd(ctx, limit, as_json):
    """List export manifests, newest first."""
    from practicum.storage.dataset_queries import list_datasets

    rows = list_datasets(open_store(ctx), limit=limit)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No exports yet. Create one with: practicum export --format hf-sft --out data/teacher.jsonl")
        return
    table = Table("id", "format", "role", "train", "validation", "path", "created")
    for r in rows:
        counts = r["counts"]
        table.add_row(str(r["id"]), r["format"], str(r["filters"].get("role", "")),
                      str(counts.get("train", {}).get("examples", "")),
                      str(counts.get("validation", {}).get("examples", "")), r["path"], (r["created"] or "")[:19])
    console.print(table)
