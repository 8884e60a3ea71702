"""`import practicum.cli` (what `practicum --help` runs) loads no ML stack: the CLI stays fast."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("dspy", "torch", "transformers", "litellm", "peft", "sklearn")


def loaded_after(code: str) -> list[str]:
    """The HEAVY modules present in sys.modules after running `code` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_ml_stack():
    assert loaded_after("import practicum.cli") == []


def test_building_the_help_of_every_tuning_command_loads_no_ml_stack():
    code = """
import click
from practicum.cli import cli
ctx = click.Context(cli, info_name="practicum")
for name in ("tune", "loop", "export", "import", "validate", "datasets", "eval", "compare"):
    command = cli.get_command(ctx, name)
    command.get_help(click.Context(command, info_name=name, parent=ctx))
    for sub in getattr(command, "commands", {}).values():
        sub.get_help(click.Context(sub, info_name=sub.name, parent=ctx))
        for leaf in getattr(sub, "commands", {}).values():
            leaf.get_help(click.Context(leaf, info_name=leaf.name, parent=ctx))
"""
    assert loaded_after(code) == []


def test_the_heavy_probe_sees_a_heavy_import():
    # the probe itself works: importing the DSPy tuner's objective does load dspy
    assert "dspy" in loaded_after("import practicum.tuning.dspy_tuner.objective")
