"""Small, valid OpenAI fine-tuning files (chat SFT and DPO) for tests of the OpenAI tuner."""

from __future__ import annotations

import json
from pathlib import Path

SYSTEM = "You are a patient math tutor. Ask one guiding question at a time."


def sft_records(n: int) -> list[dict]:
    """n tutoring conversations in OpenAI chat format, the teacher as assistant."""
    return [
        {"messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"I think 1/{i + 2} + 1/{i + 3} is 2/{2 * i + 5}."},
            {"role": "assistant", "content": f"What do the pieces of 1/{i + 2} and 1/{i + 3} look like side by side?"},
        ]}
        for i in range(n)
    ]


def dpo_records(n: int) -> list[dict]:
    """n preference pairs in OpenAI's DPO format: a guiding reply preferred over telling the answer."""
    return [
        {
            "input": {"messages": [{"role": "system", "content": SYSTEM},
                                   {"role": "user", "content": f"Is {i} + {i} equal to {i * 3}?"}]},
            "preferred_output": [{"role": "assistant", "content": f"How could you check {i} + {i} with counters?"}],
            "non_preferred_output": [{"role": "assistant", "content": f"No, it is {2 * i}."}],
        }
        for i in range(n)
    ]


def write_jsonl(path: Path, records: list) -> Path:
    """Write records one JSON object per line; return the path."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
