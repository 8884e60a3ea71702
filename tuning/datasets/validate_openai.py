"""Checks for OpenAI fine-tuning files (chat SFT and DPO), token counts and a training-cost estimate.

The error classes are those of the OpenAI cookbook's data-preparation notebook ("Data
preparation and analysis for chat model fine-tuning"): data_type, missing_messages_list,
message_missing_key, message_unrecognized_key, unrecognized_role, missing_content,
example_missing_assistant_message. Added here: invalid_json, invalid_weight (OpenAI accepts
`weight` 0 or 1 on assistant messages only), over_context_limit, too_few_examples (OpenAI needs
10 training examples; the guide sets no minimum for a validation file, so one is never flagged), and for DPO missing_input, missing_preferred_output, missing_non_preferred_output,
invalid_output and identical_outputs.
"""

from __future__ import annotations

import statistics

from practicum.tuning.datasets import prices
from practicum.tuning.datasets.tokens import token_counter
from practicum.tuning.datasets.validation import ValidationReport

MESSAGE_KEYS = ("role", "content", "name", "function_call", "tool_calls", "tool_call_id", "weight")
ROLES = ("system", "developer", "user", "assistant", "function", "tool")
SFT_KEYS = ("messages", "tools", "functions", "parallel_tool_calls")
DPO_KEYS = ("input", "preferred_output", "non_preferred_output")


def check_messages(messages, at: str, where: str, report: ValidationReport) -> bool:
    """Check a list of chat messages; return True when it has an assistant message."""
    has_assistant = False
    for i, message in enumerate(messages):
        path = f"{where}[{i}]"
        if not isinstance(message, dict):
            report.error(at, "data_type", f"{path} is {type(message).__name__}, not an object")
            continue
        if "role" not in message or "content" not in message:
            missing = [k for k in ("role", "content") if k not in message]
            report.error(at, "message_missing_key", f"{path} has no {' or '.join(missing)}")
        extra = [k for k in message if k not in MESSAGE_KEYS]
        if extra:
            report.error(at, "message_unrecognized_key", f"{path} has unrecognized key(s) {', '.join(extra)}")
        role = message.get("role")
        if role not in ROLES:
            report.error(at, "unrecognized_role", f"{path}.role {role!r} is not one of {', '.join(ROLES)}")
        content = message.get("content")
        calls = message.get("function_call") or message.get("tool_calls")
        if not (isinstance(content, str) and content.strip()) and not calls:
            report.error(at, "missing_content", f"{path} has no text content")
        if "weight" in message and (role != "assistant" or message["weight"] not in (0, 1)
                                    or isinstance(message["weight"], bool)):
            report.error(at, "invalid_weight", f"{path}.weight must be 0 or 1 and only on assistant messages")
        has_assistant = has_assistant or role == "assistant"
    return has_assistant


def _check_sft(at: str, example, report: ValidationReport) -> list[dict] | None:
    if not isinstance(example, dict):
        report.error(at, "data_type", f"example is {type(example).__name__}, not an object")
        return None
    messages = example.get("messages")
    if not messages or not isinstance(messages, list):
        report.error(at, "missing_messages_list", "no non-empty 'messages' list")
        return None
    extra = [k for k in example if k not in SFT_KEYS]
    if extra:
        report.warn(at, "unrecognized_key", f"example has key(s) OpenAI does not read: {', '.join(extra)}")
    if not check_messages(messages, at, "messages", report):
        report.error(at, "example_missing_assistant_message", "no assistant message to learn")
    elif not any(isinstance(m, dict) and m.get("role") == "assistant" and m.get("weight", 1) == 1 for m in messages):
        report.warn(at, "no_trained_assistant_message", "every assistant message has weight 0: nothing is learned")
    return [m for m in messages if isinstance(m, dict)]


def _check_output(example: dict, key: str, at: str, report: ValidationReport) -> dict | None:
    output = example.get(key)
    if output is None:
        report.error(at, f"missing_{key}", f"no '{key}'")
        return None
    if (not isinstance(output, list) or len(output) != 1 or not isinstance(output[0], dict)
            or output[0].get("role") != "assistant" or not isinstance(output[0].get("content"), str)
            or not output[0]["content"].strip()):
        report.error(at, "invalid_output", f"'{key}' must be a list of one assistant message with text content")
        return None
    return output[0]


