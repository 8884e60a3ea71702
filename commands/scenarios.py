"""`practicum scenarios`: list, show, import and generate scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Column, Table

from practicum.commands.common import console, err_console, open_store, print_json, resolve_scenario
from practicum.errors import InputError


@click.group()
def scenarios():
    """The scenario library: built-in, imported and generated scenarios."""


def _all_scenarios(store, subject=None, grade=None, source=None):
    from practicum.scenarios.files import builtin_scenarios

    found = {s.id: s for s in builtin_scenarios()}
    found.update({s.id: s for s in store.list_scenarios()})
    chosen = [
        s for s in found.values()
        if (subject is None or s.subject.lower() == subject.lower())
        and (grade is None or s.grade == grade)
        and (source is None or s.source.split(":")[0] == source)
    ]
    return sorted(chosen, key=lambda s: (s.source != "builtin", s.id))


@scenarios.command("list")
@click.option("--subject", help="Only this subject (math, science, reading, history, ...).")
@click.option("--grade", help="Only this grade.")
@click.option("--source", help="Only this source (builtin, mathdial, generated, file).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1), help="Most rows to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_scenarios(ctx, subject, grade, source, limit, as_json):
    """List built-in and stored scenarios."""
    rows = _all_scenarios(open_store(ctx), subject, grade, source)
    if as_json:
        print_json([s.model_dump() for s in rows[:limit]])
        return
    table = Table("subject", "grade", "title", "student", "source")
    table.columns.insert(0, Column("id", no_wrap=True))
    for s in rows[:limit]:
        table.add_row(s.id, s.subject, s.grade, s.title, s.student_profile.name, s.source)
    console.print(table)
    if len(rows) > limit:
        console.print(f"[dim]{limit} of {len(rows)} shown; use --limit or filters[/dim]")


@scenarios.command("show")
@click.argument("scenario_ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
@click.pass_context
def show_scenario(ctx, scenario_ref, as_json):
    """Show one scenario (by id or file) in full, as YAML or JSON."""
    from practicum.scenarios.files import dump_scenario_yaml

    scenario = resolve_scenario(scenario_ref, open_store(ctx))
    if as_json:
        print_json(scenario.model_dump())
    else:
        click.echo(dump_scenario_yaml(scenario), nl=False)


def detect_format(path: Path) -> str:
    """Guess a scenario file's format: 'mathdial' for MathDial rows, else 'scenarios'."""
    if path.suffix != ".jsonl":
        return "scenarios"
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.strip():
                try:
                    first = json.loads(line)
                except json.JSONDecodeError:
                    return "scenarios"
                if isinstance(first, dict) and {"question", "conversation", "ground_truth"} <= set(first):
                    return "mathdial"
                return "scenarios"
    return "scenarios"


@scenarios.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", "scenarios", "mathdial"]), default="auto",
              show_default=True, help="scenarios: YAML/JSON/JSONL scenario records; mathdial: MathDial rows.")
@click.option("--transcripts/--no-transcripts", default=False, show_default=True,
              help="MathDial only: also store each row's dialogue as a session, keeping teacher-move labels.")
@click.pass_context
def import_scenarios(ctx, path, fmt, transcripts):
    """Import scenarios from a file into the database; bad lines are reported and skipped."""
    store = open_store(ctx)
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "scenarios":
        from practicum.scenarios.files import load_scenario_file

        loaded = load_scenario_file(path)
        for s in loaded:
            if s.source == "builtin":
                s.source = "file"
        store.upsert_scenarios(loaded)
        console.print(f"Imported {len(loaded)} scenarios from {path}.")
        return
    _import_mathdial(store, path, transcripts)


def _import_mathdial(store, path: Path, transcripts: bool) -> None:
    from rich.progress import Progress

    from practicum.scenarios.mathdial import read_mathdial

    imported, sessions, skipped, errors = 0, 0, 0, []
    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task("Importing MathDial rows", total=None)
        for line_no, record in read_mathdial(path):
            progress.advance(task)
            if isinstance(record, InputError):
                errors.append(str(record))
                continue
            if transcripts:
                if store.list_sessions(source="mathdial", scenario_id=record.scenario.id, limit=1):
                    skipped += 1
                    store.upsert_scenarios([record.scenario])
                else:
                    store.import_transcript(record.scenario, record.turns, source="mathdial", metadata=record.metadata)
                    sessions += 1
            else:
                store.upsert_scenarios([record.scenario])
            imported += 1
    for message in errors:
        err_console.print(f"[yellow]skipped[/yellow] {message}", markup=True, highlight=False)
    summary = f"Imported {imported} scenarios from {path}"
    if transcripts:
        summary += f", {sessions} transcripts" + (f" ({skipped} already stored)" if skipped else "")
    summary += f"; {len(errors)} lines skipped."
    console.print(summary)
    if errors and not imported:
        raise InputError(f"{path}: no valid MathDial rows")


@scenarios.command("generate")
@click.option("--subject", required=True,
              help="math, science, reading or history (any subject with --model-written).")
@click.option("--grade", required=True, help="Grade level, 1-12 (math problem families cover grades 3-11).")
@click.option("--topic", default="", help="Only this topic, e.g. 'fractions', 'equivalent fractions', 'percent'.")
@click.option("--misconception", default="", metavar="NAME",
              help="Only students who hold this misconception (names: `practicum scenarios misconceptions`).")
