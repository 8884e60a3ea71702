"""Click options generated from a config dataclass: each field's metadata carries its help and bounds."""

from __future__ import annotations

from dataclasses import MISSING, fields

import click


def _click_type(f, path_fields: set[str], dir_fields: set[str]):
    if f.metadata.get("choices"):
        return click.Choice(f.metadata["choices"])
    if f.name in path_fields:
        return click.Path(dir_okay=f.name in dir_fields)
    low, high = f.metadata.get("min"), f.metadata.get("max")
    if isinstance(f.default, int) and not isinstance(f.default, bool):
        return click.IntRange(low, high) if (low, high) != (None, None) else int
    if isinstance(f.default, float):
        if (low, high) == (None, None):
            return float
        return click.FloatRange(low, high, max_open=f.metadata.get("max_open", False))
    return str


def dataclass_options(config_cls, *, option_names: dict | None = None, path_fields=(), dir_fields=()):
    """Return a decorator adding one click option per field of `config_cls` (the group's --db excepted)."""
    option_names = option_names or {}
    path_fields, dir_fields = set(path_fields), set(dir_fields)

    def decorate(command):
        for f in reversed(fields(config_cls)):
            if f.name == "db":
                continue  # the group's --db option names the database
            default = None if f.default is MISSING else f.default
            names = option_names.get(f.name)
            if names is None:
                flag = "--" + f.name.replace("_", "-")
                names = [f"{flag}/--no-{flag[2:]}"] if isinstance(default, bool) else [flag]
            extra = {} if isinstance(default, bool) else {"type": _click_type(f, path_fields, dir_fields)}
            command = click.option(*names, f.name, default=default, show_default=default not in (None, ""),
                                   help=f.metadata["help"], **extra)(command)
        return command

    return decorate
