"""The fidelity gate: check sampled replies for the defects a small model makes, keep the best, say why.

The student samples k candidates in one batch; each is cut back to its last finished sentence and
checked; of the clean ones the gate keeps the first that does what the knowledge state says (stuck:
it repeats its wrong answer; told the answer or guided through the mistake: it says the answer),
else the first clean one. The defect classes (each a documented rule set, so a
reviewer can see why a reply was refused):

- assistant_speak: the chat-assistant register no student or teacher uses with a learner
  ("glad I could help", "let me know", "feel free", "as an AI", "you're welcome", "happy to help",
  "great question", "I hope this helps", "any other questions", offering to explain or help);
- sign_off: "Happy learning!", "Good luck!", "Have a great day" (teacher);
- teacher_voice: a student talking like the tutor: "Let's ...", "Can you tell me ...?", "What do
  you think ...?", "Does that make sense?", praise such as "Good job" or "Well done";
- off_problem: no number of the problem, its solution, the attempt or the dialogue, no word shared
  with the problem or the last turns, and no reference to the work ("my answer", "this step",
  "I understand"); a short acknowledgement such as "Oh, I see." is fine;
- premature_answer: the student states the correct answer while its knowledge state has not
  reached `understood` (agents/student_state.py);
- praise_wrong: the teacher praises ("great", "correct", "well done", ...) right after the student
  stated a wrong answer;
- reveals_answer: the teacher states the correct answer before the student has said it (MathDial's
  human teachers do so in about 5% of dialogues; it takes the finding away from the student);
- unfinished: the reply stops mid-sentence and has no finished sentence to cut back to (a list marker
  such as "explanation: 1." is not a finished sentence);
- garbled: a run of 21+ letters (tokens run together);
- empty.

Assistant-speak and sign-off sentences are removed from a reply that has other sentences before
it is checked, and so are a teacher's praise sentences after a wrong answer and the sentences that
state the answer before the student has (repairs, recorded).
When every candidate is refused the least-bad one is kept if its only defect is mild (unfinished,
already cut back to a sentence end); otherwise a short in-character line built from the
knowledge state replaces it (`fallback` in the record), so the conversation never gets worse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from practicum.records import STUDENT, TEACHER
from practicum.scenarios.answers import extract_numbers, states_answer

ASSISTANT_SPEAK = re.compile(
    r"\b(glad (i|to) (could |can )?(help|assist)|happy to (help|assist|explain)|let me know|feel free|"
    r"as an ai|language model|you'?re (very )?welcome|you are (very )?welcome|great question|good question|"
    r"i hope (this|that|it|my explanation) (helps|helped|clarifies|was helpful)|hope (this|that) helps|"
    r"any (other |more |further )?questions|anything else|how (can|may) i (help|assist)|"
    r"(would|do) you (like|want) me to (explain|help|elaborate|clarify|walk|show|go)|"
    r"i('d| would) be (happy|glad) to|i can (help you|explain (it|this|that) to you|walk you through)|"
    r"don'?t hesitate|assist you|i'?m here to help|here to help you|clarify things|if you need (any )?(more )?help|"
    r"thank you (so much )?for (all )?your (support|help|time|patience)|enjoy(ing)? (a|your) great|"
    r"sorry for (any|the) confusion|here('s| is) (my|a|the) step|"
    r"step-by-step (explanation|process|guide|breakdown|solution)|"
    # added after reading replayed adapter students; none of these occur in MathDial's 1,711 student turns
    r"glad (i|to) (could |can |was able to )?(clarify|share|explain|help|assist)|glad (i|to) explain(ed)?|"
    r"glad you('re| are)|i('d| would) recommend|no worries|let me (show|give|explain|walk|rephrase|clarify|break)|"
    r"rephrase|clarify (it|that|this|things) for you|i'?ll make sure to be|^\s*(absolutely|certainly)\b|"
    # added after reading the loop's held-out sessions (2026-12-03)
    r"glad (my|the|our) (explanation|answer|response)|clarified things|make things easier for you)\b",
    re.I | re.M)
SIGN_OFF = re.compile(r"\b(happy (learning|studying|solving|math(ing)?)|good luck|have a (great|good|nice) "
                      r"(day|time|one)|keep up the (great|good) work|see you (next time|soon))\b", re.I)
TEACHER_VOICE = re.compile(
    r"(^|[.!?]\s+)(let'?s\b|can you (tell|explain to|show) me\b[^.!?]*\?|could you (tell|show) me\b[^.!?]*\?|"
    r"what do you think\b|do you (understand|see why|remember)\b[^.!?]*\?|does (that|this) make sense|"
    r"(good|great|nice) (job|work|thinking)\b|well done\b|excellent\b[!.]|remember (that|to)\b|try to\b)", re.I)
PRAISE = re.compile(r"\b(great|excellent|correct|well done|good job|nice work|perfect|exactly|that'?s right|"
                    r"brilliant|awesome|fantastic|spot on|you(?:'ve| have)? got it|got it right|you'?re right|you are right)\b", re.I)
ACKNOWLEDGEMENT = re.compile(r"\b(ok|okay|yes|yeah|no|right|oh|sure|thanks|thank you|i see|i understand|i think|"
                             r"i'?m not sure|i don'?t know|got it|makes sense|hmm|um)\b", re.I)
CONVERSATION = re.compile(r"\b(my|the|this|your|that) (answer|solution|problem|work|working|method|mistake|"
                          r"equation|step|question|calculation)s?\b|\b(understand|makes? sense)\b", re.I)
GARBLED = re.compile(r"[^\W\d_]{21,}")  # a "word" of 21+ letters: tokens run together ("legsobelegsleft...")
_ENUMERATOR_END = re.compile(r"(^|[:\n]|[.!?]\s)\s*\d{1,2}\.$")  # "... explanation: 1." ends at a list marker
_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*$")
_WORD = re.compile(r"[a-z]{4,}")
_COMMON = frozenset("that with from were have does could would should will what which when then than there here "
                    "they them their your yours this these those about into over just very also some more most much "
                    "many only like love think know mean really because maybe sure okay yeah well good great nice "
                    "right wrong answer question problem thing things something anything everything make made "
                    "need want tell said says going doing done been being each other same again still even".split())

# Off-problem is severe: a student who drifts to "How have you been lately?" is no practice partner, and
# the in-character fallback line is better. (MathDial's real student turns are all on-problem by this rule.)
SEVERE = ("empty", "premature_answer", "assistant_speak", "teacher_voice", "sign_off", "praise_wrong", "garbled",
          "off_problem", "reveals_answer")
MILD = ("unfinished",)


@dataclass
class Checked:
    """One candidate after the gate: its (repaired) text and its defects."""

    text: str
    defects: list[str] = field(default_factory=list)
    repaired: bool = False

    @property
    def clean(self) -> bool:
        """True when no rule refused it."""
        return not self.defects


@dataclass
class GateResult:
    """What the gate kept and what it refused (stored as turn metadata 'gate')."""

    text: str
    index: int  # which candidate was kept (-1: the fallback line)
    candidates: list[Checked]
    fallback: bool = False

    def as_metadata(self) -> dict:
        """{candidates, kept, rejected: [{index, defects}], repaired, fallback}."""
        return {
            "candidates": len(self.candidates), "kept": self.index, "fallback": self.fallback,
            "rejected": [{"index": i, "defects": c.defects} for i, c in enumerate(self.candidates) if c.defects],
            "repaired": [i for i, c in enumerate(self.candidates) if c.repaired],
        }


def sentences(text: str) -> list[str]:
    """Split text into sentences (keeping their end punctuation)."""
    return [s for s in re.split(r"(?<=[.!?…])[\"')\]]*\s+", (text or "").strip()) if s.strip()]


def end_at_sentence(text: str) -> tuple[str, bool]:
    """Cut a reply back to its last finished sentence; (text, finished). Unchanged when nothing is finished."""
    text = (text or "").strip()
    if not text or _SENTENCE_END.search(text):
        return text, bool(text)
    for match in reversed(list(re.finditer(r"[.!?…][\"')\]]*(?=\s)", text))):
        cut = text[: match.end()].strip()
        if not _ENUMERATOR_END.search(cut):
            return cut, True
    return text, False


def is_assistant_speak(text: str) -> bool:
    """True when the text uses the chat-assistant register (ASSISTANT_SPEAK rules)."""
    return bool(ASSISTANT_SPEAK.search(text or ""))


def is_teacher_voice(text: str) -> bool:
    """True when a student's reply talks like the tutor (TEACHER_VOICE rules)."""
    return bool(TEACHER_VOICE.search((text or "").strip()))


