"""Agent specs, parsed once, and the one place that turns them into ready speakers.

A `--teacher`/`--student` spec names who speaks: `human`, or a backend spec plus an optional
role program, e.g. `local`, `local:adapter=3`, `local:program=7`, `openai:gpt-4o-mini,program=PATH`,
`scripted:A|B`. `parse_agent_spec` splits it into an `AgentSpec` (the backend spec, the program
reference); `SpeakerBuilder` turns that into a role module with its compiled program loaded and a
backend, resolving run ids (`adapter=<id>`, `program=<id>`) through the Store it is given. Both
roles on the same backend spec share one backend object, so the model loads once and the
generation driver can batch them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from practicum.agents.backends.base import ChatBackend, GenerationOptions
from practicum.agents.backends.spec import BackendSpec, parse_spec
from practicum.errors import BackendError
from practicum.records import STUDENT, TEACHER

HUMAN = "human"
PROGRAM_KEY = "program"
SCRIPTED_OPTION_KEYS = ("delay", "vary", PROGRAM_KEY)

BackendFactory = Callable[[str], ChatBackend]  # backend spec text -> backend (tests inject scripted ones)


@dataclass(frozen=True)
class AgentSpec:
    """One side of a session as the user named it: a backend and a role program, or a human."""

    text: str  # as given; stored on the session row (teacher_spec / student_spec)
    backend: BackendSpec | None = None  # None for a human
    program: str = ""  # `program=` value: a tuning run id or a JSON file; '' for the role's own prompt

    @property
    def is_human(self) -> bool:
        """True when a person types this side."""
        return self.backend is None

    @property
    def backend_text(self) -> str:
        """The backend spec alone (program removed): what backends are built and shared by."""
        return "" if self.backend is None else self.backend.text


def parse_agent_spec(text: str | AgentSpec) -> AgentSpec:
    """Split a --teacher/--student spec into its backend spec and role program; BackendError when it is wrong."""
    if isinstance(text, AgentSpec):
        return text
    spec = (text or "").strip()
    if spec == HUMAN:
        return AgentSpec(HUMAN)
    backend_text, program = _split_program(spec)
    return AgentSpec(spec, parse_spec(backend_text), program)


def _split_program(spec: str) -> tuple[str, str]:
    """(`local:adapter=3`, `7`) from `local:adapter=3,program=7`; the spec unchanged when it names no program."""
    kind, sep, rest = spec.partition(":")
    if not sep:
        return spec, ""
    if kind == "openai":
        model, comma, options = rest.partition(",")
        head, parts = f"{kind}:{model}", options.split(",") if comma else []
    else:
        head, parts = f"{kind}:", rest.split(",")
        if kind == "scripted" and not all(p.partition("=")[0].strip() in SCRIPTED_OPTION_KEYS and "=" in p
                                          for p in parts):
            return spec, ""  # a reply list (`scripted:A|B`), where `program=` is just text
    program, kept = "", []
    for part in parts:
        key, eq, value = part.strip().partition("=")
        if key == PROGRAM_KEY and eq:
            if not value.strip():
                raise BackendError(f"spec '{spec}': program= needs a tuning run id or a program file")
            program = value.strip()
        else:
            kept.append(part)
    if not program:
        return spec, ""
    if kind == "openai":
        return head + "".join("," + p for p in kept), program
    return (head + ",".join(kept)) if kept else kind, program


def new_role(role: str):
    """A fresh Teacher or Student module (imports DSPy)."""
    from practicum.agents.roles import Student, Teacher

    if role not in (TEACHER, STUDENT):
        raise ValueError(f"role must be '{TEACHER}' or '{STUDENT}', got {role!r}")
    return Teacher() if role == TEACHER else Student()


class SpeakerBuilder:
    """Builds ready speakers from agent specs, one backend per backend spec, run ids looked up in `store`."""

    def __init__(self, store, make_backend: BackendFactory | None = None):
        """`make_backend(backend_spec_text)` overrides how backends are built (default: the spec's own)."""
        self.store = store
        self._make_backend = make_backend
        self.backends: dict[str, ChatBackend] = {}

    def backend(self, spec: str | AgentSpec) -> ChatBackend:
        """The backend an agent spec names, built on first use and shared after that."""
        parsed = parse_agent_spec(spec)
        if parsed.is_human:
            raise BackendError("a human side has no backend")
        key = parsed.backend_text
        if key not in self.backends:
            if self._make_backend is not None:
                self.backends[key] = self._make_backend(key)
            else:
                from practicum.agents.backends.spec import make_backend

                self.backends[key] = make_backend(parsed.backend, self.store)
        return self.backends[key]

    def role(self, role: str, spec: str | AgentSpec):
        """The role module for `role`, with the spec's compiled program loaded when it names one."""
        parsed = parse_agent_spec(spec)
        module = new_role(role)
        if parsed.program:
            from practicum.agents.programs import load_role_program

            load_role_program(module, parsed.program, self.store)
        return module

    def speaker(self, role: str, spec: str | AgentSpec, options: GenerationOptions | None = None, *,
                ask: Callable | None = None, module=None):
        """A ready speaker: a HumanSpeaker (with `ask`) for `human`, else role module + program + backend.

        `module` reuses an already built role module (so a program is loaded once per run).
        """
        from practicum.agents.session import AgentSpeaker, HumanSpeaker

        parsed = parse_agent_spec(spec)
        if parsed.is_human:
            return HumanSpeaker(role, ask, spec=parsed.text)
        module = module if module is not None else self.role(role, parsed)
        return AgentSpeaker(module, self.backend(parsed), options, spec=parsed.text)

    def close(self) -> None:
        """Close backends that hold resources (HTTP clients); best effort."""
        for backend in self.backends.values():
            close = getattr(backend, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # closing is best effort; everything worth keeping is stored
                    pass
