"""OpenAI fine-tuning prices and training context limits: the one table cost estimates read.

Prices are USD per million training tokens, from OpenAI's pricing page (platform.openai.com/docs/pricing,
"Fine-tuning", training column) as of PRICES_AS_OF; they change, so `practicum validate` prints
the date and `--price` overrides them. DPO jobs are billed per training token at the same rate.
Context limits are the longest training example each model accepts (OpenAI fine-tuning guide);
OpenAI truncates longer examples, which loses the last replies.
"""

from __future__ import annotations

from dataclasses import dataclass

from practicum.errors import InputError

PRICES_AS_OF = "2025-06"
DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"


@dataclass(frozen=True)
class FineTunableModel:
    """A model OpenAI fine-tunes: training price and the longest example it takes."""

    name: str
    usd_per_million_training_tokens: float
    max_example_tokens: int


MODELS: dict[str, FineTunableModel] = {m.name: m for m in (
    FineTunableModel("gpt-4.1-2025-04-14", 25.00, 65_536),
    FineTunableModel("gpt-4.1-mini-2025-04-14", 5.00, 65_536),
    FineTunableModel("gpt-4.1-nano-2025-04-14", 1.50, 65_536),
    FineTunableModel("gpt-4o-2024-08-06", 25.00, 65_536),
    FineTunableModel("gpt-4o-mini-2024-07-18", 3.00, 65_536),
    FineTunableModel("gpt-3.5-turbo-0125", 8.00, 16_385),
)}

# OpenAI cookbook ("Data preparation and analysis for chat model fine-tuning"): default epochs.
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25
MIN_EXAMPLES = 10  # OpenAI refuses training files with fewer examples


def find_model(name: str) -> FineTunableModel:
    """The table entry for a model name or alias (e.g. 'gpt-4o-mini' finds the dated snapshot)."""
    if name in MODELS:
        return MODELS[name]
    matches = [m for key, m in MODELS.items() if key.startswith(name + "-")]
    if len(matches) == 1:
        return matches[0]
    raise InputError(f"no price for model '{name}' (known: {', '.join(MODELS)}); pass --price USD_PER_MTOK")


def default_epochs(n_examples: int) -> int:
    """The epoch count OpenAI picks when none is given, as the cookbook computes it."""
    if n_examples <= 0:
        return TARGET_EPOCHS
    if n_examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    if n_examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return TARGET_EPOCHS


def training_cost(billing_tokens: int, epochs: int, usd_per_million: float) -> float:
    """Estimated training cost in USD: tokens charged per epoch times epochs times the rate."""
    return billing_tokens * epochs * usd_per_million / 1_000_000
