"""`practicum simulate`: one agent-vs-agent (or human-vs-agent) session, streamed and stored turn by turn."""

from __future__ import annotations

import click
from rich.markup import escape

from practicum.agents.backends.base import ROLE_TEMPERATURE
from practicum.commands.common import console, err_console, open_store, print_turn, resolve_scenario

SPEC_FORMS = ("local (the role's packaged LoRA adapter), local:adapter=none (the raw model), local:adapter=RUN|PATH (LoRA), local:program=RUN|PATH (DSPy program), "
              "local:engine=llamacpp (llama.cpp, extra [llamacpp]; weights=gguf runs the Q4_1 file as it is), "
              "local:sentences=N|off (stop after N sentences; the student's default is its first sentence the "
              "fidelity gate accepts), openai:MODEL, "
              "scripted, or 'human' to type")


@click.command()
@click.option("--scenario", "-s", "scenario_ref", required=True,
              help="Built-in or stored scenario id, or a YAML/JSON file (FILE#ID to pick one of several).")
@click.option("--turns", "-n", default=6, show_default=True, type=click.IntRange(1, 200),
              help="Maximum number of turns (teacher and student utterances together).")
@click.option("--teacher", "teacher_spec", default="local", show_default=True,
              help=f"Teacher spec: {SPEC_FORMS}. Run ids are looked up in the --db database.")
@click.option("--student", "student_spec", default="local", show_default=True,
              help="Student spec (same forms as --teacher).")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for sampling; same seed, same session.")
@click.option("--temperature", default=None, type=click.FloatRange(0, 2),
              help=f"Sampling temperature for both roles (default {ROLE_TEMPERATURE}; 0 is greedy).")
@click.option("--no-answer-stop", is_flag=True, help="Keep going after the student states the answer.")
@click.pass_context
def simulate(ctx, scenario_ref, turns, teacher_spec, student_spec, seed, temperature, no_answer_stop):
    """Run one tutoring session, print each turn as it is produced, and store the transcript.

    Turns are stored as they happen, so an interrupted session keeps what it said. A session is
    stored from its first turn: Ctrl-C before it leaves nothing behind. With a human side, end of
    input (Ctrl-D) ends the session as interrupted; typing /end ends it as completed.
    """
    from practicum.agents.backends.embedded_model import gguf_path
    from practicum.agents.runner import SessionRunner, outcome_of, with_temperature
    from practicum.agents.session import SessionOptions
    from practicum.agents.speakers import SpeakerBuilder, parse_agent_spec
    from practicum.evaluation.judge_ranker import judge_ranker_factory

    specs = {"teacher": parse_agent_spec(teacher_spec), "student": parse_agent_spec(student_spec)}
    if all(spec.is_human for spec in specs.values()):
        raise click.UsageError("at most one side can be human")
    local = [s for s in specs.values() if not s.is_human and s.backend.kind == "local"]
    if any("model" not in s.backend.options for s in local):
        gguf_path()  # fail before touching the database when the embedded model is missing
    store = open_store(ctx)
    scenario = resolve_scenario(scenario_ref, store)
    options = with_temperature(SessionOptions(max_turns=turns, seed=seed, stop_on_answer=not no_answer_stop),
                               temperature)
    builder, runner = SpeakerBuilder(store, make_ranker=judge_ranker_factory()), None
    console.print(f"[bold]{escape(scenario.title)}[/bold] ({scenario.subject}, grade {scenario.grade}) - teacher "
                  f"{escape(teacher_spec)}, student {escape(student_spec)}, seed {seed}")
    try:
        teacher = builder.speaker("teacher", specs["teacher"], options.teacher_options, ask=_ask_human("teacher"))
        student = builder.speaker("student", specs["student"], options.student_options, ask=_ask_human("student"))
        runner = SessionRunner(store, scenario, teacher, student, options, source="simulated")
        if local:
            _say_model_loading()
        for turn in runner.play():
            print_turn({**turn.__dict__, "latency_ms": turn.latency * 1000}, scenario.student_profile.name)
    except (KeyboardInterrupt, EOFError) as exc:
        # One message and exit status here: re-raising would make click print "Aborted." as well.
        outcome = outcome_of(exc)
        if runner is not None:
            outcome = runner.outcome or runner.end(outcome)  # Ctrl-C while printing is not seen by play()
        kept = runner.session_id if runner is not None else None
        what = "End of input" if outcome.reason == "end_of_input" else "Interrupted"
        err_console.print(f"{what}: " + (f"session {kept} is stored as interrupted with its "
                                         f"{len(runner.state.turns)} turns." if kept else "nothing was stored."))
        ctx.exit(0 if isinstance(exc, EOFError) else 130)
    finally:
        builder.close()
    transcript = runner.transcript()
    console.print(f"[bold]Session {runner.session_id}[/bold] ended: {transcript.stop_reason} after "
                  f"{len(transcript.turns)} turns. Show it with: practicum sessions show {runner.session_id}")


def _say_model_loading() -> None:
    from practicum.agents.backends.embedded_model import checkpoint_dir

    if not (checkpoint_dir() / "model.safetensors").exists():
        err_console.print("[dim]First run: converting the embedded GGUF model to a cached checkpoint "
                          f"in {checkpoint_dir()} (about 20 s)...[/dim]")
    else:
        err_console.print("[dim]Loading the local model...[/dim]")


def _ask_human(role: str):
    """Read one line from the person; EOFError and KeyboardInterrupt pass through (the runner stores them)."""

    def ask(scenario, history):
        return input(f"{role.capitalize()} (/end to finish)> ")

    return ask
