"""`practicum report [SELECTION] --out FILE.html`: one self-contained HTML file to share results."""

from __future__ import annotations

from pathlib import Path

import click

from practicum.commands.common import console, err_console, open_store
from practicum.errors import InputError

DEFAULT_MAX_TRANSCRIPTS = 1000  # the same default as evaluation.html_report (not imported: keep --help light)


@click.command("report")
@click.argument("selection", required=False, default="")
@click.option("--out", "out_path", type=click.Path(dir_okay=False),
              help="HTML file to write (default: $PRACTICUM_HOME/reports/report-<timestamp>.html).")
@click.option("--compare", "compare_pair", nargs=2, metavar="A B",
              help="Add a comparison of two selections: the numbers `practicum compare A B` prints.")
@click.option("--paired", type=click.Choice(["auto", "yes", "no"]), default="auto", show_default=True,
              help="With --compare: pair sessions by (scenario, seed), as in `practicum compare`.")
@click.option("--max-transcripts", type=click.IntRange(0), default=DEFAULT_MAX_TRANSCRIPTS, show_default=True,
              help="Include at most this many full transcripts (the first by id); the report says how many are left out.")
@click.option("--title", help="Title of the page (default: 'practicum report: SELECTION').")
@click.option("--recompute", is_flag=True, help="Recompute metrics even where stored ones exist.")
@click.option("--no-moves", is_flag=True, help="Skip the move classifier (and the metrics that need it).")
@click.pass_context
def report(ctx, selection, out_path, compare_pair, paired, max_transcripts, title, recompute, no_moves):
    """Write one self-contained HTML report: summary, metrics with 95% CIs, judge and human ratings,
    charts, a filterable session list and transcripts with per-turn labels.

    SELECTION is the same as for `compare`: session ids/ranges (1,2,5-9), run:ID[,ID], source:NAME,
    teacher:SPEC, scenario:PREFIX, joined with '&'; none = every finished session.
    The file loads nothing from the network, so it can be mailed or archived as it is.
    Example: practicum report run:3 --out run3.html --compare run:2 run:3
    """
    from rich.progress import Progress

    from practicum.config import practicum_home
    from practicum.evaluation.html_report import collect_report, write_report
    from practicum.evaluation.selection import Selection, parse_selection
    from practicum.storage.store import now_iso

    store = open_store(ctx)
    ids = (parse_selection(selection) if selection.strip() else Selection()).resolve(store)
    if not ids:
        raise InputError(f"selection '{selection}' matches no finished session" if selection.strip()
                         else "no finished sessions stored yet")
    compare_with = None
    if compare_pair:
        resolved = []
        for label, expression in zip("AB", compare_pair):
            chosen = parse_selection(expression).resolve(store)
            if not chosen:
                raise InputError(f"--compare {label} '{expression}' matches no finished session")
            resolved += [expression, chosen]
        compare_with = tuple(resolved)
    with Progress(console=err_console, transient=True) as bar:
        task = bar.add_task("computing metrics", total=None)
        data = collect_report(
            store, ids, selection=selection.strip(), classifier=None if no_moves else "auto", recompute=recompute,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            max_transcripts=max_transcripts, compare_with=compare_with, paired=paired)
        bar.update(task, description="writing HTML", completed=0, total=None)
        if out_path is None:
            stamp = now_iso().replace(":", "").replace("-", "")[:15]
            out_path = practicum_home() / "reports" / f"report-{stamp}.html"
        path = write_report(data, out_path, title)
    size = Path(path).stat().st_size / 1e6
    left = f"; {data.left_out:,} transcripts left out (--max-transcripts)" if data.left_out else ""
    console.print(f"Wrote {path} ({size:.1f} MB): {len(data.sessions):,} sessions, "
                  f"{len(data.transcripts):,} transcripts{left}.")
    for note in data.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
