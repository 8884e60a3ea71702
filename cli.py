"""The `practicum` command: one click group; parsing and printing only, the rooms do the work."""

from __future__ import annotations

import sys

import click

from practicum import __version__
from practicum.errors import PracticumError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="practicum")
@click.option(
    "--db", "db_path", type=click.Path(dir_okay=False), envvar="PRACTICUM_DB", default=None,
    help="SQLite database file (default: $PRACTICUM_HOME/practicum.db, ~/.practicum if unset).",
)
@click.pass_context
def cli(ctx: click.Context, db_path: str | None) -> None:
    """practicum: simulated students and teachers for tutoring practice, dialogue datasets and tuning.

    Every transcript is stored in SQLite. Start with `practicum simulate --scenario fractions-unlike-denominators`.
    """
    ctx.obj = {"db_path": db_path}


def _register() -> None:
    from practicum.commands import scenarios, sessions, simulate

    cli.add_command(simulate.simulate)
    cli.add_command(sessions.sessions)
    cli.add_command(scenarios.scenarios)

    from practicum.commands import tui

    cli.add_command(tui.tui)

    from practicum.commands import dataset_export, dataset_import, dataset_validate, turns

    cli.add_command(dataset_import.import_dialogues)
    cli.add_command(dataset_export.export)
    cli.add_command(dataset_export.datasets)
    cli.add_command(dataset_validate.validate)
    cli.add_command(turns.turns)

    from practicum.commands import generate, runs

    cli.add_command(generate.generate)
    cli.add_command(runs.runs)

    from practicum.commands import tune

    cli.add_command(tune.tune)

    from practicum.commands import evaluation

    cli.add_command(evaluation.eval_group)
    cli.add_command(evaluation.compare_command)

    from practicum.commands import report

    cli.add_command(report.report)

    from practicum.commands import loop

    cli.add_command(loop.loop)

    from practicum.commands import progress, reference

    cli.add_command(progress.progress)
    evaluation.eval_group.add_command(reference.reference_command)


_register()


def main() -> None:
    """Entry point: user errors become one line on stderr and exit status 1, never a traceback."""
    try:
        status = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except PracticumError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    if isinstance(status, int) and status:
        sys.exit(status)
