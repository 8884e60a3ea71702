"""`practicum eval` (metrics report, train-moves, moves, train-judge, judge-check, judge) and `practicum compare A B`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
from rich.table import Table

from practicum.commands.common import console, err_console, open_store, print_json
from practicum.errors import InputError

def _fmt(value: float, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def _progress(label: str, quiet: bool):
    """A rich progress bar on stderr; returns (context manager, callback(done, total))."""
    from rich.progress import Progress

    bar = Progress(console=err_console, transient=True, disable=quiet)
    task = bar.add_task(label, total=None)

    def update(done: int, total: int, description: str | None = None) -> None:
        bar.update(task, completed=done, total=total, **({"description": description} if description else {}))

    return bar, update


def _selection_from_options(sessions, runs, sources, teachers, scenario):
    from practicum.evaluation.selection import Selection, parse_ids

    return Selection(ids=parse_ids(sessions) if sessions else None, run_ids=list(runs), sources=list(sources),
                     teacher_specs=list(teachers), scenario_prefix=scenario)


def _print_report(report) -> None:
    title = f"{len(report.session_ids)} sessions, metrics {report.version}"
    table = Table("metric", "n", "mean", "95% CI", title=title)
    for m in report.metrics:
        table.add_row(m.name, str(m.n), _fmt(m.mean), f"[{_fmt(m.ci_low)}, {_fmt(m.ci_high)}]")
    console.print(table)
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {note}")


@click.group("eval", invoke_without_command=True)
@click.option("--sessions", help="Session ids and ranges, e.g. 1,2,5-9.")
@click.option("--run", "runs", type=int, multiple=True, help="Sessions of this generation run (repeatable).")
@click.option("--source", "sources", multiple=True, help="Sessions from this source, e.g. mathdial (repeatable).")
@click.option("--teacher", "teachers", multiple=True, help="Sessions whose teacher backend spec is this (repeatable).")
@click.option("--scenario", help="Sessions whose scenario id starts with this prefix.")
@click.option("--recompute", is_flag=True, help="Recompute metrics even where stored ones exist.")
@click.option("--no-moves", is_flag=True, help="Skip the move classifier (and the metrics that need it).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def eval_group(ctx, sessions, runs, sources, teachers, scenario, recompute, no_moves, as_json):
    """Evaluate sessions: per-metric means with bootstrap 95% CIs (the default), or a subcommand.

    With no filter every finished session is evaluated. Missing metrics are computed and stored first.
    """
    if ctx.invoked_subcommand is not None:
        return
    from practicum.evaluation.reports import evaluate_sessions

    store = open_store(ctx)
    ids = _selection_from_options(sessions, runs, sources, teachers, scenario).resolve(store)
    if not ids:
        raise InputError("no finished sessions match the selection")
    bar, update = _progress("computing metrics", as_json)
    with bar:
        report = evaluate_sessions(store, ids, classifier=None if no_moves else "auto", recompute=recompute,
                                   progress=update)
    if as_json:
        print_json(report.to_dict())
    else:
        _print_report(report)


@eval_group.command("train-moves")
@click.option("--input", "input_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="MathDial-format .jsonl with labelled teacher turns, e.g. ../shared/data/mathdial/dev.jsonl.")
@click.option("--output", "output_dir", type=click.Path(file_okay=False),
              help="Folder for the classifier and its manifest (default: the packaged artifacts folder).")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20), help="Cross-validation folds.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def train_moves_command(input_path, output_dir, folds, as_json):
    """Cross-validate and train the teacher-move classifier; write it with a manifest of data and scores."""
    from practicum.evaluation.move_training import train_moves

    bar, update = _progress("training", as_json)
    with bar:
        manifest = train_moves(input_path, output_dir, folds,
                               progress=lambda stage, done, total: update(done, total, stage))
    if as_json:
        print_json(manifest)
        return
    scores = manifest["cross_validation"]["scores"]
    _print_scores(scores, f"{folds}-fold cross-validation grouped by conversation "
                          f"({manifest['data']['labelled_teacher_turns']} turns)")
    target = Path(output_dir) if output_dir else Path(__file__).resolve().parents[1] / "evaluation/artifacts"
    console.print(f"Wrote {target / manifest['artifact']} (version {manifest['version']}) and its manifest.")


def _print_scores(scores: dict, title: str) -> None:
    from practicum.records import MOVES

    table = Table("predictor", "macro-F1", *MOVES, "accuracy", title=title)
    for name, s in scores.items():
        table.add_row(name, _fmt(s["macro_f1"]), *(_fmt(s["per_class"][m]) for m in MOVES), _fmt(s["accuracy"]))
    console.print(table)


@eval_group.command("moves")
@click.option("--input", "input_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="MathDial-format .jsonl; every teacher turn is predicted without its label, then scored.")
@click.option("--classifier", "classifier_path", type=click.Path(exists=True, dir_okay=False),
              help="Classifier file (default: the packaged one).")
@click.option("--json", "as_json", is_flag=True, help="Print scores and confusion matrix as JSON.")
def moves_command(input_path, classifier_path, as_json):
    """Check the move classifier on labelled data: macro-F1, per-class F1 and the confusion matrix."""
    from practicum.records import MOVES
    from practicum.evaluation.move_training import evaluate_moves_file, load_classifier

    report = evaluate_moves_file(input_path, load_classifier(classifier_path))
    if as_json:
        print_json(report)
        return
    _print_scores(report["scores"], f"{report['input']}: {report['turns']} labelled teacher turns")
    matrix = report["scores"][next(iter(report["scores"]))]["confusion"]
    table = Table("human \\ predicted", *MOVES, title=f"confusion matrix ({report['classifier']})")
    for move, row in zip(MOVES, matrix):
        table.add_row(move, *map(str, row))
    console.print(table)


def _print_dimension_scores(dimensions: dict, title: str, reference: dict | None = None) -> None:
    table = Table("dimension", "exact macro-F1", "lenient macro-F1", "accuracy", "n",
                  *(["BEA 2025 best"] if reference else []), title=title)
    for name, s in dimensions.items():
        extra = [_fmt(reference.get(name))] if reference else []
        table.add_row(name, _fmt(s["exact_macro_f1"]), _fmt(s["lenient_macro_f1"]), _fmt(s["accuracy"]),
                      str(s.get("n", "")), *extra)
    console.print(table)


@eval_group.command("train-judge")
@click.option("--input", "inputs", required=True, multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="MRBench .json file (either layout); repeat to merge files, e.g. mrbench_v3_dev.json and "
                   "mrbench_v2.json. A response rated in both counts once, with every label it has.")
@click.option("--output", "output_dir", type=click.Path(file_okay=False),
              help="Folder for the judge and its manifest (default: the packaged artifacts folder).")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20),
              help="Cross-validation folds grouped by dialogue (the shipped judge is then fitted on every response).")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def train_judge_command(inputs, output_dir, folds, as_json):
    """Cross-validate and train the pedagogical judge on MRBench; write it with a manifest of data and scores.

    Takes about four minutes on two cores for the two shared MRBench files."""
    from practicum.evaluation.judge_training import BEA_2025_BEST, train_judge

    bar, update = _progress("training", as_json)
    with bar:
        manifest = train_judge(list(inputs), output_dir, folds,
                               progress=lambda stage, done, total: update(done, total, stage))
    if as_json:
        print_json(manifest)
        return
    cv = manifest["cross_validation"]
    _print_dimension_scores(cv["scores"], f"{folds}-fold cross-validation grouped by dialogue "
                                          f"({manifest['data']['responses']} responses)", BEA_2025_BEST)
    console.print(f"Mean exact macro-F1 over the four BEA dimensions: {cv['bea_mean_exact_macro_f1']:.3f} "
                  f"(frozen-MiniLM baseline, the embedding view alone: "
                  f"{cv['views']['embedding']['bea_mean_exact_macro_f1']:.3f})")
    target = Path(output_dir) if output_dir else Path(__file__).resolve().parents[1] / "evaluation/artifacts"
    console.print(f"Wrote {target / manifest['artifact']} (rater {manifest['rater']}) and its manifest.")


@eval_group.command("judge-check")
@click.option("--input", "input_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Labelled MRBench .json file; responses are judged from their text, then scored.")
@click.option("--judge", "judge_path", type=click.Path(exists=True, dir_okay=False),
              help="Judge file (default: the packaged one).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"dimensions": {NAME: {exact_macro_f1, lenient_macro_f1, accuracy, confusion}}}.')
def judge_check_command(input_path, judge_path, as_json):
    """Check the pedagogical judge on labelled MRBench data: exact and lenient macro-F1 per dimension."""
    from practicum.evaluation.judge_model import load_judge
    from practicum.evaluation.judge_training import judge_check

    judge = load_judge(judge_path)
    bar, update = _progress("judging", as_json)
    with bar:
        report = judge_check(input_path, judge, progress=update)
    if as_json:
        keys = ("exact_macro_f1", "lenient_macro_f1", "accuracy", "confusion")
        print_json({"dimensions": {name: {k: s[k] for k in keys} for name, s in report["dimensions"].items()}})
        return
    _print_dimension_scores(report["dimensions"], f"{report['input']}: {report['responses']} responses "
                                                  f"({report['judge']})")


def _print_agreement(agreement: list[dict]) -> None:
    if not agreement:
        return
    table = Table("dimension", "other rater", "n", "agreement", "kappa", "quadratic kappa", "spearman",
                  title="agreement with other raters")
    for row in agreement:
        table.add_row(row["dimension"], row["rater"], str(row["n"]), _fmt(row["agreement"]), _fmt(row["kappa"]),
                      _fmt(row["kappa_quadratic"]), _fmt(row["spearman"]))
    console.print(table)


@eval_group.command("judge")
@click.option("--judge", "judge_spec", default="model", show_default=True,
              help="'model' (the packaged MRBench-trained judge), a judge file (.npz), or an LLM "
                   "backend spec such as openai:gpt-4o-mini or local.")
@click.option("--backend", "spec", help="LLM judge backend spec (the same as --judge SPEC).")
@click.option("--sessions", help="Session ids and ranges, e.g. 1,2,5-9.")
@click.option("--run", "runs", type=int, multiple=True, help="Sessions of this generation run (repeatable).")
@click.option("--source", "sources", multiple=True, help="Sessions from this source (repeatable).")
@click.option("--max-turns", type=click.IntRange(1), help="Grade at most this many teacher turns per session.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome and agreement as JSON.")
@click.pass_context
def judge_command(ctx, judge_spec, spec, sessions, runs, sources, max_turns, as_json):
    """Grade teacher turns on the MRBench dimensions and report agreement with human ratings.

    The default judge is the packaged model trained on MRBench's human labels (offline, no LLM); scores
    are stored as ratings by judge:<name>@<version>. --judge openai:MODEL uses an LLM instead.
    """
    from practicum.evaluation.judge import judge_agreement

    store = open_store(ctx)
    ids = _selection_from_options(sessions, runs, sources, (), None).resolve(store)
    if not ids:
        raise InputError("no finished sessions match the selection")
    spec = spec or judge_spec
    if spec == "model" or spec.endswith(".npz"):
        from practicum.evaluation.judge_model import load_judge
        from practicum.evaluation.judge_ratings import judge_stored_sessions

        judge = load_judge(spec)
        bar, update = _progress("judging", as_json)
        with bar:
            outcome = judge_stored_sessions(store, ids, judge, max_turns_per_session=max_turns, progress=update)
        agreement = judge_agreement(store, judge.rater, ids)
        if as_json:
            print_json(outcome | {"agreement": agreement})
            return
        console.print(f"{outcome['rater']}: labelled {outcome['turns']} teacher turns of {outcome['sessions']} "
                      "sessions.")
        table = Table("dimension", "labels", title="label counts")
        for name, counts in outcome["labels"].items():
            table.add_row(name, ", ".join(f"{label} {n}" for label, n in sorted(counts.items(), key=lambda x: -x[1])))
        console.print(table)
        _print_agreement(agreement)
        return
    from practicum.agents.backends.spec import make_backend
    from practicum.evaluation.judge import judge_sessions

    backend = make_backend(spec, store)  # adapter=<run id> is looked up in --db
    bar, update = _progress("judging", as_json)
    with bar:
        result = judge_sessions(store, ids, backend, max_turns_per_session=max_turns, progress=update)
    agreement = judge_agreement(store, result.rater, ids)
    if as_json:
        print_json({"rater": result.rater, "turns": result.turns, "parsed": result.parsed, "failed": result.failed,
                    "partial": result.partial, "errors": result.errors, "agreement": agreement})
        return
    console.print(f"{result.rater}: graded {result.parsed} of {result.turns} teacher turns "
                  f"({result.failed} unreadable replies stored as judge_error, {result.partial} partial).")
    for error in result.errors[:5]:
        console.print(f"[yellow]  {error}[/yellow]", markup=True)
    _print_agreement(agreement)


@click.command("compare")
@click.argument("selection_a", metavar="A")
@click.argument("selection_b", metavar="B")
@click.option("--paired", type=click.Choice(["auto", "yes", "no"]), default="auto", show_default=True,
              help="Pair sessions by (scenario, seed): auto = when all pair, yes = use those that pair, no = never.")
@click.option("--out", "out_prefix", type=click.Path(dir_okay=False),
              help="Write OUT.json and OUT.png (default: $PRACTICUM_HOME/reports/compare-<timestamp>).")
@click.option("--recompute", is_flag=True, help="Recompute metrics even where stored ones exist.")
@click.option("--no-moves", is_flag=True, help="Skip the move classifier (and the metrics that need it).")
@click.option("--judge", "judge_spec", default="model", show_default=True,
              help="'model' (the packaged MRBench-trained judge) or a judge .npz: judges sessions not yet judged "
                   "by it and adds its dimensions as rows, compared like the metrics; 'none' skips.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.pass_context
def compare_command(ctx, selection_a, selection_b, paired, out_prefix, recompute, no_moves, judge_spec, as_json):
    """Compare two sets of sessions: per-metric B - A with 95% CI and p-value; writes a PNG chart and JSON.

    A and B are selections: session ids/ranges (1,2,5-9), run:ID[,ID], source:NAME, teacher:SPEC,
    scenario:PREFIX, joined with '&'. Example: practicum compare run:3 run:4
    """
    from practicum.config import practicum_home
    from practicum.storage.store import now_iso
    from practicum.evaluation.charts import comparison_chart
    from practicum.evaluation.reports import compare
    from practicum.evaluation.selection import parse_selection

    store = open_store(ctx)
    ids_a = parse_selection(selection_a).resolve(store)
    ids_b = parse_selection(selection_b).resolve(store)
    for label, expression, ids in (("A", selection_a, ids_a), ("B", selection_b, ids_b)):
        if not ids:
            raise InputError(f"selection {label} '{expression}' matches no finished session")
    bar, update = _progress("computing metrics", as_json)
    with bar:
        result = compare(store, ids_a, ids_b, classifier=None if no_moves else "auto", paired=paired,
                         recompute=recompute, progress=update)
    if judge_spec != "none":
        _add_judge(store, result, ids_a, ids_b, judge_spec, as_json)
    if out_prefix:
        prefix = Path(out_prefix)
    else:
        stamp = now_iso().replace(":", "").replace("-", "")[:15]
        prefix = practicum_home() / "reports" / f"compare-{stamp}"
    prefix.parent.mkdir(parents=True, exist_ok=True)
    data = result.to_dict() | {"a": selection_a, "b": selection_b}
    json_path = prefix.with_name(prefix.name + ".json")
    json_path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    png_path = comparison_chart(result, prefix.with_name(prefix.name + ".png"),
                                label_a=f"A: {selection_a} ({len(ids_a)})", label_b=f"B: {selection_b} ({len(ids_b)})")
    if as_json:
        print_json(data | {"json": str(json_path), "png": str(png_path)})
        return
    table = Table("metric", "A mean", "B mean", "B - A", "95% CI", "p", "n",
                  title=f"A = {selection_a} ({len(ids_a)}), B = {selection_b} ({len(ids_b)}); {result.pairing}")
    for m in result.metrics:
        n = str(m.n_pairs) if m.paired else f"{m.n_a}/{m.n_b}"
        table.add_row(m.name, _fmt(m.mean_a), _fmt(m.mean_b), f"{m.difference:+.3f}",
                      f"[{m.ci_low:+.3f}, {m.ci_high:+.3f}]", _fmt(m.p_value), n)
    console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    console.print(f"Wrote {json_path} and {png_path}.")


def _add_judge(store, result, ids_a: list[int], ids_b: list[int], judge_spec: str, quiet: bool) -> None:
    """Judge what the judge has not seen yet and append its paired dimension rows to the comparison."""
    from practicum.evaluation.judge_model import load_judge
    from practicum.evaluation.judge_ratings import judge_stored_sessions, unjudged_sessions
    from practicum.tuning.loop_report import add_judge_rows

    judge = load_judge(judge_spec)
    todo = unjudged_sessions(store, sorted(set(ids_a) | set(ids_b)), judge.rater)
    if todo:
        bar, update = _progress("judging", quiet)
        with bar:
            judge_stored_sessions(store, todo, judge, progress=update)
    add_judge_rows(result, store, ids_a, ids_b, judge.rater)


from practicum.commands.eval_fidelity import fidelity_command  # noqa: E402  (its own module: `eval fidelity`)

eval_group.add_command(fidelity_command)