def is_on_problem(text: str, scenario, history: list | None = None) -> bool:
    """True when the reply names a number or a word of the problem or the recent dialogue, or acknowledges it."""
    history = history or []
    context = [scenario.problem, scenario.solution or "", scenario.student_profile.incorrect_solution or ""]
    context += [_text(t) for t in history[-3:]]
    numbers = {round(v, 6) for v in extract_numbers(text or "")}
    if numbers & {round(v, 6) for part in context for v in extract_numbers(part)}:
        return True
    words = set(_WORD.findall((text or "").lower())) - _COMMON
    known = set()
    for part in [scenario.problem] + [_text(t) for t in history[-3:]]:
        known |= set(_WORD.findall(part.lower()))
    if words & known or CONVERSATION.search(text or ""):
        return True
    return len((text or "").split()) <= 8 and bool(ACKNOWLEDGEMENT.search(text or ""))


def praises_wrong_answer(text: str, scenario, history: list | None) -> bool:
    """True when a teacher reply praises while the student's last turn states a wrong answer. Before the student
    has spoken, their written attempt (the dialogue's opening line) is their last word."""
    attempt = scenario.student_profile.incorrect_solution or ""
    last = next((_text(t) for t in reversed(history or []) if _role(t) == STUDENT), attempt)
    if not last or states_answer(last, scenario.answer):
        return False
    from practicum.agents.student_state import StudentFacts

    wrong = StudentFacts.of(scenario).wrong_answer
    return bool(wrong) and states_answer(last, wrong) and bool(PRAISE.search(text or ""))