def _check_dpo(at: str, example, report: ValidationReport) -> list[list[dict]] | None:
    if not isinstance(example, dict):
        report.error(at, "data_type", f"example is {type(example).__name__}, not an object")
        return None
    extra = [k for k in example if k not in DPO_KEYS]
    if extra:
        report.warn(at, "unrecognized_key", f"example has key(s) OpenAI does not read: {', '.join(extra)}")
    given = example.get("input")
    if not isinstance(given, dict):
        report.error(at, "missing_input", "no 'input' object")
        messages = None
    else:
        messages = given.get("messages")
        if not messages or not isinstance(messages, list):
            report.error(at, "missing_messages_list", "no non-empty 'input.messages' list")
            messages = None
        else:
            check_messages(messages, at, "input.messages", report)
            if isinstance(messages[-1], dict) and messages[-1].get("role") == "assistant":
                report.warn(at, "input_ends_with_assistant", "input.messages ends with an assistant message")
    preferred = _check_output(example, "preferred_output", at, report)
    rejected = _check_output(example, "non_preferred_output", at, report)
    if preferred and rejected and preferred["content"].strip() == rejected["content"].strip():
        report.error(at, "identical_outputs", "preferred and non-preferred outputs are the same text")
    if messages is None or preferred is None or rejected is None:
        return None
    prompt = [m for m in messages if isinstance(m, dict)]
    return [prompt + [preferred], [rejected]]


def check_records(
    records: list[tuple[str, object]], fmt: str, report: ValidationReport, *, model: str | None = None,
    epochs: int | None = None, price: float | None = None, purpose: str = "training",
) -> None:
    """Check every record, then count tokens, flag over-long examples, the minimum size, and estimate cost.

    `purpose` "validation": the file is a job's validation file, so the 10-example training minimum
    does not apply and no training cost is estimated (OpenAI does not train on it).
    """
    model_info = prices.find_model(model or prices.DEFAULT_MODEL) if price is None else None
    limit = model_info.max_example_tokens if model_info else prices.MODELS[prices.DEFAULT_MODEL].max_example_tokens
    counter = token_counter(model or prices.DEFAULT_MODEL)
    lengths, trained, missing_system, missing_user = [], [], 0, 0
    for at, example in records:
        if fmt == "openai-sft":
            messages = _check_sft(at, example, report)
            if messages is None:
                continue
            n = counter.count_messages(messages)
            trained.append(sum(counter.count(m.get("content") or "") for m in messages
                               if m.get("role") == "assistant" and m.get("weight", 1) == 1))
            missing_system += not any(m.get("role") == "system" for m in messages)
            missing_user += not any(m.get("role") == "user" for m in messages)
        else:
            parts = _check_dpo(at, example, report)
            if parts is None:
                continue
            n = counter.count_messages(parts[0]) + counter.count(parts[1][0].get("content") or "")
            trained.append(counter.count(parts[0][-1].get("content") or "") + counter.count(parts[1][0]["content"]))
        lengths.append(n)
        if n > limit:
            report.error(at, "over_context_limit", f"{n} tokens, over the {limit}-token limit; it would be truncated")
    if purpose == "training" and report.n_examples < prices.MIN_EXAMPLES:
        report.error("file", "too_few_examples",
                     f"{report.n_examples} examples; OpenAI needs at least {prices.MIN_EXAMPLES}")
    report.tokens = _token_stats(lengths, trained, counter.name, limit)
    if fmt == "openai-sft":
        report.tokens.update({"missing_system": missing_system, "missing_user": missing_user})
    report.cost = _cost(lengths, limit, model_info, model, epochs, price) if purpose == "training" else {}


def _token_stats(lengths: list[int], trained: list[int], tokenizer: str, limit: int) -> dict:
    stats = {"tokenizer": tokenizer, "context_limit": limit, "counted_examples": len(lengths),
             "total": sum(lengths), "over_limit": sum(1 for n in lengths if n > limit),
             "trained_tokens": sum(trained)}
    if lengths:
        ordered = sorted(lengths)
        stats.update({
            "min": ordered[0], "max": ordered[-1], "mean": round(statistics.fmean(ordered), 1),
            "median": statistics.median(ordered),
            "p5": ordered[int(0.05 * (len(ordered) - 1))], "p95": ordered[int(0.95 * (len(ordered) - 1))],
        })
    return stats


def _cost(lengths, limit, model_info, model, epochs, price) -> dict:
    billing = sum(min(limit, n) for n in lengths)
    n_epochs = epochs if epochs is not None else prices.default_epochs(len(lengths))
    rate = price if price is not None else model_info.usd_per_million_training_tokens
    return {
        "model": model_info.name if model_info else (model or "custom"), "usd_per_million_tokens": rate,
        "prices_as_of": prices.PRICES_AS_OF if price is None else "given", "epochs": n_epochs,
        "epochs_source": "given" if epochs is not None else "OpenAI default for this size",
        "billing_tokens_per_epoch": billing, "billing_tokens": billing * n_epochs,
        "usd": round(prices.training_cost(billing, n_epochs, rate), 4),
    }
