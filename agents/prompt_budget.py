"""Bounded role prompts: the scenario, the tracked state and the last turns, within a stated number of tokens.

Prompts used to grow with the whole history (MathDial hf-sft rows: median 798 tokens, maximum
2,667), so TRL's default `max_length` (1,024) silently dropped a fifth of the training rows and
each turn's prefill grew with the conversation. Now every role prompt renders as:

    system:    instructions + situation (each scenario field clipped) + one line summarising the
               turns not shown + the tracked-state directive, if the role has one
    demos:     at most MAX_DEMOS (partner line, reply) pairs, each message clipped
    dialogue:  the opening line (problem and attempt) and the last WINDOW_TURNS turns, each clipped

and if that is still over PROMPT_MAX_TOKENS, fewer turns are shown (down to one), then demos go,
then the situation and turns are clipped harder, so a rendered prompt never exceeds
PROMPT_MAX_TOKENS tokens of the embedded tokenizer, chat framing and generation prompt included
(token_meter.py; where that tokenizer cannot be had the count is in UTF-8 bytes, which is never
lower). Exported training rows render through the same code and clip their reply to
REPLY_MAX_TOKENS, so a row is at most ROW_MAX_TOKENS = 1,024 tokens: TRL's default keeps it whole.
"""

from __future__ import annotations

import re
from typing import Callable

PROMPT_MAX_TOKENS = 832  # a whole rendered prompt: framing, system, demos, dialogue, generation prompt
REPLY_MAX_TOKENS = 190  # an exported reply (the training target); generated replies are at most 60
ROW_MAX_TOKENS = 1024  # prompt + reply + end of turn: TRL's default max_length
WINDOW_TURNS = 6  # turns shown after the opening line; earlier ones become the summary line
MAX_DEMOS = 4
FRAMING_TOKENS = 6  # ChatML per message: <|im_start|> role \n ... <|im_end|> \n ("assistant" is 2 tokens)
GENERATION_PROMPT_TOKENS = 4  # <|im_start|> assistant \n
END_OF_TURN_TOKENS = 2  # <|im_end|> \n after the reply

# Per-piece caps, in tokens (the default prompts use far less: instructions ~60, a built-in situation ~120).
INSTRUCTIONS_TOKENS = 192
FIELD_TOKENS = {"line": 40, "objective": 48, "problem": 160, "answer": 40, "attempt": 128, "persona": 64,
                "knowledge": 48, "misconceptions": 80}
SITUATION_TOKENS = 480  # the situation string as a whole (a guard over the field caps)
SUMMARY_TOKENS = 64
STATE_TOKENS = 64  # the tracked-state directive (student knowledge state)
TURN_TOKENS = 120  # one dialogue turn
DEMO_TOKENS = 96  # one demo message

assert PROMPT_MAX_TOKENS + REPLY_MAX_TOKENS + END_OF_TURN_TOKENS <= ROW_MAX_TOKENS


def meter():
    """The token meter the bounds are stated in (agents/backends/token_meter.py)."""
    from practicum.agents.backends.token_meter import token_meter

    return token_meter()


def clip_field(text: str, field: str) -> str:
    """A scenario field clipped to its cap (FIELD_TOKENS); an attempt keeps its end, where its answer is."""
    if field == "attempt":
        return meter().clip_middle(text or "", FIELD_TOKENS[field])
    return meter().clip(text or "", FIELD_TOKENS[field])


def clip_reply(text: str) -> str:
    """A reply clipped to REPLY_MAX_TOKENS (what an exported row learns)."""
    return meter().clip(text or "", REPLY_MAX_TOKENS)


def prompt_tokens(messages: list[dict]) -> int:
    """Tokens of a rendered prompt: contents plus ChatML framing and the generation prompt."""
    m = meter()
    return sum(m.count(str(msg.get("content") or "")) + FRAMING_TOKENS for msg in messages) + GENERATION_PROMPT_TOKENS


def bounds() -> dict:
    """The stated limits and the meter they are counted with (for export manifests and benchmarks)."""
    return {"max_prompt_tokens": PROMPT_MAX_TOKENS, "max_reply_tokens": REPLY_MAX_TOKENS,
            "max_row_tokens": ROW_MAX_TOKENS, "window_turns": WINDOW_TURNS, "tokenizer": meter().name}


