"""`practicum tui`: open the terminal UI over the database."""

from __future__ import annotations

import click

from practicum.commands.common import open_store


@click.command()
@click.option("--rubric", "rubric_path", type=click.Path(dir_okay=False),
              help="Rating rubric file (YAML or JSON: teacher/student/session dimensions); "
                   "default: the 'rubric' setting, else the built-in rubric.")
@click.option("--rater", help="Your name on ratings (asked once and remembered when not given).")
@click.option("--teacher", "teacher_spec", default="local", show_default=True,
              help="Default teacher backend spec for watched sessions and scenario generation.")
@click.option("--student", "student_spec", default="local", show_default=True,
              help="Student backend spec for practice, and default student for watched sessions.")
@click.option("--no-feedback", is_flag=True,
              help="Practise without the per-turn feedback line (ctrl+f toggles it in practice, and is remembered).")
@click.pass_context
def tui(ctx, rubric_path, rater, teacher_spec, student_spec, no_feedback):
    """Browse, review and rate sessions; practise as the teacher with feedback; watch agents tutor each other.

    Keys are shown at the bottom of every screen; press ? for all of them. Practice feedback uses the
    packaged move classifier and pedagogical judge when they are installed (loaded in the background).
    """
    from practicum.agents.speakers import parse_agent_spec
    from practicum.config import load_settings
    from practicum.tui.app import make_app
    from practicum.evaluation.rubric import load_rubric

    for spec in (teacher_spec, student_spec):
        parse_agent_spec(spec)  # a bad spec fails here, before the screen takes over the terminal
    rubric_path = rubric_path or load_settings().get("rubric")
    rubric = load_rubric(rubric_path) if rubric_path else None
    store = open_store(ctx)
    app = make_app(store, rubric=rubric, rater=rater, teacher_spec=teacher_spec, student_spec=student_spec,
                   judge="auto", classifier="auto", feedback=False if no_feedback else None)
    try:
        app.run()
    finally:
        store.close()
