"""The speaking roles, Teacher and Student, as DSPy modules: the optimizer tunes exactly what runs.

Each role's signature carries the role prompt as its instructions; the scenario becomes the
`situation` input and the conversation so far the `dialogue` input. `messages()` renders the
same prompt the DSPy call would send, so batched generation and DSPy share one definition.
Prompts are bounded (agents/prompt_budget.py): each scenario field is clipped here, and the
adapter shows the opening line and the last turns within PROMPT_MAX_TOKENS.
"""

from __future__ import annotations

import hashlib
import json
import re

import dspy

from practicum.agents.dspy_bridge import PlainChatAdapter
from practicum.agents.prompt_budget import clip_field
from practicum.records import STUDENT, TEACHER, Turn
from practicum.scenarios.model import Scenario

END_MARKER = "[END]"
MAX_REPLY_CHARS = 600
MAX_SENTENCES = 3


class TeacherTurn(dspy.Signature):
    """You are a patient teacher tutoring one student. Do not tell the student the answer.
    Ask one short question that helps the student find their own mistake.
    Reply in one or two sentences. When the student gives the correct answer, praise them and write [END]."""

    situation: str = dspy.InputField(desc="the problem, its answer, and what the student tried")
    dialogue: list[dict] = dspy.InputField(desc="the conversation so far: [{'role', 'text'}]")
    reply: str = dspy.OutputField(desc="the teacher's next message")


class StudentTurn(dspy.Signature):
    """You are the student described below, talking with your teacher.
    You believe your own answer and reason the way you always do; you are not sure about this topic.
    Reply in one short sentence, in your own words. Do not solve the problem."""

    situation: str = dspy.InputField(desc="who the student is, what they believe, and the problem")
    dialogue: list[dict] = dspy.InputField(desc="the conversation so far: [{'role', 'text'}]")
    reply: str = dspy.OutputField(desc="the student's next message")


def teacher_situation(scenario: Scenario) -> str:
    """Describe the scenario from the teacher's side (the teacher knows the answer)."""
    p = scenario.student_profile
    lines = [
        clip_field(f"Student: {p.name}, grade {p.grade}. Subject: {scenario.subject}.", "line"),
        f"Goal: {clip_field(scenario.objective, 'objective')}",
        f"Problem: {clip_field(scenario.problem, 'problem')}",
        f"Correct answer: {clip_field(scenario.answer, 'answer')}",
    ]
    if p.incorrect_solution:
        lines.append(f"The student's attempt: {clip_field(p.incorrect_solution, 'attempt')}")
    return "\n".join(lines)


def student_situation(scenario: Scenario) -> str:
    """Describe the scenario from the student's side (the student does not know the answer)."""
    p = scenario.student_profile
    t = p.traits
    lines = [f"{clip_field(f'You are {p.name}, a grade {p.grade} student.', 'line')} "
             f"{clip_field(p.persona, 'persona')}".strip()]
    if p.knowledge_state:
        lines.append(f"What you know: {clip_field(p.knowledge_state, 'knowledge')}")
    if p.misconceptions:
        lines.append("What you believe: " + clip_field(" ".join(p.misconceptions), "misconceptions"))
    lines.append(clip_field(f"Confidence: {t.confidence}. Motivation: {t.motivation}. Answers: {t.verbosity}.", "line"))
    lines.append(f"Problem: {clip_field(scenario.problem, 'problem')}")
    if p.incorrect_solution:
        lines.append(f"Your attempt: {clip_field(p.incorrect_solution, 'attempt')}")
    return "\n".join(lines)


_SPEAKER_LABEL = re.compile(r"^\s*(teacher|student|tutor|assistant|user|me|you)\s*:\s*", re.IGNORECASE)
_OTHER_SPEAKER = re.compile(r"\n\s*(teacher|student|tutor|assistant|user)\s*:|\s(teacher|student|tutor)\s*:\s", re.I)


def clean_reply(text: str, name: str = "") -> str:
    """Strip speaker labels and anything after the model starts writing the other side's lines."""
    text = text.strip()
    if name:
        text = re.sub(rf"^\s*{re.escape(name)}\s*:\s*", "", text)
    text = _SPEAKER_LABEL.sub("", text)
    match = _OTHER_SPEAKER.search(text)
    if match:
        text = text[: match.start()]
    text = text.replace("\ufffd", "")
    text = re.sub(r"\s+", " ", text).strip().strip('"').strip()
    sentences = re.split(r"(?<=[.!?])\s+", text)
    if len(sentences) > MAX_SENTENCES:
        text = " ".join(sentences[:MAX_SENTENCES])
    if len(text) > MAX_REPLY_CHARS:
        cut = text[:MAX_REPLY_CHARS]
        end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
        text = cut[: end + 1] if end > 0 else cut
    return text