def reveals_answer(text: str, scenario, history: list | None) -> bool:
    """True when a teacher reply states the correct answer and no student turn so far has."""
    answer = (scenario.answer or "").strip()
    if not answer or not states_answer(text or "", answer):
        return False
    return not any(_role(t) == STUDENT and states_answer(_text(t), answer) for t in history or [])


def _repair(text: str) -> tuple[str, bool]:
    """Drop assistant-speak and sign-off sentences when other sentences remain."""
    parts = sentences(text)
    kept = [s for s in parts if not (ASSISTANT_SPEAK.search(s) or SIGN_OFF.search(s))]
    if kept and len(kept) < len(parts):
        return " ".join(kept), True
    return text, False


def check(text: str, role: str, scenario, history: list | None = None, state=None) -> Checked:
    """Repair and check one candidate reply for `role`; `state` is the student's KnowledgeState."""
    repaired_text, repaired = _repair((text or "").strip())
    cut, finished = end_at_sentence(repaired_text)
    out = Checked(cut, [], repaired)
    if not cut:
        out.defects.append("empty")
        return out
    if is_assistant_speak(cut):
        out.defects.append("assistant_speak")
    if SIGN_OFF.search(cut):
        out.defects.append("sign_off")
    if GARBLED.search(cut):
        out.defects.append("garbled")
    if role == STUDENT:
        if is_teacher_voice(cut):
            out.defects.append("teacher_voice")
        if state is not None and state.stage != "understood" and states_answer(cut, scenario.answer):
            out.defects.append("premature_answer")
        if not is_on_problem(cut, scenario, history):
            out.defects.append("off_problem")
    elif role == TEACHER:
        if praises_wrong_answer(cut, scenario, history):
            kept = [x for x in sentences(cut) if not PRAISE.search(x)]
            if kept:  # "Great job! How many did she use?" -> "How many did she use?"
                out.text, out.repaired = " ".join(kept), True
            else:
                out.defects.append("praise_wrong")
        if reveals_answer(out.text, scenario, history):
            kept = [x for x in sentences(out.text) if not states_answer(x, scenario.answer)]
            if kept:  # "So it is 10 spoons. Why did you subtract the 3?" -> "Why did you subtract the 3?"
                out.text, out.repaired = " ".join(kept), True
            else:
                out.defects.append("reveals_answer")
    if not finished:
        out.defects.append("unfinished")
    return out


def choose(candidates: list[str], role: str, scenario, history: list | None = None, state=None) -> GateResult:
    """Keep the best clean candidate (one that does what the state says, else the first); else the least-bad mild
    one; else a fallback line."""
    checked = [check(c, role, scenario, history, state) for c in candidates]
    clean = [i for i, c in enumerate(checked) if c.clean]
    if clean:
        i = next((i for i in clean if follows_state(checked[i].text, scenario, state)), clean[0])
        return GateResult(checked[i].text, i, checked)
    mild = [(len(c.defects), i) for i, c in enumerate(checked) if not set(c.defects) & set(SEVERE)]
    if mild:
        i = min(mild)[1]
        return GateResult(checked[i].text, i, checked)
    line = fallback_line(role, scenario, state)
    if line:
        return GateResult(line, -1, checked, fallback=True)
    i = min((len(c.defects), i) for i, c in enumerate(checked))[1]  # a teacher without a state: least bad
    return GateResult(checked[i].text, i, checked)


def follows_state(text: str, scenario, state) -> bool:
    """True when a student reply does what its state asks: stuck, it repeats its wrong answer; told the answer or
    guided through the mistake, it says the answer. (After the student found the answer itself, anything goes.)"""
    if state is None:
        return False
    from practicum.agents.student_state import StudentFacts

    facts = StudentFacts.of(scenario)
    if state.stage == "stuck":
        return bool(facts.wrong_answer) and states_answer(text, facts.wrong_answer)
    if state.stage == "understood" and not state.reason.startswith("you said"):
        return states_answer(text, scenario.answer)
    return False


def fallback_line(role: str, scenario, state=None) -> str:
    """A short in-character student line from the knowledge state ('' for the teacher)."""
    if role != STUDENT:
        return ""
    from practicum.agents.student_state import StudentFacts

    facts = StudentFacts.of(scenario)
    stage = getattr(state, "stage", "stuck")
    if stage == "understood":
        return f"So the answer is {facts.answer}."
    if stage == "partial":
        return "I'm not sure anymore. I think I made a mistake in one of the steps."
    if facts.wrong_answer:
        return f"I still think the answer is {facts.wrong_answer}."
    return "I'm not sure how to do this part."


def _role(turn) -> str:
    return turn["role"] if isinstance(turn, dict) else turn.role


def _text(turn) -> str:
    return (turn["text"] if isinstance(turn, dict) else turn.text) or ""
