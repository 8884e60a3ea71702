"""Agent specs, parsed once, and the one place that turns them into ready speakers.

A `--teacher`/`--student` spec names who speaks: `human`, or a backend spec plus optional role
options, e.g. `local`, `local:adapter=3`, `local:program=7`, `openai:gpt-4o-mini,program=PATH`,
`scripted:A|B`, `local:gate=4,state=off`, `local:dtype=int8,sentences=1`. `parse_agent_spec` splits it into an
`AgentSpec` (the backend spec; the role's program, fidelity gate, knowledge-state switch and sentence
budget); `SpeakerBuilder` turns
that into a role module with its compiled program loaded and a backend, resolving run ids
(`adapter=<id>`, `program=<id>`) through the Store it is given. Both roles on the same backend spec
share one backend object, so the model loads once and the generation driver can batch them together.

Defaults are per role: a `local` role without `adapter=` runs with its role's packaged adapter
(`Role.default_adapter`; agents/artifacts/student_adapter and agents/artifacts/teacher_adapter),
and `adapter=none` gives the raw model. The fidelity gate (`gate=N` candidates per turn;
`gate=0` or `gate=off` turns it off) defaults to `default_gate`: 2 student candidates in one batch on
the local model, one checked reply elsewhere, none for scripted replies (they are used as queued).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from practicum.agents.backends.base import ChatBackend, GenerationOptions
from practicum.agents.backends.spec import BackendSpec, parse_spec
from practicum.errors import BackendError
from practicum.records import STUDENT, TEACHER

HUMAN = "human"
PROGRAM_KEY = "program"
ROLE_OPTION_KEYS = (PROGRAM_KEY, "gate", "state", "best_of", "sentences")  # options of the role, split off before the backend sees the spec
SCRIPTED_OPTION_KEYS = ("delay", "vary") + ROLE_OPTION_KEYS
NO_ADAPTER = "none"
NO_PROGRAM = "none"
# The student's gate on a backend that samples candidates in one batch (the local model): two keep a gated reply
# within 1.5x of an ungated one on a CPU (benchmarks/bench_student.py; four took 1.9x).
STUDENT_CANDIDATES = 2
# The teacher's best-of-n on the local model (agents/best_of.py): candidates sampled in one batch, the judge keeps
# the best. 0 keeps one sample per turn.
TEACHER_BEST_OF = 0
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

BackendFactory = Callable[[str], ChatBackend]  # backend spec text -> backend (tests inject scripted ones)


@dataclass(frozen=True)
class AgentSpec:
    """One side of a session as the user named it: a backend and a role program, or a human."""

    text: str  # as given; stored on the session row (teacher_spec / student_spec)
    backend: BackendSpec | None = None  # None for a human
    program: str = ""  # `program=` value: a tuning run id or a JSON file; '' for the role's own prompt
    gate: int | None = None  # `gate=`: candidates per turn (0: gate off); None: DEFAULT_GATE
    state: bool = True  # `state=off`: the student runs without its knowledge-state directive
    best_of: int | None = None  # `best_of=`: candidates ranked by the judge per turn (1: off); None: the role's default
    # `sentences=`: stop each reply after this many sentences (sentence_stop.py); None: the options' own budget
    # (the student's default: 1); 0: `sentences=off`, no budget
    sentences: int | None = None

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
    backend_text, options = _split_role_options(spec)
    return AgentSpec(spec, parse_spec(backend_text), options.get(PROGRAM_KEY, ""), _gate(options.get("gate"), spec),
                     _state(options.get("state"), spec), _best_of(options.get("best_of"), spec),
                     _sentences(options.get("sentences"), spec))


OFF_WORDS = ("off", "no", "false")


def _count_option(value: str | None, spec: str, key: str, low: int, high: int, off, what: str):
    """A `key=N` role option: None when absent, `off` for off/no/false, else N in [low, high]; BackendError otherwise."""
    if value is None:
        return None
    if value.lower() in OFF_WORDS:
        return off
    if not value.isdigit() or not low <= int(value) <= high:
        raise BackendError(f"spec '{spec}': {key}= takes a number of {what} from {low} to {high}, or 'off'")
    return int(value)


def _best_of(value: str | None, spec: str) -> int | None:
    return _count_option(value, spec, "best_of", 1, 16, 1, "candidates")


def _sentences(value: str | None, spec: str) -> int | None:
    return _count_option(value, spec, "sentences", 1, 8, 0, "sentences")


def _gate(value: str | None, spec: str) -> int | None:
    return _count_option(value, spec, "gate", 0, 16, 0, "candidates")


def _state(value: str | None, spec: str) -> bool:
    if value is None or value.lower() in ("on", "yes", "true"):
        return True
    if value.lower() in OFF_WORDS:
        return False
    raise BackendError(f"spec '{spec}': state= is 'on' or 'off'")


def _split_program(spec: str) -> tuple[str, str]:
    """(`local:adapter=3`, `7`) from `local:adapter=3,program=7`; the spec unchanged when it names no program."""
    backend, options = _split_role_options(spec)
    return backend, options.get(PROGRAM_KEY, "")


def _split_role_options(spec: str) -> tuple[str, dict[str, str]]:
    """(`local:adapter=3`, {program: 7, gate: 4}) from `local:adapter=3,program=7,gate=4`; unchanged without any."""
    kind, sep, rest = spec.partition(":")
    if not sep:
        return spec, {}
    if kind == "openai":
        model, comma, options = rest.partition(",")
        head, parts = f"{kind}:{model}", options.split(",") if comma else []
    else:
        head, parts = f"{kind}:", rest.split(",")
        if kind == "scripted" and not all(p.partition("=")[0].strip() in SCRIPTED_OPTION_KEYS and "=" in p
                                          for p in parts):
            return spec, {}  # a reply list (`scripted:A|B`), where `program=` is just text
    options, kept = {}, []
    for part in parts:
        key, eq, value = part.strip().partition("=")
        if key in ROLE_OPTION_KEYS and eq:
            if not value.strip():
                what = "a tuning run id or a program file" if key == PROGRAM_KEY else "a value"
                raise BackendError(f"spec '{spec}': {key}= needs {what}")
            options[key] = value.strip()
        else:
            kept.append(part)
    if not options:
        return spec, {}
    if kind == "openai":
        return head + "".join("," + p for p in kept), options
    return (head + ",".join(kept)) if kept else kind, options


def new_role(role: str):
    """A fresh Teacher or Student module (imports DSPy)."""
    from practicum.agents.roles import Student, Teacher

    if role not in (TEACHER, STUDENT):
        raise ValueError(f"role must be '{TEACHER}' or '{STUDENT}', got {role!r}")
    return Teacher() if role == TEACHER else Student()


class SpeakerBuilder:
    """Builds ready speakers from agent specs, one backend per backend spec, run ids looked up in `store`."""

    def __init__(self, store, make_backend: BackendFactory | None = None, make_ranker=None):
        """`make_backend(backend_spec_text)` overrides how backends are built (default: the spec's own);
        `make_ranker(role)` gives the ranker `best_of=` uses (agents/best_of.py; the CLI passes the judge's)."""
        self.store = store
        self._make_backend = make_backend
        self._make_ranker = make_ranker
        self._rankers: dict[str, object] = {}
        self.backends: dict[str, ChatBackend] = {}

    def backend(self, spec: str | AgentSpec, role: str | None = None) -> ChatBackend:
        """The backend an agent spec names (with `role`'s default adapter on `local`), built once and shared."""
        parsed = parse_agent_spec(spec)
        if parsed.is_human:
            raise BackendError("a human side has no backend")
        backend_spec = role_backend_spec(parsed.backend, role)
        key = backend_spec.text
        if key not in self.backends:
            if self._make_backend is not None:
                self.backends[key] = self._make_backend(key)
            else:
                from practicum.agents.backends.spec import make_backend

                self.backends[key] = make_backend(backend_spec, self.store)
        return self.backends[key]

    def role(self, role: str, spec: str | AgentSpec):
        """The role module for `role`, with the spec's compiled program loaded when it names one (a `local` role
        without `program=` gets its packaged program, when one ships; `program=none` keeps the role's own prompt)."""
        parsed = parse_agent_spec(spec)
        module = new_role(role)
        program = parsed.program
        if not program and parsed.backend is not None:
            path = default_program_path(role, parsed.backend)
            program = str(path) if path is not None else ""
        if program and program.lower() != NO_PROGRAM:
            from practicum.agents.programs import load_role_program

            load_role_program(module, program, self.store)
        if not parsed.state and hasattr(module, "knowledge_state"):
            module.knowledge_state = False
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
        backend = self.backend(parsed, role)
        gate = parsed.gate if parsed.gate is not None else default_gate(backend, role)
        best_of = parsed.best_of if parsed.best_of is not None else default_best_of(backend, role, self._make_ranker)
        ranker = self.ranker(role, parsed.text) if best_of > 1 else None
        if parsed.sentences is not None:
            options = (options or GenerationOptions()).model_copy(update={"max_sentences": parsed.sentences or None})
        return AgentSpeaker(module, backend, options, spec=parsed.text, gate=gate, best_of=best_of, ranker=ranker)

    def ranker(self, role: str, spec: str = ""):
        """The ranker best-of-n uses for `role`, built once; BackendError when none was given to the builder."""
        if self._make_ranker is None:
            raise BackendError(f"spec '{spec}': best_of= needs a ranker (the judge); this caller gave the speaker "
                               "builder none")
        if role not in self._rankers:
            self._rankers[role] = self._make_ranker(role)
        return self._rankers[role]

    def close(self) -> None:
        """Close backends that hold resources (HTTP clients); best effort."""
        for backend in self.backends.values():
            close = getattr(backend, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # closing is best effort; everything worth keeping is stored
                    pass


def default_adapter_path(role: str | None) -> Path | None:
    """The packaged LoRA adapter a `local` backend applies for `role` (None: none ships for it)."""
    if role not in (TEACHER, STUDENT):
        return None
    from practicum.agents.roles import Student, Teacher

    name = (Teacher if role == TEACHER else Student).default_adapter
    path = ARTIFACTS / f"{name}_adapter" if name else None
    return path if path is not None and (path / "adapter_config.json").is_file() else None


def default_program_path(role: str | None, backend: BackendSpec) -> Path | None:
    """The packaged program a role loads on `backend` when its spec names none: only on the embedded `local` model
    it was compiled for (not with another `model=`)."""
    if role not in (TEACHER, STUDENT) or backend.kind != "local" or backend.options.get("model"):
        return None
    from practicum.agents.roles import Student, Teacher

    name = (Teacher if role == TEACHER else Student).default_program
    path = ARTIFACTS / f"{name}_program.json" if name else None
    return path if path is not None and path.is_file() else None


def role_backend_spec(spec: BackendSpec, role: str | None) -> BackendSpec:
    """The backend spec a role runs on: `local` gets the role's packaged adapter, `adapter=none` the raw model."""
    if spec.kind != "local":
        return spec
    adapter = spec.options.get("adapter")
    if adapter is not None and adapter.lower() == NO_ADAPTER:
        return _local({k: v for k, v in spec.options.items() if k != "adapter"})
    if adapter is not None or spec.options.get("model"):
        return spec  # an explicit adapter, or another base model than the one the packaged adapters were trained on
    path = default_adapter_path(role)
    if path is None:
        return spec
    # The text names the adapter, so a teacher and a student on `local` get two backends over one base model
    # (agents/backends/local.py keeps one base per model and dtype, with each adapter loaded beside it).
    return _local({**spec.options, "adapter": str(path)})


def _local(options: dict) -> BackendSpec:
    """A `local` backend spec whose text parses back to it (what an injected backend factory is given)."""
    text = "local" + (":" + ",".join(f"{k}={v}" for k, v in options.items()) if options else "")
    return BackendSpec("local", options=options, text=text)


def default_best_of(backend, role: str, make_ranker=None) -> int:
    """Candidates ranked by the judge per turn when the spec does not say: TEACHER_BEST_OF for a `local` teacher
    when a ranker is at hand, else none."""
    kind = str(getattr(backend, "spec", "")).partition(":")[0]
    if role == TEACHER and kind == "local" and make_ranker is not None and getattr(backend, "batches_in_one_pass", False):
        return TEACHER_BEST_OF
    return 0


def default_gate(backend, role: str) -> int:
    """Candidates per turn when the spec does not say: several where they share one batch, else one; 0 for scripted."""
    kind = str(getattr(backend, "spec", "")).partition(":")[0]
    if kind not in ("local", "openai"):
        return 0
    if role == STUDENT and getattr(backend, "batches_in_one_pass", False):
        return STUDENT_CANDIDATES
    return 1