def opening_turn(scenario: Scenario) -> dict:
    """The student's attempt as the dialogue's first (prompt-only, never stored) student line."""
    attempt = clip_field(scenario.student_profile.incorrect_solution.strip(), "attempt")
    text = f"The problem is: {clip_field(scenario.problem, 'problem')}"
    text += f" My answer: {attempt}" if attempt else " I'm not sure how to start."
    return {"role": STUDENT, "text": text}


class Role(dspy.Module):
    """A speaker: one predictor whose signature holds the prompt; renders and cleans its own turns."""

    speaker = ""
    signature: type[dspy.Signature]
    default_adapter: str | None = None  # name of the packaged LoRA adapter a `local` backend applies for this role
    default_program: str | None = None  # name of the packaged program (agents/artifacts/<name>_program.json) a
    # `local` role loads when its spec names none (`program=none`: the role's own prompt)

    def __init__(self):
        """Create the role's predictor."""
        super().__init__()
        self.respond = dspy.Predict(self.signature)

    def situation(self, scenario: Scenario) -> str:
        """Render the scenario for this role."""
        raise NotImplementedError

    def inputs(self, scenario: Scenario, history: list[Turn]) -> dict:
        """The predictor's inputs for the next turn.

        The student's written attempt opens the dialogue as the student's own words, as in MathDial
        where the teacher starts from the student's solution: it grounds a small model in the problem.
        """
        dialogue = [{"role": t.role, "text": t.text} for t in history]
        return {"situation": self.situation(scenario), "dialogue": [opening_turn(scenario)] + dialogue}

    def messages(self, scenario: Scenario, history: list[Turn]) -> list[dict]:
        """The chat messages the next turn sends: identical to what `forward` sends through DSPy."""
        return PlainChatAdapter(self.speaker).format(
            self.respond.signature, self.respond.demos, self.inputs(scenario, history)
        )

    def forward(self, situation: str, dialogue: list[dict]) -> dspy.Prediction:
        """Run the predictor through the plain chat adapter with the configured dspy LM."""
        with dspy.context(adapter=PlainChatAdapter(self.speaker)):
            return self.respond(situation=situation, dialogue=dialogue)

    def clean(self, text: str, scenario: Scenario) -> str:
        """Turn a raw completion into this role's utterance."""
        name = scenario.student_profile.name if self.speaker == STUDENT else ""
        return clean_reply(text, name)

    def version(self) -> str:
        """Short hash of the instructions and demos: which program produced a turn."""
        state = {
            "instructions": self.respond.signature.instructions,
            "demos": [dict(d) if hasattr(d, "items") else str(d) for d in self.respond.demos],
        }
        return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()[:12]

    def describe(self) -> dict:
        """Version and prompt text, stored with each session so it can be explained later."""
        return {
            "version": self.version(),
            "instructions": self.respond.signature.instructions,
            "n_demos": len(self.respond.demos),
        }


class Teacher(Role):
    """The tutor: guides without telling."""

    speaker = TEACHER
    signature = TeacherTurn
    default_adapter = "teacher"  # the packaged LoRA adapter a `local` teacher runs with (agents/artifacts/)

    def situation(self, scenario: Scenario) -> str:
        """Render the scenario for the teacher."""
        return teacher_situation(scenario)


class Student(Role):
    """The simulated student: keeps the profile's misconception until guided out of it.

    Its prompt carries a short directive from its tracked knowledge state (agents/student_state.py)
    as the `state` input; `knowledge_state = False` leaves the profile alone (the raw baseline).
    """

    speaker = STUDENT
    signature = StudentTurn
    knowledge_state = True
    default_adapter = "student"  # the packaged LoRA adapter a `local` student runs with (agents/artifacts/)

    def situation(self, scenario: Scenario) -> str:
        """Render the scenario for the student."""
        return student_situation(scenario)

    def knowledge_state_for(self, scenario: Scenario, history: list[Turn]):
        """The tracked state before the next turn (None when the state is off)."""
        if not self.knowledge_state:
            return None
        from practicum.agents.student_state import track

        return track(scenario, history)

    def sentence_budget(self, scenario: Scenario, history: list[Turn], limit: int | None) -> int | None:
        """Sentences the next reply may have: `limit`, one more once the tracked state lets it say the answer."""
        from practicum.agents.student_state import UNDERSTOOD

        state = self.knowledge_state_for(scenario, history) if limit else None
        if state is not None and state.stage == UNDERSTOOD:
            return limit + 1
        return limit

    def inputs(self, scenario: Scenario, history: list[Turn]) -> dict:
        """The role's inputs plus `state`: the knowledge-state directive for this turn."""
        inputs = super().inputs(scenario, history)
        if self.knowledge_state:
            from practicum.agents.student_state import student_directive

            inputs["state"] = student_directive(scenario, history)[0]
        return inputs
