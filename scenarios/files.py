"""Scenarios on disk: the built-in library and user files in YAML, JSON or JSON Lines.

People write scenario files by hand, so every way a file can be wrong becomes
one InputError line that names the file, the line and, for a bad record, the
field path, e.g. `scenarios.yaml: record 2 (line 14): student_profile.name: Field required`.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from practicum.errors import InputError, NotFoundError
from practicum.scenarios.model import Scenario

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)
JSONL_SUFFIXES = (".jsonl",)

# (record, 1-based line where it starts or None when unknown)
_Located = tuple[Any, int | None]


def builtin_scenarios() -> list[Scenario]:
    """Return the scenarios shipped in `scenarios/library/`, sorted by id."""
    return [scenario.model_copy(deep=True) for scenario in _load_library()]


def get_builtin(scenario_id: str) -> Scenario:
    """Return the built-in scenario with this id, or raise NotFoundError naming close matches."""
    for scenario in _load_library():
        if scenario.id == scenario_id:
            return scenario.model_copy(deep=True)
    ids = [scenario.id for scenario in _load_library()]
    close = difflib.get_close_matches(scenario_id, ids, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; built-in ids: {', '.join(ids)}"
    raise NotFoundError(f"no built-in scenario '{scenario_id}'{hint}")


@lru_cache(maxsize=1)
def _load_library() -> tuple[Scenario, ...]:
    library = resources.files("practicum.scenarios").joinpath("library")
    found: dict[str, tuple[Scenario, str]] = {}
    for entry in sorted(library.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(YAML_SUFFIXES):
            continue
        source = f"scenarios/library/{entry.name}"
        for scenario in parse_scenarios(entry.read_text(encoding="utf-8"), source, "yaml"):
            if scenario.id in found:
                raise InputError(f"{source}: id: duplicate id '{scenario.id}' (also in {found[scenario.id][1]})")
            found[scenario.id] = (scenario, source)
    return tuple(scenario for _, (scenario, _) in sorted(found.items()))


def load_scenario_file(path: str | Path) -> list[Scenario]:
    """Read scenarios from a .yaml/.yml, .json or .jsonl file (one mapping, a list of mappings, or one per line)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        kind = "yaml"
    elif suffix in JSON_SUFFIXES:
        kind = "json"
    elif suffix in JSONL_SUFFIXES:
        kind = "jsonl"
    else:
        raise InputError(f"{path}: unsupported file type '{path.suffix}'; use .yaml, .yml, .json or .jsonl")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    return parse_scenarios(text, str(path), kind)


def parse_scenarios(text: str, source: str, kind: str) -> list[Scenario]:
    """Parse scenario records from text of `kind` "yaml", "json" or "jsonl"; `source` names it in errors."""
    readers = {"yaml": _yaml_records, "json": _json_records, "jsonl": _jsonl_records}
    if kind not in readers:
        raise InputError(f"{source}: unknown scenario format '{kind}'; use yaml, json or jsonl")
    records = readers[kind](text, source)
    if not records:
        raise InputError(f"{source}: no scenarios in file")
    scenarios = [_validate(record, index, line, source) for index, (record, line) in enumerate(records, 1)]
    _check_unique(scenarios, source, [line for _, line in records])
    return scenarios


def dump_scenario_yaml(scenario: Scenario) -> str:
    """Return the scenario as a YAML document that `load_scenario_file` reads back unchanged."""
    data = scenario.model_dump(mode="json")
    return yaml.dump(data, Dumper=_ScenarioDumper, sort_keys=False, allow_unicode=True, width=100)


class _ScenarioDumper(yaml.SafeDumper):
    """Writes multi-line strings as `|` blocks so solutions stay readable."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ScenarioDumper.add_representer(str, _represent_str)


def _yaml_records(text: str, source: str) -> list[_Located]:
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        values = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: {_describe_yaml_error(exc)}") from None
    records: list[_Located] = []
    for node, value in zip(documents, values, strict=True):
        if node is None or value is None:
            continue
        line = node.start_mark.line + 1
        if isinstance(value, list):
            items = node.value if isinstance(node, yaml.SequenceNode) else []
            lines = [item.start_mark.line + 1 for item in items] or [line] * len(value)
            records.extend(zip(value, lines, strict=True))
        else:
            records.append((value, line))
    return records


def _describe_yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    detail = f"{context}: {problem}" if context else problem
    if mark is None:
        return f"invalid YAML: {detail}"
    return f"line {mark.line + 1}, column {mark.column + 1}: invalid YAML: {detail}"


def _json_records(text: str, source: str) -> list[_Located]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}") from None
    if isinstance(value, list):
        return [(item, None) for item in value]
    return [(value, 1)]


def _jsonl_records(text: str, source: str) -> list[_Located]:
    records: list[_Located] = []
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append((json.loads(line), line_no))
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}: line {line_no}, column {exc.colno}: invalid JSON: {exc.msg}") from None
    return records


def _where(source: str, index: int, line: int | None) -> str:
    return f"{source}: record {index}" + (f" (line {line})" if line else "")


def _validate(record: Any, index: int, line: int | None, source: str) -> Scenario:
    if not isinstance(record, dict):
        kind = type(record).__name__
        raise InputError(f"{_where(source, index, line)}: expected a mapping of scenario fields, got {kind}")
    try:
        return Scenario.model_validate(_numbers_as_text(record))
    except ValidationError as exc:
        raise InputError(f"{_where(source, index, line)}: {describe_validation_error(exc)}") from None


def _numbers_as_text(record: dict[str, Any]) -> dict[str, Any]:
    # Hand-written YAML says `grade: 5` and `answer: 24`; both are text in the model.
    record = {**record, **_stringified(record, ("grade", "answer"))}
    profile = record.get("student_profile")
    if isinstance(profile, dict):
        record["student_profile"] = {**profile, **_stringified(profile, ("grade",))}
    return record


def _stringified(mapping: dict[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    return {
        key: str(mapping[key])
        for key in keys
        if isinstance(mapping.get(key), int | float) and not isinstance(mapping.get(key), bool)
    }


def describe_validation_error(exc: ValidationError) -> str:
    """Return a pydantic error as one line: `field.path: message; other.field: message`."""
    parts = []
    for error in exc.errors():
        field = _field_path(error["loc"]) or "(record)"
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{field}: {message}")
    return "; ".join(parts)


def _field_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _check_unique(scenarios: list[Scenario], source: str, lines: list[int | None]) -> None:
    first_seen: dict[str, int] = {}
    for index, (scenario, line) in enumerate(zip(scenarios, lines, strict=True), 1):
        if scenario.id in first_seen:
            first = first_seen[scenario.id]
            raise InputError(f"{_where(source, index, line)}: id: duplicate id '{scenario.id}' (first used by record {first})")
        first_seen[scenario.id] = index
