"""`practicum progress`: a trainee's measures over their practice sessions, as a table, a PNG or an HTML page."""

from __future__ import annotations

import click
from rich.table import Table

from practicum.commands.common import console, open_store, print_json
from practicum.errors import InputError


@click.command("progress")
@click.option("--rater", "trainee", help="The trainee: the name on their practice sessions "
                                          "(default: the 'rater' setting, the name the TUI asked for).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False),
              help="Also write the trends to FILE.png (matplotlib) or FILE.html (one self-contained page).")
@click.option("--no-moves", is_flag=True, help="Skip the move classifier (the move mix is left out).")
@click.option("--json", "as_json", is_flag=True, help="Print the per-session values as JSON.")
@click.pass_context
def progress(ctx, trainee, out_path, no_moves, as_json):
    """Show how a trainee's practice changed: each judge dimension, move share and MathDial outcome per session.

    Values are the scorecard's (the end-of-practice screen in `practicum tui`), beside MathDial's human
    teachers measured the same way.
    """
    from practicum.config import load_settings
    from practicum.evaluation.progress import sparkline, trainee_progress, weakest
    from practicum.evaluation.reference import load_reference
    from practicum.evaluation.turn_feedback import resolve_classifier
    from practicum.storage.practice_queries import practice_sessions, trainees

    store = open_store(ctx)
    try:
        trainee = trainee or load_settings().get("rater")
        known = trainees(store)
        if not trainee:
            raise InputError("no trainee name: pass --rater NAME" + (f" (practice sessions by: {', '.join(known)})"
                                                                     if known else ""))
        if not practice_sessions(store, trainee):
            others = f"; practice sessions by: {', '.join(known)}" if known else ""
            raise InputError(f"no finished practice sessions by '{trainee}'{others}")
        classifier, why = (None, "") if no_moves else resolve_classifier("auto")
        if why and not as_json:
            console.print(f"[yellow]note:[/yellow] no move mix: {why}")
        result = trainee_progress(store, trainee, classifier=classifier)
        reference = load_reference()
        ref = {name: item["mean"] for name, item in (reference or {}).get("measures", {}).items()}
        if as_json:
            print_json({"trainee": trainee, "judge": result.judge_rater, "metrics_version": result.metrics_version,
                        "sessions": [p.__dict__ for p in result.sessions], "series": result.series,
                        "reference": {m.name: ref.get(m.name) for m in result.measures()}, "notes": result.notes})
        else:
            table = Table("measure", "trend (oldest → newest)", "first", "last", "MathDial teachers",
                          title=f"{trainee}: {len(result.sessions)} practice sessions", title_justify="left")
            for measure in result.measures():
                values = result.series[measure.name]
                seen = [v for v in values if v is not None]
                table.add_row(measure.label, sparkline(values), f"{seen[0]:.0%}", f"{seen[-1]:.0%}",
                              f"{ref[measure.name]:.0%}" if measure.name in ref else "–")
            console.print(table)
            need = weakest(result, reference)
            if need is not None:
                console.print(f"Most to gain: {need.describe()}.")
            for note in result.notes:
                console.print(f"[yellow]note:[/yellow] {note}")
        if out_path:
            from practicum.evaluation.progress_chart import write_progress

            written = write_progress(result, out_path, reference)
            if not as_json:
                console.print(f"Wrote {written}")
    finally:
        store.close()
