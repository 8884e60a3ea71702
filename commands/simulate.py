"""`practicum simulate`: one agent-vs-agent (or human-vs-agent) session, streamed and stored turn by turn."""

from __future__ import annotations

import click
from rich.markup import escape

from practicum.commands.common import console, err_console, open_store, print_turn, resolve_scenario


@click.command()
@click.option("--scenario", "-s", "scenario_ref", required=True,
              help="Built-in or stored scenario id, or a YAML/JSON file (FILE#ID to pick one of several).")
@click.option("--turns", "-n", default=6, show_default=True, type=click.IntRange(1, 200),
              help="Maximum number of turns (teacher and student utterances together).")
@click.option("--teacher", "teacher_spec", default="local", show_default=True,
              help="Teacher backend spec: local, local:adapter=PATH, openai:MODEL, scripted, or 'human' to type.")
@click.option("--student", "student_spec", default="local", show_default=True,
              help="Student backend spec (same forms as --teacher).")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for sampling; same seed, same session.")
@click.option("--temperature", default=None, type=click.FloatRange(0, 2),
              help="Sampling temperature for both roles (default 0.5; 0 is greedy).")
@click.option("--no-answer-stop", is_flag=True, help="Keep going after the student states the answer.")
@click.pass_context
def simulate(ctx, scenario_ref, turns, teacher_spec, student_spec, seed, temperature, no_answer_stop):
    """Run one tutoring session, print each turn as it is produced, and store the transcript.

    Turns are stored as they happen, so an interrupted session keeps what it said.
    """
    from practicum.agents.backends.embedded_model import gguf_path
    from practicum.agents.backends.spec import make_backend, parse_spec
    from practicum.agents.roles import Student, Teacher
    from practicum.agents.session import AgentSpeaker, HumanSpeaker, SessionOptions, simulate as run

    specs = {"teacher": teacher_spec, "student": student_spec}
    parsed = {role: None if spec == "human" else parse_spec(spec) for role, spec in specs.items()}
    if all(p is None for p in parsed.values()):
        raise click.UsageError("at most one side can be human")
    if any(p is not None and p.kind == "local" and "model" not in p.options for p in parsed.values()):
        gguf_path()  # fail before touching the database when the embedded model is missing
    store = open_store(ctx)
    scenario = resolve_scenario(scenario_ref, store)
    options = SessionOptions(max_turns=turns, seed=seed, stop_on_answer=not no_answer_stop)
    if temperature is not None:
        options.teacher_options.temperature = temperature
        options.student_options.temperature = temperature

    from practicum.agents.programs import load_role_program

    backends: dict[str, object] = {}
    roles = {"teacher": Teacher(), "student": Student()}
    for role, spec in parsed.items():
        if spec is not None and spec.options.get("program"):
            load_role_program(roles[role], spec.options["program"], store)
    speakers = {}
    for role, spec in parsed.items():
        if spec is None:
            speakers[role] = HumanSpeaker(role, _ask_human(role))
            continue
        backend = backends.setdefault(spec.text, make_backend(spec))
        role_options = options.teacher_options if role == "teacher" else options.student_options
        speakers[role] = AgentSpeaker(roles[role], backend, role_options)

    session_id = store.create_session(
        scenario, teacher_spec=teacher_spec, student_spec=student_spec, seed=seed, source="simulated",
        options={"max_turns": turns, "temperature": options.teacher_options.temperature,
                 "stop_on_answer": options.stop_on_answer},
        programs={role: module.describe() for role, module in roles.items()},
    )
    name = scenario.student_profile.name
    console.print(f"[bold]Session {session_id}[/bold]: {escape(scenario.title)} ({scenario.subject}, grade "
                  f"{scenario.grade}) - teacher {escape(teacher_spec)}, student {escape(student_spec)}, seed {seed}")
    if any(p is not None and p.kind == "local" for p in parsed.values()):
        from practicum.agents.backends.embedded_model import checkpoint_dir

        if not (checkpoint_dir() / "model.safetensors").exists():
            err_console.print("[dim]First run: converting the embedded GGUF model to a cached checkpoint "
                              f"in {checkpoint_dir()} (about 20 s)...[/dim]")
        else:
            err_console.print("[dim]Loading the local model...[/dim]")
    gen = run(scenario, speakers["teacher"], speakers["student"], options,
              on_turn=lambda turn: store.add_turn(session_id, turn))
    try:
        while True:
            try:
                turn = next(gen)
            except StopIteration as stop:
                transcript = stop.value
                break
            print_turn({**turn.__dict__, "latency_ms": turn.latency * 1000}, name)
    except KeyboardInterrupt:
        store.finish_session(session_id, "interrupted", "interrupted")
        err_console.print(f"Interrupted; session {session_id} keeps the turns stored so far.")
        raise
    except Exception as exc:
        store.finish_session(session_id, "failed", "error", error=str(exc))
        raise
    store.finish_session(session_id, "completed", transcript.stop_reason)
    console.print(f"[bold]Session {session_id}[/bold] ended: {transcript.stop_reason} after "
                  f"{len(transcript.turns)} turns. Show it with: practicum sessions show {session_id}")


def _ask_human(role: str):
    def ask(scenario, history):
        return click.prompt(f"{role.capitalize()} (/end to finish)", prompt_suffix="> ")

    return ask
