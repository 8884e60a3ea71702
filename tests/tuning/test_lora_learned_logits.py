"""The output layer runs only at learned positions, with the same loss and gradients as full logits; checkpointing too."""

from __future__ import annotations

import pytest

pytest.importorskip("peft")

from practicum.tuning.lora import LoraTrainConfig  # noqa: E402

ROWS = [
    [{"role": "system", "content": "You are a patient math teacher."},
     {"role": "user", "content": f"What is {i} plus 4? I think it is {i * 4}, because I multiplied."},
     {"role": "assistant", "content": "Can you tell me how you got that?" + " Let us add." * (i % 3)}]
    for i in range(5)
]


def setup(tiny_llama_dir, **overrides):
    import torch

    from practicum.tuning.lora.encoding import encode_conversation
    from practicum.tuning.lora.model import load_base, wrap_with_lora

    overrides.setdefault("dtype", "float32")  # the gradient and loss equalities below are float32's
    config = LoraTrainConfig(data="x.jsonl", base=str(tiny_llama_dir), r=4, alpha=8, dropout=0.0, progress=False,
                             target_modules="q_proj,v_proj,up_proj,down_proj", **overrides)
    tokenizer, base, _ = load_base(config)
    model = wrap_with_lora(base, config)
    torch.manual_seed(0)
    for name, param in model.named_parameters():
        if "lora_B" in name:
            param.data.normal_(0, 0.2)  # a trained-looking adapter, so its gradients are not trivial
    items = [encode_conversation(tokenizer, rows, [False, False, True], 512) for rows in ROWS]
    model.train()
    return model, items, tokenizer.pad_token_id


def full_logit_loss(model, items, pad_id):
    """Today's reference: logits at every position, cross-entropy where labels are set (shifted)."""
    import torch.nn.functional as F

    from practicum.tuning.lora.encoding import IGNORE, collate

    batch = collate(items, pad_id)
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    targets = batch["labels"][:, 1:]
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)).float(), targets.reshape(-1),
                           ignore_index=IGNORE, reduction="sum")
    return loss, int((targets != IGNORE).sum())


def grads(model):
    return {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def test_loss_at_learned_positions_equals_the_full_logit_loss(tiny_llama_dir):
    import torch

    from practicum.tuning.lora.objectives import sft_loss_sum

    model, items, pad_id = setup(tiny_llama_dir)
    reference, n_ref = full_logit_loss(model, items, pad_id)
    reference.backward()
    expected = grads(model)
    model.zero_grad(set_to_none=True)
    loss, n = sft_loss_sum(model, items, pad_id)
    loss.backward()
    assert n == n_ref > 0
    assert torch.allclose(loss, reference, rtol=1e-5, atol=1e-5)
    for name, grad in grads(model).items():
        assert torch.allclose(grad, expected[name], rtol=1e-4, atol=1e-6), name


def test_gradient_checkpointing_gives_the_same_loss_and_gradients(tiny_llama_dir):
    import torch

    from practicum.tuning.lora.objectives import sft_loss_sum

    plain, items, pad_id = setup(tiny_llama_dir)
    loss, _ = sft_loss_sum(plain, items, pad_id)
    loss.backward()
    checkpointed, _, _ = setup(tiny_llama_dir, gradient_checkpointing=True)
    assert any(getattr(m, "gradient_checkpointing", False) for m in checkpointed.modules())
    assert not any(getattr(m, "gradient_checkpointing", False) for m in plain.modules())
    again, _ = sft_loss_sum(checkpointed, items, pad_id)
    again.backward()
    assert torch.allclose(loss, again, rtol=1e-6)
    expected = grads(plain)
    for name, grad in grads(checkpointed).items():
        assert torch.allclose(grad, expected[name], rtol=1e-4, atol=1e-6), name


def test_row_by_row_steps_sum_to_the_batched_gradients(tiny_llama_dir):
    import torch

    from practicum.tuning.lora.objectives import sft_loss_sum

    model, items, pad_id = setup(tiny_llama_dir)
    batched, n = sft_loss_sum(model, items, pad_id)
    batched.backward()
    expected = grads(model)
    model.zero_grad(set_to_none=True)
    total, count = 0.0, 0
    for item in items:  # what _train_step does with row_by_row (the default)
        loss, k = sft_loss_sum(model, [item], pad_id)
        loss.backward()
        total, count = total + float(loss.detach()), count + k
    assert count == n and abs(total - float(batched)) < 1e-4 * abs(float(batched))
    for name, grad in grads(model).items():
        assert torch.allclose(grad, expected[name], rtol=1e-4, atol=1e-6), name


@pytest.mark.parametrize("row_by_row", [True, False])
def test_validation_loss_counts_every_row_once(tiny_llama_dir, row_by_row):
    """evaluate() is the per-token mean over the validation rows, each read once (a bug re-read the rest of the
    rows from every start: quadratic time and a loss weighted towards the last rows)."""
    import torch

    from practicum.tuning.lora import objectives
    from practicum.tuning.lora.trainer import evaluate

    model, items, pad_id = setup(tiny_llama_dir, row_by_row=row_by_row, batch_size=2)
    with torch.no_grad():
        per_row = [objectives.sft_loss_sum(model, [item], pad_id) for item in items]
    expected = sum(float(loss) for loss, _ in per_row) / sum(n for _, n in per_row)
    seen = []
    real = objectives.loss_sum

    def counting(model_, chunk, *args):
        seen.extend(id(item) for item in chunk)
        return real(model_, chunk, *args)

    from practicum.tuning.lora import trainer
    original, trainer.loss_sum = trainer.loss_sum, counting
    try:
        loss, accuracy = evaluate(model, items, model_config(tiny_llama_dir, row_by_row), "sft", pad_id)
    finally:
        trainer.loss_sum = original
    assert sorted(seen) == sorted(id(item) for item in items)
    assert accuracy is None
    assert loss == pytest.approx(expected, rel=1e-4)


def model_config(tiny_llama_dir, row_by_row):
    return LoraTrainConfig(data="x.jsonl", base=str(tiny_llama_dir), row_by_row=row_by_row, batch_size=2,
                           progress=False, dtype="float32")