@click.option("--count", default=1, show_default=True, type=click.IntRange(1, 1000), help="How many to generate.")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Seed; the same seed and options give the same batch.")
@click.option("--reword", is_flag=True,
              help="Let --backend reword each problem's names and setting; a rewording that changes, drops or "
                   "adds a number is rejected and the template text kept.")
@click.option("--model-written", is_flag=True,
              help="Let --backend write whole scenarios instead (for strong models such as openai:MODEL); each "
                   "must pass the same checks, and a math answer must agree with an independent solve.")
@click.option("--backend", "backend_spec", default="local", show_default=True,
              help="Backend for --reword and --model-written.")
@click.option("--save/--no-save", default=True, show_default=True, help="Store the scenarios in the database.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write them to this YAML file.")
@click.option("--json", "as_json", is_flag=True, help="Print the scenarios as JSON instead of a summary table.")
@click.pass_context
def generate_scenarios(ctx, subject, grade, topic, misconception, count, seed, reword, model_written, backend_spec,
                       save, out, as_json):
    """Generate validated scenarios: built from problem families and the misconception catalogue.

    Math answers are computed exactly and each student's wrong attempt is a named misconception rule
    applied to the same numbers; no model is needed. --reword and --model-written bring in a backend.
    """
    if reword and model_written:
        raise click.UsageError("use --reword or --model-written, not both")
    if model_written:
        made, failures = _model_written(ctx, subject, grade, topic, misconception, count, seed, backend_spec)
    else:
        from practicum.scenarios.problems.build import build_scenarios

        made, note = build_scenarios(subject, grade, count, seed=seed, topic=topic, misconception=misconception)
        failures = [note] if note else []
        if reword and made:
            _reword(ctx, made, backend_spec, seed)
    if save and made:
        open_store(ctx).upsert_scenarios(made)
    if as_json:
        print_json([s.model_dump() for s in made])
    elif made:
        _summary_table(made)
    if out and made:
        import yaml

        out.write_text(yaml.safe_dump([s.model_dump() for s in made], sort_keys=False, allow_unicode=True))
    for failure in failures:
        err_console.print(f"[yellow]note[/yellow] {failure}", markup=True, highlight=False)
    err_console.print(f"Generated {len(made)} of {count} scenarios" + (" (stored)" if save and made else "") + ".")
    if not made:
        raise InputError(f"no valid scenario generated: {failures[-1] if failures else 'nothing matched'}")


def _model_written(ctx, subject, grade, topic, misconception, count, seed, backend_spec):
    from rich.progress import Progress

    from practicum.agents.backends.spec import make_backend
    from practicum.agents.scenario_generator import ScenarioGenerator

    backend = make_backend(backend_spec, open_store(ctx))  # adapter=<run id> is looked up in --db
    generator = ScenarioGenerator()
    made, failures = [], []
    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task(f"Writing scenarios with {backend.spec}", total=count)
        for i in range(count):
            try:
                made.append(generator.generate(backend, subject=subject, grade=grade, topic=topic, seed=seed + i,
                                               misconception=misconception))
            except InputError as exc:
                failures.append(str(exc))
            progress.advance(task)
    return made, failures


def _reword(ctx, made, backend_spec, seed) -> None:
    from practicum.agents.backends.spec import make_backend
    from practicum.agents.scenario_generator import ScenarioGenerator

    backend = make_backend(backend_spec, open_store(ctx))
    with err_console.status(f"Rewording {len(made)} problems with {backend.spec}..."):
        report = ScenarioGenerator().reword_batch(backend, made, seed)
    reasons = ", ".join(f"{kind} {n}" for kind, n in sorted(report.reasons.items(), key=lambda kv: -kv[1]))
    err_console.print(f"Reworded {report.kept} of {len(made)} problems in {report.seconds:.1f} s"
                      + (f"; kept the template text for {report.rejected} ({reasons})" if report.rejected else "")
                      + ".")


def _summary_table(made) -> None:
    table = Table("grade", "topic", "misconception", "answer", "wrong", "student")
    table.columns.insert(0, Column("id", no_wrap=True))
    for s in made:
        p = s.student_profile
        table.add_row(s.id, s.grade, s.topic, p.misconception_id or (p.misconceptions or [""])[0][:40],
                      s.answer, p.wrong_answer, p.name)
    console.print(table)


@scenarios.command("misconceptions")
@click.option("--subject", help="Only this subject (math, science, reading, history).")
@click.option("--grade", type=click.IntRange(1, 12), help="Only misconceptions seen at this grade.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_misconceptions(subject, grade, as_json):
    """List the misconception library: math rules and the science, reading and history catalogue."""
    from practicum.scenarios.problems import misconception_rows

    rows = misconception_rows(subject, grade)
    if as_json:
        print_json(rows)
        return
    table = Table("subject", "grades", "topic", "description", "used by")
    table.columns.insert(0, Column("name", no_wrap=True))
    for row in rows:
        used = ", ".join(row["families"]) if row["subject"] == "math" else f"{row['problems']} problems"
        table.add_row(row["name"], row["subject"], row["grades"], row["topic"], row["description"], used)
    console.print(table)
    console.print(f"[dim]{len(rows)} misconceptions[/dim]")
