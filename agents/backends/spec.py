"""Turn a backend spec string (`local`, `local:adapter=PATH|RUN`, `openai:MODEL`, `scripted`) into a backend.

A backend spec says which model answers. What a role says with it (`program=`) and who speaks
(`human`) belong to the agent spec (`agents/speakers.py`), which splits them off before a
backend spec reaches this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from practicum.agents.backends.base import ChatBackend
from practicum.agents.backends.scripted_paced import make_paced, pacing_options
from practicum.errors import BackendError

KINDS = ("local", "openai", "scripted")
LOCAL_KEYS = {"adapter", "model", "dtype", "engine", "weights"}  # dtype=auto|float32|bfloat16, engine=llamacpp,
# weights=f16|gguf: see local.py and gguf_weights.py
OPENAI_KEYS = {"base_url"}
ROLE_KEYS = {"program"}  # options of the agent spec, not of the backend
SPEC_HELP = (
    "backend specs: 'local' (embedded model), 'local:adapter=PATH|RUN_ID', 'local:model=PATH', "
    "'openai:MODEL' (OPENAI_BASE_URL/OPENAI_API_KEY), 'openai:MODEL,base_url=URL', 'scripted'"
)


@dataclass
class BackendSpec:
    """A parsed spec: kind, model (for openai) and key=value options."""

    kind: str
    model: str = ""
    options: dict[str, str] = field(default_factory=dict)
    text: str = ""


def _parse_options(text: str, allowed: set[str], spec: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not value:
            raise BackendError(f"backend spec '{spec}': expected key=value, got '{part}'")
        if key in ROLE_KEYS:
            raise BackendError(f"backend spec '{spec}': {key}= names a role program, not a backend option; "
                               "give it in a --teacher/--student spec")
        if key not in allowed:
            raise BackendError(f"backend spec '{spec}': unknown option '{key}' (allowed: {', '.join(sorted(allowed))})")
        options[key] = value
    return options


def parse_spec(spec: str) -> BackendSpec:
    """Parse and check a spec string; raise BackendError with the accepted forms when it is wrong."""
    text = (spec or "").strip()
    kind, _, rest = text.partition(":")
    if kind not in KINDS:
        raise BackendError(f"unknown backend spec '{spec}'; {SPEC_HELP}")
    if kind == "local":
        return BackendSpec("local", options=_parse_options(rest, LOCAL_KEYS, text), text=text)
    if kind == "openai":
        model, _, opts = rest.partition(",")
        if not model.strip():
            raise BackendError(f"backend spec '{spec}': name a model, e.g. openai:gpt-4o-mini")
        return BackendSpec("openai", model=model.strip(), options=_parse_options(opts, OPENAI_KEYS, text), text=text)
    paced = pacing_options(rest, text)  # `scripted:delay=S,vary=1` (see scripted_paced.py)
    if paced is not None:
        return BackendSpec("scripted", options=paced, text=text)
    return BackendSpec("scripted", options={"replies": rest} if rest else {}, text=text)


def make_backend(spec: str | BackendSpec, store=None) -> ChatBackend:
    """Build the backend a spec names (models load lazily on first use); `store` resolves `adapter=<run id>`."""
    parsed = spec if isinstance(spec, BackendSpec) else parse_spec(spec)
    if parsed.kind == "local":
        from practicum.agents.backends.local import local_backend

        adapter, model_path = parsed.options.get("adapter"), parsed.options.get("model")
        if adapter:
            # A LoRA run id (or path) becomes the adapter directory and, unless model= says otherwise, its base.
            from practicum.agents.backends.adapters import resolve_adapter

            resolved = resolve_adapter(adapter, store)
            adapter, model_path = resolved.path, model_path or resolved.base
        return local_backend(model_path=model_path, adapter=adapter, spec=parsed.text, dtype=parsed.options.get("dtype"),
                             engine=parsed.options.get("engine"), weights=parsed.options.get("weights"))
    if parsed.kind == "openai":
        from practicum.agents.backends.openai_chat import OpenAIChatBackend

        backend = OpenAIChatBackend(parsed.model, base_url=parsed.options.get("base_url"))
        backend.spec = parsed.text
        return backend
    if "delay" in parsed.options or "vary" in parsed.options:
        return make_paced(parsed.options, parsed.text)
    from practicum.agents.backends.scripted import ScriptedBackend

    replies = parsed.options.get("replies")
    return ScriptedBackend(replies.split("|") if replies else None, spec=parsed.text)
