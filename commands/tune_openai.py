"""`practicum tune openai ...`: fine-tune on OpenAI, or any compatible service, from a validated export."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from practicum.commands.common import console, open_store, print_json
from practicum.commands.tune_openai_display import LinePrinter, render_run, status_text, when
from practicum.errors import BackendError, NotFoundError
from practicum.tuning.datasets.prices import DEFAULT_MODEL

RUN_HELP = "RUN is a tuning run id or an OpenAI job id (ftjob-...); without it, the newest OpenAI run."


@click.group("openai")
@click.option("--base-url", default=None,
              help="API base URL; default: the run's own, then $OPENAI_BASE_URL, then https://api.openai.com/v1.")
@click.pass_context
def openai_group(ctx: click.Context, base_url: str | None) -> None:
    """Fine-tune on OpenAI (or a compatible service): start, status, watch, list, cancel, events, models.

    The key comes from $OPENAI_API_KEY or $PRACTICUM_HOME/openai_api_key (chmod 600). OpenAI has
    announced it is winding down self-serve fine-tuning for new users; the local LoRA tuner is the
    default path.
    """
    ctx.ensure_object(dict)
    ctx.obj["openai_base_url"] = base_url


def _client(ctx: click.Context, row: dict | None = None):
    from practicum.tuning.openai_ft.client import FineTuningClient
    from practicum.tuning.openai_ft.jobs import run_base_url

    return FineTuningClient(run_base_url(row, ctx.obj.get("openai_base_url")))


def _run(ctx: click.Context, store, ref: str | None) -> dict:
    """The run for RUN; a job id no run tracks yet is adopted into a new run."""
    from practicum.tuning.openai_ft.jobs import adopt_job, resolve_run

    try:
        return resolve_run(store, ref)
    except NotFoundError:
        if ref is None or ref.isdigit():
            raise
    return adopt_job(store, _client(ctx), ref)


@openai_group.command("start")
@click.argument("training_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--validation-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Held-out file in the same format; the service reports validation loss on it.")
@click.option("--format", "fmt", type=click.Choice(["auto", "openai-sft", "openai-dpo"]), default="auto",
              show_default=True, help="openai-sft makes a supervised job, openai-dpo a DPO job; auto reads the file.")
@click.option("--model", default=DEFAULT_MODEL, show_default=True, help="Base model to fine-tune.")
@click.option("--suffix", default=None, help="Up to 64 characters added to the tuned model's name.")
@click.option("--seed", type=int, default=None, help="Seed for a reproducible job (the service picks one if unset).")
@click.option("--epochs", type=click.IntRange(1, 50), default=None, help="Epochs (default: the service's choice).")
@click.option("--batch-size", type=click.IntRange(1, 256), default=None, help="Batch size (default: auto).")
@click.option("--learning-rate-multiplier", type=click.FloatRange(0, min_open=True), default=None,
              help="Learning rate multiplier (default: auto).")
@click.option("--beta", type=click.FloatRange(0, 2, min_open=True), default=None,
              help="DPO beta: how strongly the tuned model is held to the base model (DPO jobs only).")
@click.option("--price", type=click.FloatRange(0), default=None,
              help="Training price in USD per million tokens, overriding the price table.")
@click.option("--role", type=click.Choice(["teacher", "student"]), default="teacher", show_default=True,
              help="Which role the data trains (recorded with the run).")
@click.option("--yes", "-y", is_flag=True, help="Start without asking for confirmation of the estimated cost.")
@click.option("--watch", "then_watch", is_flag=True, help="Watch the job until it ends after starting it.")
@click.option("--interval", type=click.FloatRange(0), default=2.0, show_default=True,
              help="Seconds between polls when watching (grows while nothing changes).")
@click.pass_context
def start(ctx, training_file, validation_file, fmt, model, suffix, seed, epochs, batch_size,
          learning_rate_multiplier, beta, price, role, yes, then_watch, interval):
    """Validate an export, show the estimated cost, upload it and create a fine-tuning job."""
    from practicum.tuning.openai_ft.jobs import start_job
    from practicum.tuning.openai_ft.plan import JobRequest, plan_job

    request = JobRequest(
        training_path=training_file, validation_path=validation_file, fmt=fmt, model=model, suffix=suffix,
        seed=seed, epochs=epochs, batch_size=batch_size, learning_rate_multiplier=learning_rate_multiplier,
        beta=beta, price=price, role=role,
    )
    plan = plan_job(request)
    client = _client(ctx)
    _print_plan(plan, client.where)
    if not yes:
        click.confirm("Start this fine-tuning job?", abort=True)
    store = open_store(ctx)
    run_id = start_job(store, client, plan)
    row = _refresh(store, run_id)
    console.print(f"Started job {row['external_id']} as tuning run {run_id} ({row['status']}). "
                  f"Follow it with: practicum tune openai watch {run_id}", markup=False)
    if then_watch:
        _watch(ctx, store, client, row, interval)


def _print_plan(plan, where: str) -> None:
    tokens = plan.training.tokens
    console.print(f"Training file: {plan.request.training_path} ({plan.fmt}, {plan.training.n_examples} examples, "
                  f"{tokens.get('total', 0):,} tokens by {tokens.get('tokenizer', '?')})", markup=False)
    if plan.validation:
        console.print(f"Validation file: {plan.request.validation_path} ({plan.validation.n_examples} examples)",
                      markup=False)
    for warning in plan.warnings:
        console.print(f"[yellow]warning[/yellow] {warning}")
    hyper = ", ".join(f"{k}={v}" for k, v in plan.request.hyperparameters().items()) or "all auto"
    console.print(f"Job: {plan.method} fine-tuning of {plan.request.model} at {where}; {hyper}"
                  + (f"; suffix {plan.request.suffix}" if plan.request.suffix else "")
                  + (f"; seed {plan.request.seed}" if plan.request.seed is not None else ""), markup=False)
    if plan.cost:
        c = plan.cost
        console.print(f"Estimated cost: ${c['usd']:.2f} ({c['epochs']} epochs ({c['epochs_source']}) x "
                      f"{c['billing_tokens_per_epoch']:,} tokens at ${c['usd_per_million_tokens']:g}/M tokens, "
                      f"prices as of {c['prices_as_of']})", markup=False)
    else:
        console.print(f"Estimated cost: unknown ({plan.cost_note})", markup=False)


def _refresh(store, run_id: int) -> dict:
    from practicum.storage.tuning_runs import get_tuning_run

    return get_tuning_run(store, run_id)


@openai_group.command("status")
@click.argument("run", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the run's row as JSON.")
@click.pass_context
def status(ctx, run, as_json):
    """Fetch a job's state and new events into its run, and show it. RUN: a run id or job id."""
    from practicum.tuning.openai_ft.jobs import TERMINAL, sync_job, training_progress

    store = open_store(ctx)
    row = _run(ctx, store, run)
    if row["status"] not in TERMINAL:
        row = sync_job(store, _client(ctx, row), row["id"])
    if as_json:
        print_json(row)
        return
    console.print(render_run(row, training_progress(row)))
    _print_outcome(row, fail=False)


