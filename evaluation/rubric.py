"""Rating rubrics: which dimensions a reviewer scores for teacher turns, student turns and sessions.

The default teacher dimensions follow the pedagogical-ability taxonomy of Maurya et al. (NAACL
2025, "Unifying AI Tutor Evaluation"): mistake identification, guidance without revealing the
answer, actionability, coherence and tone. A rubric file (YAML or JSON) replaces them:

    teacher:
      - name: mistake_identification
        label: Mistake identification
        help: Does the teacher notice the student's mistake?
        low: 1
        high: 5
    student:
      - {name: realism, label: Realism}
    session:
      - {name: overall, label: Overall}

Scores are single digits so that one key press sets one score.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from practicum.errors import InputError
from practicum.storage.rating_queries import COMMENT


class Dimension(BaseModel):
    """One thing a rater scores, on a scale of single digits."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="stored in ratings.dimension")
    label: str = ""
    help: str = ""
    low: int = Field(1, ge=0, le=9)
    high: int = Field(5, ge=1, le=9)

    @model_validator(mode="after")
    def _check(self) -> "Dimension":
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.name == COMMENT:
            raise ValueError(f"'{COMMENT}' is reserved for free-text comments")
        if not self.label:
            self.label = self.name.replace("_", " ").capitalize()
        return self


class Rubric(BaseModel):
    """The dimensions for each kind of rated item."""

    model_config = ConfigDict(extra="forbid")

    teacher: list[Dimension] = Field(default_factory=list)
    student: list[Dimension] = Field(default_factory=list)
    session: list[Dimension] = Field(default_factory=list)

    def for_role(self, role: str | None) -> list[Dimension]:
        """Dimensions for a 'teacher' or 'student' turn, or for the session (role None)."""
        return {"teacher": self.teacher, "student": self.student}.get(role, self.session) if role else self.session

    def scales(self) -> dict[str, list[int]]:
        """Each dimension's ordered score scale (low..high): what agreement statistics compare on."""
        return {d.name: list(range(d.low, d.high + 1)) for d in self.teacher + self.student + self.session}


DEFAULT_RUBRIC = Rubric(
    teacher=[
        Dimension(name="mistake_identification", label="Mistake identification",
                  help="Does the teacher notice and point at the student's mistake?"),
        Dimension(name="guidance", label="Guidance, answer kept back",
                  help="Does it move the student forward without giving the answer away?"),
        Dimension(name="actionability", label="Actionability",
                  help="Is it clear what the student should do next?"),
        Dimension(name="coherence", label="Coherence",
                  help="Does it follow from what the student just said?"),
        Dimension(name="encouraging_tone", label="Encouraging tone",
                  help="Is it supportive and respectful?"),
    ],
    student=[
        Dimension(name="realism", label="Realism",
                  help="Does this sound like the profiled student, keeping the misconception plausibly?"),
    ],
    session=[Dimension(name="overall", label="Overall", help="How good was this session as tutoring?")],
)


def load_rubric(path: str | Path) -> Rubric:
    """Read a rubric from a YAML or JSON file; InputError names the file and the bad field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read rubric ({exc.strerror})") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise InputError(f"{path}: {where}not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a rubric is a mapping with keys teacher, student, session")
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: {where}: {first['msg']}") from None
    if not (rubric.teacher or rubric.student or rubric.session):
        raise InputError(f"{path}: the rubric has no dimensions")
    return rubric
