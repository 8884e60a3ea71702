"""`practicum import`: bring outside tutoring dialogues into the store, with a report by line."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from practicum.commands.common import console, err_console, open_store, print_json, resolve_scenario
from practicum.errors import InputError, PracticumError

IMPORT_FORMATS = ("auto", "dialogue", "openai-chat", "io-pairs", "mathdial")
SHOWN_PROBLEMS = 30


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(IMPORT_FORMATS), default="auto", show_default=True,
              help="Record format; auto detects it from the first recognisable record.")
@click.option("--teacher-role", type=click.Choice(["assistant", "user"]), default="assistant", show_default=True,
              help="openai-chat: which chat role is the teacher; io-pairs: assistant means the output is the teacher's.")
@click.option("--scenario", "scenario_ref", default=None,
              help="Put every record on this scenario (built-in or stored id, or a scenario file).")
@click.option("--subject", default="unknown", show_default=True, help="Subject for records that name none.")
@click.option("--grade", default="unknown", show_default=True, help="Grade for records that name none.")
@click.option("--source", default=None, help="Session source to store (default: the format name).")
@click.option("--strict", is_flag=True, help="Exit non-zero when any record is skipped.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def import_dialogues(ctx, path, fmt, teacher_role, scenario_ref, subject, grade, source, strict, as_json):
    """Import dialogues (dialogue lists, OpenAI chat, input/output pairs, MathDial rows) as sessions.

    Each record is stored in its own transaction; a bad record is reported by line and skipped,
    and a record imported before is not imported again.
    """
    from rich.progress import Progress

    from practicum.tuning.datasets.importers import ImportOptions
    from practicum.tuning.datasets.importing import import_file

    store = open_store(ctx)
    scenario = resolve_scenario(scenario_ref, store) if scenario_ref else None

    def lookup(ref):
        try:
            return resolve_scenario(ref, store)
        except PracticumError:  # an unknown id: the record is reported and skipped
            return None

    options = ImportOptions(teacher_role=teacher_role, scenario=scenario, subject=subject, grade=grade, lookup=lookup)
    with Progress(console=err_console, transient=True, disable=as_json) as progress:
        task = progress.add_task(f"Importing {path.name}", total=None)
        report = import_file(store, path, fmt=fmt, options=options, source=source,
                             on_record=lambda _: progress.advance(task))
    if as_json:
        print_json(report.as_dict())
    else:
        _print_report(report)
    if not report.imported and not report.duplicates and report.skipped:
        raise InputError(f"{path}: no record imported ({len(report.skipped)} skipped)")
    if strict and report.skipped:
        raise InputError(f"{path}: {len(report.skipped)} records skipped (--strict)")


def _print_report(report) -> None:
    where = f" (detected at {report.detected_at})" if report.detected_at else ""
    console.print(f"{report.path}: format {report.format}{where}")
    table = Table("imported sessions", "turns", "already imported", "skipped")
    table.add_row(str(len(report.imported)), str(report.turns), str(len(report.duplicates)), str(len(report.skipped)))
    console.print(table)
    for at, reason in report.skipped[:SHOWN_PROBLEMS]:
        err_console.print(f"[yellow]skipped[/yellow] {at}: {reason}", markup=True, highlight=False)
    if len(report.skipped) > SHOWN_PROBLEMS:
        err_console.print(f"... and {len(report.skipped) - SHOWN_PROBLEMS} more (see --json)")