@openai_group.command("watch")
@click.argument("run", required=False)
@click.option("--interval", type=click.FloatRange(0), default=2.0, show_default=True,
              help="Seconds between polls (grows while nothing changes, up to 30).")
@click.pass_context
def watch(ctx, run, interval):
    """Follow a job live until it ends; Ctrl-C stops watching, not the job. RUN: a run id or job id."""
    store = open_store(ctx)
    row = _run(ctx, store, run)
    _watch(ctx, store, None, row, interval)


def _watch(ctx, store, client, row: dict, interval: float) -> None:
    from rich.live import Live

    from practicum.tuning.openai_ft.jobs import TERMINAL, training_progress, watch_job

    if row["status"] not in TERMINAL:
        client = client or _client(ctx, row)
        try:
            if console.is_terminal:
                with Live(render_run(row, training_progress(row)), console=console, refresh_per_second=4) as live:
                    row = watch_job(store, client, row["id"], lambda r: live.update(render_run(r, training_progress(r))),
                                    interval=interval)
            else:
                row = watch_job(store, client, row["id"], LinePrinter(row), interval=interval)
        except KeyboardInterrupt:
            console.print(f"Stopped watching; job {row['external_id']} keeps running on the service. "
                          f"Resume with: practicum tune openai watch {row['id']}", markup=False)
            return
    else:
        console.print(render_run(row, training_progress(row)))
    _print_outcome(row, fail=True)


def _print_outcome(row: dict, fail: bool) -> None:
    from practicum.tuning.openai_ft.tuner import openai_artifact

    artifact = openai_artifact(row)  # pending until the job has succeeded with an ft: model
    if artifact.ready:
        flag = "--student" if artifact.role == "student" else "--teacher"
        console.print(f"Tuned model {row['result_model']} is ready. Use it with: "
                      f"practicum simulate {flag} '{artifact.backend_spec()}'", markup=False)
    elif row["status"] == "failed" and fail:
        raise BackendError(f"job {row['external_id'] or '(not created)'} failed: {row['error'] or 'no reason given'}")
    elif row["status"] == "cancelled":
        console.print(f"Job {row['external_id']} was cancelled.", markup=False)


