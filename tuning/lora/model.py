"""Load the base model (embedded checkpoint or a local path), optionally 8/4-bit, and wrap it with LoRA.

Quantized loading goes through bitsandbytes and is never skipped quietly: without the package it is
an error naming the install command. bitsandbytes 0.50 also quantizes on the CPU (measured: 8-bit
and 4-bit NF4 LoRA steps run, slower than float32, and 4-bit needs layer widths divisible by 32), so
without CUDA a quantized run still happens on the CPU and says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from practicum.errors import InputError
from practicum.tuning.lora.config import LoraTrainConfig

BNB_HINT = "pip install bitsandbytes"


@dataclass
class BaseModel:
    """What was loaded and how: kept in the manifest."""

    path: Path
    name: str
    embedded: bool
    device: str
    dtype: str
    quantize: str
    notice: str = ""


def resolve_base(base: str | None) -> tuple[Path, str, bool]:
    """The base model directory, a display name, and whether it is the embedded model."""
    if not base:
        from practicum.agents.backends.embedded_model import EMBEDDED_NAME, ensure_checkpoint

        return ensure_checkpoint(), EMBEDDED_NAME, True
    path = Path(base).expanduser()
    if not (path / "config.json").is_file():
        raise InputError(f"base model {path}: not a transformers model directory (config.json missing)")
    return path.resolve(), path.name, False


def pick_device(wanted: str) -> str:
    """cuda or cpu; asking for cuda without it is an error, not a fallback."""
    import torch

    if wanted == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device cuda: CUDA is not available to this torch ({torch.__version__})")
    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return wanted


def pick_dtype(wanted: str, device: str):
    """The torch dtype of the base weights: `auto` is bfloat16 on CUDA with bfloat16 support and on CPUs with AMX or
    AVX512-BF16 (where the local engine runs the adapter in bfloat16 too), float32 elsewhere."""
    import torch

    from practicum.agents.backends.local import default_dtype

    if wanted == "auto":
        if device == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return getattr(torch, default_dtype()) if device == "cpu" else torch.float32
    return getattr(torch, wanted)


def quantization_config(mode: str, device: str, dtype):
    """A BitsAndBytesConfig for 8bit/4bit, or an error saying why it cannot be had."""
    quiet_bitsandbytes()  # it logs at import and on every 8-bit matmul; the run notice says what matters once
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise InputError(f"--quantize {mode} needs bitsandbytes, which is not installed; run: {BNB_HINT}") from None
    from transformers import BitsAndBytesConfig

    if mode == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=dtype
    )


def load_tokenizer(path: Path):
    """The base model's tokenizer, with a pad token and a chat template."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    if not getattr(tokenizer, "chat_template", None):
        raise InputError(f"base model {path}: its tokenizer has no chat template to render conversations with")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    return tokenizer


def load_base(config: LoraTrainConfig):
    """Load the tokenizer and base model as the config asks; return (tokenizer, model, BaseModel)."""
    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    from practicum.agents.backends.local import fast_bfloat16_flags
    from practicum.agents.backends.threads import ThreadChoice, apply_threads, choose_threads

    transformers.utils.logging.disable_progress_bar()
    if config.device != "cuda":
        auto = choose_threads()
        apply_threads(ThreadChoice(config.threads, auto.cores, auto.load, "--threads") if config.threads else auto)
    path, name, embedded = resolve_base(config.base)
    device = pick_device(config.device)
    dtype = pick_dtype(config.dtype, device)
    tokenizer = load_tokenizer(path)
    notice = ""
    if config.quantize == "none":
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype).to(device)
        if device == "cpu" and config.dtype == "auto" and dtype == torch.bfloat16:
            notice = (f"bfloat16 base weights (CPU has {', '.join(fast_bfloat16_flags())}; the LoRA weights stay "
                      "float32): faster and smaller than float32 here; --dtype float32 trains in float32")
    else:
        if device == "cpu":
            dtype = torch.float32
            notice = (f"no CUDA here: loading the base in {config.quantize} with bitsandbytes' CPU backend "
                      "(works, but slower than float32 on a CPU; QLoRA saves memory on a GPU)")
        quant = quantization_config(config.quantize, device, dtype)
        model = AutoModelForCausalLM.from_pretrained(
            str(path), dtype=dtype, quantization_config=quant, device_map={"": device if device == "cpu" else 0}
        )
        if device == "cpu" and config.quantize == "4bit":
            _check_cpu_4bit_widths(model)
        quiet_bitsandbytes()
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    model.config.use_cache = False
    if config.gradient_checkpointing:
        # Non-reentrant checkpointing needs no input gradients, so the frozen embeddings stay frozen.
        enable = getattr(model, "activation_checkpointing_enable", None)  # transformers >= 5.2x; older: gradient_*
        if enable is not None:
            enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    info = BaseModel(path, name, embedded, device, str(dtype).removeprefix("torch."), config.quantize, notice)
    return tokenizer, model, info


def _check_cpu_4bit_widths(model) -> None:
    # bitsandbytes' CPU 4-bit kernel packs output rows in blocks of 32 and input columns in quantization
    # blocks of 64, and fails deep inside the first forward pass otherwise.
    import bitsandbytes as bnb

    for name, module in model.named_modules():
        if isinstance(module, bnb.nn.Linear4bit) and (module.out_features % 32 or module.in_features % 64):
            raise InputError(
                f"--quantize 4bit on the CPU needs layers of 64k inputs and 32k outputs; {name} is "
                f"{module.in_features} -> {module.out_features} (use 8bit, or a GPU)"
            )


def wrap_with_lora(model, config: LoraTrainConfig):
    """Add freshly initialised LoRA weights (seeded) to a base model; only they are trainable."""
    import warnings

    import torch

    quiet_bitsandbytes()
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(config.seed)
    lora = LoraConfig(
        r=config.r, lora_alpha=config.alpha, lora_dropout=config.dropout, target_modules=config.targets(),
        bias="none", task_type="CAUSAL_LM",
    )
    try:
        with warnings.catch_warnings():
            # peft 0.21 asks transformers 5 a deprecated question; nothing for the user to act on.
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            return get_peft_model(model, lora)
    except ValueError as exc:
        raise InputError(f"target_modules {config.target_modules!r}: {exc}") from None


def quiet_bitsandbytes() -> None:
    """Silence bitsandbytes' import-time kernel notice and per-call casts (peft imports it when installed)."""
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)


def eval_mode(model) -> None:
    """model.eval(), except that bitsandbytes 4-bit layers stay in training mode.

    On a CPU with AVX512-BF16, a 4-bit layer run in eval mode without gradients repacks its weights
    for inference for good, and training after that backpropagates through a kernel with no
    autograd support (torch warns of "silently incorrect behavior"). The flag changes nothing else
    for those layers: they have no dropout.
    """
    model.eval()
    for module in model.modules():
        if type(module).__name__ == "Linear4bit":
            module.training = True


def adapter_state(model) -> dict:
    """A detached copy of the adapter weights (small: only the LoRA matrices)."""
    from peft import get_peft_model_state_dict

    state = get_peft_model_state_dict(model, save_embedding_layers=False)
    return {k: v.detach().clone() for k, v in state.items()}


def load_adapter_state(model, state: dict) -> None:
    """Put saved adapter weights back into a LoRA-wrapped model."""
    from peft import set_peft_model_state_dict

    result = set_peft_model_state_dict(model, state)
    unexpected = getattr(result, "unexpected_keys", None)
    if unexpected:
        raise InputError(f"the checkpoint's adapter does not fit this model (unexpected keys: {unexpected[:3]})")
