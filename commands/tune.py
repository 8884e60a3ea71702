"""`practicum tune`: one group for every tuner; each tuner's commands live in their own module.

A tuner joins the group by adding its "module:attribute" to TUNER_COMMANDS; nothing else here
changes. Modules are imported when the group is built, so they keep heavy imports inside
their functions (`practicum --help` stays fast).
"""

from __future__ import annotations

import importlib

import click

TUNER_COMMANDS = [
    "practicum.commands.tune_openai:openai_group",
    "practicum.commands.tune_lora:lora",
    "practicum.commands.tune_dspy:dspy_command",
    "practicum.commands.tune_student:student_adapter",
    "practicum.commands.tune_teacher:teacher_adapter",
]


@click.group("tune")
def tune() -> None:
    """Tune the teacher or student: OpenAI fine-tuning jobs (and the local tuners)."""


def _attach() -> None:
    for ref in TUNER_COMMANDS:
        module_name, _, attribute = ref.partition(":")
        tune.add_command(getattr(importlib.import_module(module_name), attribute))


_attach()
