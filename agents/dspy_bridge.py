"""Run DSPy programs through practicum backends with plain chat messages.

A 135M model cannot follow DSPy's field-marker formats (ChatAdapter parsed 0 of 5 replies),
so `PlainChatAdapter` renders a one-output signature as ordinary chat: the instructions and
the situation as the system message, demos as user/assistant pairs, the dialogue from the
speaker's point of view, and takes the whole completion as the output field. `BackendEngine`
is the DSPy 3.4 custom-engine contract (`complete(Request) -> Response`) over a ChatBackend.
"""

from __future__ import annotations

from typing import Any

import dspy
from dspy.lm15 import Message, Response, TextPart, Usage, response_to_events

from practicum.agents.backends.base import ChatBackend, GenerationOptions

OPENING_CUE = "(The session starts now. Say your first line.)"
CONTINUE_CUE = "(Continue.)"


def dialogue_messages(speaker: str, dialogue: list[dict]) -> list[dict]:
    """Map dialogue turns ({'role': 'teacher'|'student', 'text'}) to chat roles from `speaker`'s side."""
    messages = []
    for turn in dialogue:
        role = "assistant" if turn["role"] == speaker else "user"
        messages.append({"role": role, "content": turn["text"]})
    if not messages:
        messages.append({"role": "user", "content": OPENING_CUE})
    elif messages[-1]["role"] == "assistant":
        messages.append({"role": "user", "content": CONTINUE_CUE})
    return messages


class PlainChatAdapter(dspy.Adapter):
    """Signature (inputs `situation`, `dialogue`; one output) <-> plain chat messages for `speaker`."""

    def __init__(self, speaker: str):
        """Render prompts from the point of view of `speaker` ('teacher' or 'student')."""
        super().__init__()
        self.speaker = speaker

    def format(self, signature, demos: list[dict[str, Any]], inputs: dict[str, Any]) -> list[dict[str, Any]]:
        """Return chat messages: system (instructions + situation), demo pairs, then the dialogue or request.

        A dialogue prompt is bounded: last turns, a summary line, clipped pieces (agents/prompt_budget.py).
        """
        if "dialogue" not in signature.input_fields:
            return self._format_request(signature, demos, inputs)
        from practicum.agents.prompt_budget import fit_prompt

        return fit_prompt(self._format_dialogue, signature, demos, inputs)

    def _format_dialogue(self, signature, demos: list[dict[str, Any]], inputs: dict[str, Any]) -> list[dict[str, Any]]:
        """The dialogue prompt as given, unbounded."""
        system = signature.instructions.strip()
        if inputs.get("situation"):
            system += "\n\n" + str(inputs["situation"]).strip()
        state = str(inputs.get("state") or "").strip()  # the student's knowledge-state directive (student_state.py)
        if state and state not in system:
            system += "\n" + state
        messages = [{"role": "system", "content": system}]
        output = next(iter(signature.output_fields))
        for demo in demos:
            if output not in demo:
                continue
            dialogue = demo.get("dialogue") or []
            partner = next((t["text"] for t in reversed(dialogue) if t["role"] != self.speaker), OPENING_CUE)
            messages.append({"role": "user", "content": partner})
            messages.append({"role": "assistant", "content": str(demo[output])})
        messages.extend(dialogue_messages(self.speaker, list(inputs.get("dialogue") or [])))
        return messages

    @staticmethod
    def _render_inputs(signature, values: dict[str, Any]) -> str:
        names = [n for n in signature.input_fields if values.get(n) not in (None, "")]
        if len(names) == 1:
            return str(values[names[0]])
        return "\n".join(f"{n.replace('_', ' ').capitalize()}: {values[n]}" for n in names)

    def _format_request(self, signature, demos, inputs) -> list[dict[str, Any]]:
        """A signature without a dialogue: instructions as system, each demo and the inputs as user turns."""
        output = next(iter(signature.output_fields))
        messages = [{"role": "system", "content": signature.instructions.strip()}]
        for demo in demos:
            if output in demo:
                messages.append({"role": "user", "content": self._render_inputs(signature, dict(demo))})
                messages.append({"role": "assistant", "content": str(demo[output])})
        messages.append({"role": "user", "content": self._render_inputs(signature, inputs)})
        return messages

    def parse(self, signature, completion: str) -> dict[str, Any]:
        """The whole completion is the single output field."""
        return {next(iter(signature.output_fields)): completion}


class BackendEngine:
    """DSPy engine that sends each request to a practicum ChatBackend."""

    def __init__(self, backend: ChatBackend, options: GenerationOptions | None = None):
        """Wrap `backend`; `options` are defaults that a request's config overrides."""
        self.backend = backend
        self.options = options or GenerationOptions()

    def complete(self, request) -> Response:
        """Answer one canonical DSPy request."""
        messages = []
        if request.system is not None:
            system = request.system if isinstance(request.system, str) else "".join(p.text for p in request.system)
            messages.append({"role": "system", "content": system})
        messages.extend({"role": m.role, "content": m.text or ""} for m in request.messages)
        config = request.config
        updates = {
            key: getattr(config, key)
            for key in ("max_tokens", "temperature", "top_p", "seed")
            if getattr(config, key, None) is not None
        }
        if config.stop:
            updates["stop"] = list(config.stop)
        completion = self.backend.complete(messages, self.options.model_copy(update=updates))
        return Response(
            id=None,
            model=completion.model or self.backend.spec,
            message=Message.assistant([TextPart(completion.text)]),
            finish_reason="stop",
            usage=Usage(
                input_tokens=completion.usage.prompt_tokens, output_tokens=completion.usage.completion_tokens
            ),
        )

    def stream(self, request):
        """Stream a completed response as events (backends here do not stream)."""
        return response_to_events(self.complete(request))

    def close(self) -> None:
        """Nothing to release."""


def dspy_lm(backend: ChatBackend, options: GenerationOptions | None = None) -> dspy.LM:
    """Return a dspy.LM whose calls go through `backend` (no DSPy cache, so seeds and tuning see real calls)."""
    return dspy.LM(f"practicum/{backend.spec}", engine=BackendEngine(backend, options), cache=False)