@openai_group.command("list")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True, help="Jobs per page.")
@click.option("--after", default=None, help="Continue after this job id (the last one of the previous page).")
@click.option("--all", "all_pages", is_flag=True, help="Follow every page, not just one.")
@click.option("--local", is_flag=True, help="List the OpenAI runs in the database instead (no network).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_jobs(ctx, limit, after, all_pages, local, as_json):
    """List fine-tuning jobs on the service, newest first, with the run that tracks each."""
    from practicum.storage.tuning_runs import find_tuning_run, list_tuning_runs

    store = open_store(ctx)
    if local:
        rows = list_tuning_runs(store, tuner="openai", limit=limit)
        if as_json:
            print_json(rows)
            return
        table = Table("run", "job", "status", "base model", "tuned model", "created")
        for r in rows:
            table.add_row(str(r["id"]), r["external_id"] or "-", status_text(r["status"]), r["base_model"],
                          r["result_model"] or "-", r["created"][:19])
        console.print(table)
        return
    client = _client(ctx)
    jobs, has_more = [], True
    while has_more:
        page = client.list_jobs(limit=limit, after=after)
        jobs += page.items
        has_more = page.has_more and bool(page.items)
        after = page.items[-1]["id"] if page.items else after
        if not all_pages:
            break
    runs = {j["id"]: find_tuning_run(store, tuner="openai", external_id=j["id"]) for j in jobs}
    if as_json:
        print_json({"jobs": [{**j, "run_id": (runs[j["id"]] or {}).get("id")} for j in jobs], "has_more": has_more})
        return
    table = Table("job", "status", "model", "tuned model", "created", "run")
    for j in jobs:
        run = runs[j["id"]]
        table.add_row(j["id"], status_text(j["status"]), j["model"], j.get("fine_tuned_model") or "-",
                      when(j.get("created_at")), str(run["id"]) if run else "-")
    console.print(table)
    if has_more:
        console.print(f"More jobs: practicum tune openai list --after {after}", markup=False)


@openai_group.command("cancel")
@click.argument("run")
@click.pass_context
def cancel(ctx, run):
    """Cancel a running job on the service. RUN: a run id or job id."""
    from practicum.tuning.openai_ft.jobs import cancel_job

    store = open_store(ctx)
    row = _run(ctx, store, run)
    row = cancel_job(store, _client(ctx, row), row["id"])
    console.print(f"Job {row['external_id']} (run {row['id']}): ", end="", markup=False)
    console.print(status_text(row["status"]))


@openai_group.command("events")
@click.argument("run", required=False)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="How many of the newest events.")
@click.option("--all", "all_events", is_flag=True, help="Every event, following all pages.")
@click.option("--json", "as_json", is_flag=True, help="Print the events as JSON.")
@click.pass_context
def events(ctx, run, limit, all_events, as_json):
    """Show a job's events from the service, oldest first. RUN: a run id or job id."""
    from practicum.tuning.openai_ft.jobs import job_id_of

    store = open_store(ctx)
    row = _run(ctx, store, run)
    job_id = job_id_of(row)
    client = _client(ctx, row)
    if all_events:
        items = client.events_since(job_id, None)
    else:
        items = client.list_events(job_id, limit=limit).items[::-1]
    if as_json:
        print_json(items)
        return
    table = Table("time", "level", "type", "message")
    for e in items:
        table.add_row(when(e.get("created_at")), e.get("level") or "", e.get("type") or "", e.get("message") or "")
    console.print(table)


@openai_group.command("models")
@click.option("--all", "all_models", is_flag=True, help="List every model, not only fine-tuned (ft:) ones.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def models(ctx, all_models, as_json):
    """List the fine-tuned models (ids starting with ft:) the key can use."""
    from practicum.storage.tuning_runs import list_tuning_runs

    client = _client(ctx)
    found = [m for m in client.list_models() if all_models or m["id"].startswith("ft:")]
    by_model = {r["result_model"]: r["id"] for r in list_tuning_runs(open_store(ctx), tuner="openai", limit=10_000)
                if r["result_model"]}
    if as_json:
        print_json([{**m, "run_id": by_model.get(m["id"])} for m in found])
        return
    if not found:
        console.print(f"No fine-tuned models at {client.where} (use --all to list every model).", markup=False)
        return
    table = Table("model", "owned by", "run")
    for m in found:
        table.add_row(m["id"], m.get("owned_by") or "", str(by_model.get(m["id"], "-")))
    console.print(table)
