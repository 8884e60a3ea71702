"""What a tutoring session is about: the problem, its answer, and the simulated student."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class Traits(BaseModel):
    """Dispositions that shape how the student talks."""

    model_config = ConfigDict(extra="forbid")

    confidence: str = Field("medium", description="low | medium | high")
    motivation: str = Field("medium", description="low | medium | high")
    verbosity: str = Field("short", description="short | medium | long answers")


class StudentProfile(BaseModel):
    """Who the simulated student is and what they get wrong."""

    model_config = ConfigDict(extra="forbid")

    name: str
    grade: str
    persona: str = Field(description="one or two sentences on who the student is")
    knowledge_state: str = Field("", description="what the student already knows and does not")
    misconceptions: list[str] = Field(default_factory=list)
    incorrect_solution: str = Field("", description="the student's wrong attempt, if any")
    traits: Traits = Field(default_factory=Traits)
    learning_style: str = ""
    # Filled by the scenario generator so other code (e.g. a knowledge-state tracker) can read, as data,
    # which library misconception the student holds and what wrong answer it leads to.
    misconception_id: str = Field("", description="name in the misconception library "
                                  "(`practicum scenarios misconceptions`); empty for hand-written profiles")
    wrong_answer: str = Field("", description="the final answer of incorrect_solution")
    problem_family: str = Field("", description="the generator's problem family (math) or 'catalogue'")


class Scenario(BaseModel):
    """A problem to tutor, the correct answer, and the student profile."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    subject: str
    grade: str
    topic: str = ""
    objective: str = Field(description="what the teacher should help the student achieve")
    problem: str
    answer: str = Field(description="the final answer; numeric where possible")
    solution: str = Field("", description="worked solution, if known")
    student_profile: StudentProfile
    source: str = "builtin"

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError("must be lowercase letters, digits, '.', '_' or '-' (e.g. 'fractions-unlike-denominators')")
        return value

    @field_validator("title", "subject", "grade", "objective", "problem", "answer")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not str(value).strip():
            raise ValueError("must not be empty")
        return str(value).strip()
