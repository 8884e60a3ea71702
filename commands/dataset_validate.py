"""`practicum validate`: check a training file before uploading it or handing it to a tuner."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from practicum.commands.common import console, print_json
from practicum.errors import InputError

VALIDATE_FORMATS = ("auto", "openai-sft", "openai-dpo", "hf-sft", "hf-dpo", "hf-kto", "dspy")
SHOWN_PROBLEMS = 50


@click.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(VALIDATE_FORMATS), default="auto", show_default=True,
              help="File format; auto guesses it from the first record.")
@click.option("--model", default=None,
              help="OpenAI model to be tuned, for its tokenizer, context limit and price (default gpt-4o-mini-2024-07-18).")
@click.option("--epochs", type=click.IntRange(1, 50), default=None,
              help="Epochs for the cost estimate (default: what OpenAI picks for this many examples).")
@click.option("--price", type=click.FloatRange(0), default=None,
              help="Training price in USD per million tokens, overriding the price table.")
@click.option("--purpose", type=click.Choice(["auto", "training", "validation"]), default="auto", show_default=True,
              help="A training file or a job's validation file (no 10-example minimum, no cost); auto: "
                   "validation when the name has .val. as `practicum export` writes it.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def validate(ctx, path, fmt, model, epochs, price, purpose, as_json):
    """Check a training file: format errors by line, token counts, context limit, size and cost.

    Exits with status 1 (after the report) when the file has any error.
    """
    from practicum.tuning.datasets.validation import detect_training_format, guess_purpose, validate_file

    fmt = detect_training_format(path) if fmt == "auto" else fmt
    purpose = guess_purpose(path) if purpose == "auto" else purpose
    report = validate_file(path, fmt, model=model, epochs=epochs, price=price, purpose=purpose)
    if as_json:
        print_json(report.as_dict())
    else:
        _print_report(report, purpose)
    if not report.ok:
        counts = ", ".join(f"{kind}: {n}" for kind, n in sorted(report.error_counts().items()))
        raise InputError(f"{path}: {len(report.errors)} error{'s' if len(report.errors) > 1 else ''} ({counts})")


def _print_report(report, purpose: str = "training") -> None:
    purpose_note = " (validation file: no size minimum, no cost)" if purpose == "validation" else ""
    console.print(f"{report.path}: {report.format}, {report.n_examples} examples{purpose_note}")
    problems = [("error", p) for p in report.errors] + [("warning", p) for p in report.warnings]
    if problems:
        table = Table("where", "level", "class", "problem")
        for level, p in problems[:SHOWN_PROBLEMS]:
            table.add_row(p.at, level, p.kind, p.message)
        console.print(table)
        if len(problems) > SHOWN_PROBLEMS:
            console.print(f"... and {len(problems) - SHOWN_PROBLEMS} more (see --json)")
    if not report.errors:
        console.print("[green]No errors found[/green]")
    tokens = report.tokens
    if tokens.get("counted_examples"):
        console.print(f"Tokens ({tokens['tokenizer']}): total {tokens['total']}, per example min {tokens['min']}, "
                      f"median {tokens['median']}, max {tokens['max']}, p95 {tokens['p95']}; "
                      f"{tokens['over_limit']} over the {tokens['context_limit']}-token limit; "
                      f"{tokens['trained_tokens']} tokens in trained replies")
    if report.cost:
        c = report.cost
        console.print(f"Estimated training cost on {c['model']}: ${c['usd']:.2f} for {c['epochs']} epochs "
                      f"({c['epochs_source']}) x {c['billing_tokens_per_epoch']} tokens at "
                      f"${c['usd_per_million_tokens']:g}/M (prices as of {c['prices_as_of']})")
