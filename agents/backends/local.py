"""Transformers on the embedded model (or a local model path), batching requests in one generate call."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from practicum.agents.backends.base import Completion, GenerationOptions, Message, Usage
from practicum.errors import BackendError, ModelMissingError

_models: dict[tuple[str, str], tuple[object, object]] = {}
_models_lock = threading.Lock()


def load_model(model_path: str | None = None, adapter: str | None = None):
    """Load (once per process) the tokenizer and model, with an optional LoRA adapter applied."""
    key = (model_path or "", adapter or "")
    with _models_lock:
        if key in _models:
            return _models[key]
        try:
            import torch
            import transformers
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise ModelMissingError('torch and transformers are needed; run: pip install -e ".[local]"') from None
        transformers.utils.logging.disable_progress_bar()
        if model_path:
            path = Path(model_path).expanduser()
            if not path.exists():
                raise BackendError(f"local model path does not exist: {path}")
        else:
            from practicum.agents.backends.embedded_model import ensure_checkpoint

            path = ensure_checkpoint()
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
        if adapter:
            adapter_path = Path(adapter).expanduser()
            if not (adapter_path / "adapter_config.json").exists():
                raise BackendError(f"no LoRA adapter at {adapter_path} (adapter_config.json missing)")
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(adapter_path))
        model.eval()
        _models[key] = (tokenizer, model)
        return tokenizer, model


class LocalBackend:
    """Chat completions from a local transformers model; `complete_batch` pads left and runs one generate."""

    def __init__(self, model_path: str | None = None, adapter: str | None = None, spec: str = "local"):
        """Remember what to load; the model loads on first use."""
        self.model_path = model_path
        self.adapter = adapter
        self.spec = spec
        self._lock = threading.Lock()

    def _loaded(self):
        return load_model(self.model_path, self.adapter)

    def complete(self, messages: list[Message], options: GenerationOptions | None = None) -> Completion:
        """Answer one conversation."""
        return self.complete_batch([messages], options)[0]

    def complete_batch(
        self, requests: list[list[Message]], options: GenerationOptions | list[GenerationOptions] | None = None
    ) -> list[Completion]:
        """Answer several conversations in one forward pass (requests sharing options are batched together)."""
        if not requests:
            return []
        per_request = options if isinstance(options, list) else [options or GenerationOptions()] * len(requests)
        per_request = [o or GenerationOptions() for o in per_request]
        groups: dict[str, list[int]] = {}
        for i, opts in enumerate(per_request):
            key = opts.model_copy(update={"seed": None}).model_dump_json()
            groups.setdefault(key, []).append(i)
        results: list[Completion | None] = [None] * len(requests)
        for indices in groups.values():
            batch = [requests[i] for i in indices]
            for i, completion in zip(indices, self._generate(batch, [per_request[i] for i in indices])):
                results[i] = completion
        return results  # type: ignore[return-value]

    def _generate(self, batch: list[list[Message]], options: list[GenerationOptions]) -> list[Completion]:
        import torch

        tokenizer, model = self._loaded()
        opts = options[0]
        prompts = [tokenizer.apply_chat_template(m, tokenize=False, add_generation_prompt=True) for m in batch]
        encoded = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        sampling = opts.temperature > 0
        kwargs = dict(
            max_new_tokens=opts.max_tokens,
            do_sample=sampling,
            pad_token_id=tokenizer.pad_token_id,
            repetition_penalty=1.15,
        )
        if sampling:
            kwargs.update(temperature=opts.temperature, top_p=opts.top_p)
        seeds = [o.seed for o in options if o.seed is not None]
        start = time.perf_counter()
        with self._lock, torch.inference_mode():
            if seeds:
                # One generator per batch: reproducible for the same batch composition and seeds.
                torch.manual_seed(sum(seeds) % (2**63))
            output = model.generate(**encoded, **kwargs)
        elapsed = time.perf_counter() - start
        prompt_len = encoded["input_ids"].shape[1]
        completions = []
        for row, opt in enumerate(options):
            new_tokens = output[row, prompt_len:]
            ids = [t for t in new_tokens.tolist() if t not in (tokenizer.pad_token_id, tokenizer.eos_token_id)]
            text = tokenizer.decode(ids, skip_special_tokens=True)
            for stop in opt.stop:
                if stop and stop in text:
                    text = text[: text.index(stop)]
            completions.append(
                Completion(
                    text=text.strip(),
                    usage=Usage(
                        prompt_tokens=int(encoded["attention_mask"][row].sum()), completion_tokens=len(ids)
                    ),
                    model=self.spec,
                    latency=elapsed / len(options),
                )
            )
        return completions