def _first_sentence(text: str, words: int = 14) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    parts = sentence.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def summary_line(hidden: list[dict]) -> str:
    """One line standing for the turns not shown: how many, and how each began (most recent kept)."""
    if not hidden:
        return ""
    said = "; ".join(f"{t['role']}: \"{_first_sentence(str(t['text']))}\"" for t in hidden[-8:])
    head = f"Earlier in this conversation ({len(hidden)} turns not shown): "
    return head + meter().clip_start(said, SUMMARY_TOKENS - meter().count(head))


Render = Callable[[object, list, dict], list[dict]]


def fit_prompt(render: Render, signature, demos: list, inputs: dict) -> list[dict]:
    """Render a dialogue prompt within PROMPT_MAX_TOKENS: window the turns, then shed demos, then clip harder.

    `render(signature, demos, inputs)` is the unbounded renderer (PlainChatAdapter's). The first
    dialogue line (the opening: problem and attempt) always stays; `inputs["state"]`, when present, is
    the tracked-state directive and goes at the end of the system message.
    """
    m = meter()
    dialogue = [dict(t) for t in (inputs.get("dialogue") or [])]
    opening, turns = dialogue[:1], dialogue[1:]
    situation = m.clip(str(inputs.get("situation") or ""), SITUATION_TOKENS)
    state = m.clip(str(inputs.get("state") or ""), STATE_TOKENS)
    instructions = signature.instructions
    if m.count(instructions) > INSTRUCTIONS_TOKENS:
        signature = signature.with_instructions(m.clip(instructions, INSTRUCTIONS_TOKENS))
    demos = [_clip_demo(d) for d in list(demos)[-MAX_DEMOS:]]
    turn_cap, opening_cap, situation_cap = TURN_TOKENS, FIELD_TOKENS["problem"] + FIELD_TOKENS["attempt"] + 16, \
        SITUATION_TOKENS
    shown = min(WINDOW_TURNS, len(turns))
    messages: list[dict] = []
    for _ in range(64):  # every pass removes something; 64 passes shrink any input to a few tokens
        visible = [{**t, "text": m.clip(str(t["text"]), turn_cap)} for t in turns[len(turns) - shown:]]
        first = [{**t, "text": m.clip(str(t["text"]), opening_cap)} for t in opening]
        system_extra = "\n".join(p for p in (summary_line(turns[: len(turns) - shown]), state) if p)
        text = m.clip(situation, situation_cap) + ("\n" + system_extra if system_extra else "")
        messages = render(signature, demos, {**inputs, "situation": text, "dialogue": first + visible})
        over = prompt_tokens(messages) - PROMPT_MAX_TOKENS
        if over <= 0:
            return messages
        if shown > 1:
            shown -= 1
        elif demos:
            demos = demos[1:]
        else:
            turn_cap, opening_cap = max(8, turn_cap * 3 // 4), max(8, opening_cap * 3 // 4)
            situation_cap = max(8, situation_cap - over)
            if m.count(signature.instructions) > 24:
                signature = signature.with_instructions(m.clip(signature.instructions,
                                                               max(24, m.count(signature.instructions) - over)))
    return _hard_clip(messages)


def _clip_demo(demo):
    m = meter()
    values = dict(demo.items()) if hasattr(demo, "items") else dict(demo)
    if values.get("dialogue"):
        values["dialogue"] = [{**t, "text": m.clip(str(t["text"]), DEMO_TOKENS)} for t in values["dialogue"][-2:]]
    for key in ("reply",):
        if key in values:
            values[key] = m.clip(str(values[key]), DEMO_TOKENS)
    return values


def _hard_clip(messages: list[dict]) -> list[dict]:
    """Last resort (inputs made of thousands of tiny pieces): clip every message to an equal share."""
    m = meter()
    share = max(1, (PROMPT_MAX_TOKENS - GENERATION_PROMPT_TOKENS) // max(1, len(messages)) - FRAMING_TOKENS)
    return [{**msg, "content": m.clip(str(msg.get("content") or ""), share)} for msg in messages]
