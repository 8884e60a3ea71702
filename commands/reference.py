"""`practicum eval reference`: MathDial's human teachers measured like a trainee, saved as numbers for the TUI."""

from __future__ import annotations

import click

from practicum.commands.common import console, err_console, print_json


@click.command("reference")
@click.option("--input", "input_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The MathDial .jsonl file (e.g. ../shared/data/mathdial/dev.jsonl).")
@click.option("--out-dir", type=click.Path(file_okay=False),
              help="Where to write reference_mathdial.json and its manifest (default: the package's "
                   "evaluation/artifacts, which the TUI reads).")
@click.option("--no-moves", is_flag=True, help="Skip the move classifier (no predicted move mix).")
@click.option("--no-judge", is_flag=True, help="Skip the pedagogical judge (no judge figures).")
@click.option("--json", "as_json", is_flag=True, help="Print the reference figures as JSON.")
def reference_command(input_path, out_dir, no_moves, no_judge, as_json):
    """Measure MathDial's human teachers as practice sessions are measured, and save the numbers.

    The scorecard at the end of a practice session and `practicum progress` show these beside the
    trainee's own figures. Only numbers are written (with the data's sha256 and CC BY-SA 4.0 attribution).
    """
    from rich.progress import Progress

    from practicum.evaluation.reference import compute_reference, write_reference
    from practicum.evaluation.turn_feedback import resolve_classifier, resolve_judge
    from practicum.storage.store import Store

    classifier, why_no_moves = (None, "--no-moves") if no_moves else resolve_classifier("auto")
    judge, why_no_judge = (None, "--no-judge") if no_judge else resolve_judge("auto")
    for what, why in (("move mix", why_no_moves if classifier is None else ""),
                      ("judge figures", why_no_judge if judge is None else "")):
        if why:
            err_console.print(f"[yellow]note:[/yellow] no {what}: {why}")
    store = Store(memory=True)
    try:
        with Progress(console=err_console, transient=True, disable=as_json) as bar:
            task = bar.add_task("importing", total=None)

            def update(done: int, total: int, what: str) -> None:
                bar.update(task, completed=done, total=total, description=what)

            reference, manifest = compute_reference(store, input_path, classifier=classifier, judge=judge,
                                                    progress=update)
    finally:
        store.close()
    path = write_reference(reference, manifest, out_dir)
    if as_json:
        print_json(reference)
        return
    console.print(f"{reference['sessions']} dialogues, {reference['teacher_turns']} teacher turns "
                  f"(sha256 {manifest['data']['sha256'][:12]}…)")
    for name, item in reference["measures"].items():
        console.print(f"  {name:<34} {item['mean']:.3f}  (n={item['n']})")
    console.print(f"Wrote {path} and its manifest")
