"""The LoRA training loop: `train_lora(config) -> LoraResult`, written out with torch and peft.

A small explicit loop rather than TRL's trainer: TRL is not installed here, and owning the loop
gives exact control over what is learned (labels from encoding.py), over the data order (one
seeded permutation per epoch, so a resumed run replays exactly the batches an uninterrupted one
would) and over what a checkpoint holds. Validation runs each epoch (and every `eval_every`
steps); early stopping watches the validation loss; the adapter saved at the end is the best one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from practicum.errors import InputError
from practicum.tuning.lora import checkpoints
from practicum.tuning.lora.config import LoraTrainConfig, resumed_config
from practicum.tuning.lora.data import TrainingData, read_training_file, sibling_validation_file, split_by_conversation
from practicum.tuning.lora.objectives import count, dpo_loss_sum, loss_sum
from practicum.tuning.lora.progress import TrainingProgress
from practicum.tuning.lora.records import RunRecord, directory_bytes, versions

@dataclass
class LoraResult:
    """What a finished run produced: where the adapter is, and the numbers that describe the run."""

    run_id: int | None
    adapter_path: Path
    manifest: dict
    model: object = field(default=None, repr=False)  # the trained PeftModel, in eval mode
    tokenizer: object = field(default=None, repr=False)

    @property
    def metrics(self) -> dict:
        """Loss curves, steps, wall time and adapter size (the manifest's `metrics`)."""
        return self.manifest["metrics"]


@dataclass
class LoopState:
    """Where the loop is; saved in every checkpoint."""

    step: int = 0
    epoch: int = 0
    position: int = 0  # optimizer steps already taken in the current epoch
    train_loss: list = field(default_factory=list)  # [step, loss]
    val_loss: list = field(default_factory=list)  # [step, loss]
    val_accuracy: list = field(default_factory=list)  # DPO: [step, share of pairs ranked right]
    initial_val_loss: float | None = None
    best_val_loss: float | None = None
    best_step: int | None = None
    bad_evals: int = 0
    stopped_early: bool = False
    wall_time_s: float = 0.0
    step_time_s: float = 0.0  # inside optimizer steps only
    eval_time_s: float = 0.0
    tokens_seen: int = 0  # sequence tokens (with prompts) through the training forward passes


def load_data(config: LoraTrainConfig) -> tuple[TrainingData, list, list, str]:
    """Training rows, validation rows and where the validation rows came from."""
    train = read_training_file(config.data, config.objective)
    val_path = Path(config.val).expanduser() if config.val else sibling_validation_file(config.data)
    if val_path is not None:
        val = read_training_file(val_path, train.objective)
        return train, train.rows, val.rows, f"file {val_path}"
    rows, held = split_by_conversation(train.rows, config.val_fraction, config.seed)
    source = f"split {len(held)} of {len(train.rows)} rows by conversation" if held else "none"
    return train, rows, held, source


def _schedule(config: LoraTrainConfig, total: int):
    def factor(step: int) -> float:
        if config.warmup_steps and step < config.warmup_steps:
            return (step + 1) / (config.warmup_steps + 1)
        return max(0.0, (total - step) / max(1, total - config.warmup_steps))

    return factor


def evaluate(model, items: list, config: LoraTrainConfig, objective: str, pad_id: int) -> tuple[float, float | None]:
    """Mean validation loss (per learned token for SFT, per pair for DPO) and, for DPO, pair accuracy."""
    import torch

    from practicum.tuning.lora.model import eval_mode

    eval_mode(model)
    total, n, right = 0.0, 0, 0
    with torch.no_grad():
        step = 1 if config.row_by_row else config.batch_size  # one row at a time: no padding to compute
        for start in range(0, len(items), step):
            chunk = items[start: start + step]
            if objective == "dpo":
                loss, counted, good = dpo_loss_sum(model, chunk, pad_id, config.dpo_beta)
                right += good
            else:
                loss, counted = loss_sum(model, chunk, objective, pad_id, config.dpo_beta)
            total, n = total + float(loss), n + counted
    model.train()
    return total / max(1, n), (right / max(1, n) if objective == "dpo" else None)


def _train_step(model, optimizer, scheduler, micro_batches: list[list], config, objective, pad_id) -> float:
    """One optimizer step over `grad_accum` micro-batches; the loss is averaged over the whole step."""
    import torch

    denominator = max(1, sum(count(items, objective) for items in micro_batches))
    total = 0.0
    for items in micro_batches:
        # Row by row: the gradients add up to the batch's, without padding or a whole batch of activations.
        for part in ([item] for item in items) if config.row_by_row else [items]:
            loss, _ = loss_sum(model, part, objective, pad_id, config.dpo_beta)
            (loss / denominator).backward()
            total += float(loss.detach())
    if config.max_grad_norm:
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], config.max_grad_norm)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return total / denominator


def train_lora(config: LoraTrainConfig, *, store=None, console=None) -> LoraResult:
    """Train a LoRA adapter as the config says; save it, its manifest and its tuning_runs row in `store`.

    `store` is required unless `config.register` is off: library code never opens a database itself.
    """
    import torch

    from practicum.tuning.lora.encoding import encode_rows
    from practicum.tuning.lora.model import load_base, wrap_with_lora

    config.check()
    if store is None and config.register:
        raise InputError("register: recording the run in tuning_runs needs a store (pass store=, or register=False)")
    resumed = None
    if config.resume:
        checkpoint = checkpoints.find_checkpoint(config.resume)
        resumed = checkpoints.read_state(checkpoint)
        resumed["run_dir"], resumed["checkpoint"] = str(checkpoint.parent.parent), str(checkpoint)
        config = resumed_config(resumed["config"], config)
    train, train_rows, val_rows, val_source = load_data(config)
    if resumed and train.sha256 != resumed["data_hash"]:
        raise InputError(f"{train.path}: the data changed since the checkpoint (sha256 differs); resume needs the same file")
    objective = train.objective
    tokenizer, base, info = load_base(config)
    train_items, train_counts = encode_rows(tokenizer, train_rows, config.max_length, str(train.path))
    val_items, val_counts = encode_rows(tokenizer, val_rows, config.max_length, val_source)
    if not train_items:
        raise InputError(f"{train.path}: no row keeps a learned token within max_length {config.max_length}")
    model = wrap_with_lora(base, config)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.lr, weight_decay=config.weight_decay)
    micro_per_epoch = math.ceil(len(train_items) / config.batch_size)
    steps_per_epoch = math.ceil(micro_per_epoch / config.grad_accum)
    total = config.max_steps or config.epochs * steps_per_epoch
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(config, config.schedule_steps or total))

    record = RunRecord.start(config, store if config.register else None, data_hash=train.sha256,
                             base_model=str(info.path), resumed=resumed)
    prepared = Prepared(config, model, tokenizer, optimizer, scheduler, train, objective, info, total,
                        train_items, val_items, val_source, train_counts, val_counts, resumed)
    return _train(prepared, record, console)


@dataclass
class Prepared:
    """Everything a run needs before its first step."""

    config: LoraTrainConfig
    model: object
    tokenizer: object
    optimizer: object
    scheduler: object
    train: TrainingData
    objective: str
    info: object  # model.BaseModel
    total: int
    train_items: list
    val_items: list
    val_source: str
    train_counts: dict
    val_counts: dict
    resumed: dict | None


def _train(prepared: Prepared, record: RunRecord, console) -> LoraResult:
    """Run the loop of a prepared run, save the adapter and record the result."""
    import torch

    from practicum.tuning.lora.model import load_adapter_state

    p = prepared
    config, model, tokenizer, optimizer, scheduler = p.config, p.model, p.tokenizer, p.optimizer, p.scheduler
    train, objective, info, total, resumed = p.train, p.objective, p.info, p.total, p.resumed
    train_items, val_items = p.train_items, p.val_items
    pad_id = tokenizer.pad_token_id
    run_dir = record.run_dir
    state = LoopState()
    if not resumed:
        if checkpoints.list_checkpoints(run_dir):
            record.fail(f"{run_dir} already holds checkpoints")
            raise InputError(f"{run_dir} already holds a run's checkpoints; pick another --output or --resume it")
        _remove_best(run_dir)
    if resumed:
        state = LoopState(**{k: v for k, v in resumed["loop"].items() if k in LoopState.__dataclass_fields__})
        checkpoints.restore_checkpoint(Path(resumed["checkpoint"]), model, optimizer, scheduler, resumed)
    started = time.perf_counter()
    wall_before = state.wall_time_s

    def snapshot() -> dict:
        state.wall_time_s = wall_before + time.perf_counter() - started
        return {"step": state.step, "loop": state.__dict__, "config": config.to_dict(), "run_id": record.run_id,
                "data_hash": train.sha256, "objective": objective}

    def validate(progress: TrainingProgress) -> None:
        began = time.perf_counter()
        loss, accuracy = evaluate(model, val_items, config, objective, pad_id)
        state.eval_time_s += time.perf_counter() - began
        state.val_loss.append([state.step, loss])
        if accuracy is not None:
            state.val_accuracy.append([state.step, accuracy])
        progress.validated(loss)
        if state.best_val_loss is None or loss < state.best_val_loss - config.min_delta:
            state.best_val_loss, state.best_step, state.bad_evals = loss, state.step, 0
            _save_best(model, run_dir)
        else:
            state.bad_evals += 1
            if config.patience and state.bad_evals >= config.patience:
                state.stopped_early = True

    model.train()
    try:
        with TrainingProgress(config.progress, total, state.step, console) as progress:
            if info.notice:
                progress.note(info.notice)
            if val_items and not resumed:
                began = time.perf_counter()
                state.initial_val_loss = evaluate(model, val_items, config, objective, pad_id)[0]
                state.eval_time_s += time.perf_counter() - began
                progress.validated(state.initial_val_loss)
            while state.step < total and not state.stopped_early:
                order = torch.randperm(len(train_items), generator=torch.Generator().manual_seed(config.seed + state.epoch))
                micro = [[train_items[i] for i in order[s: s + config.batch_size].tolist()]
                         for s in range(0, len(train_items), config.batch_size)]
                groups = [micro[s: s + config.grad_accum] for s in range(0, len(micro), config.grad_accum)]
                while state.position < len(groups) and state.step < total and not state.stopped_early:
                    began = time.perf_counter()
                    loss = _train_step(model, optimizer, scheduler, groups[state.position], config, objective, pad_id)
                    state.step_time_s += time.perf_counter() - began
                    state.tokens_seen += sum(_length(item) for batch in groups[state.position] for item in batch)
                    state.step, state.position = state.step + 1, state.position + 1
                    state.train_loss.append([state.step, loss])
                    progress.step(state.step, state.epoch, loss)
                    epoch_done = state.position == len(groups)
                    if epoch_done:
                        state.epoch, state.position = state.epoch + 1, 0
                    last = state.step == total
                    if val_items and (epoch_done or last or (config.eval_every and state.step % config.eval_every == 0)):
                        validate(progress)
                    if epoch_done or last or state.stopped_early or (config.save_every and state.step % config.save_every == 0):
                        checkpoints.save_checkpoint(run_dir, model, optimizer, scheduler, snapshot(),
                                                    config.keep_checkpoints)
                    if epoch_done:
                        break
    except BaseException as exc:
        latest = checkpoints.list_checkpoints(run_dir)
        hint = f"; resume with --resume {latest[-1]}" if latest else ""
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
        record.fail(f"{reason} at step {state.step}{hint}", {"train_loss": state.train_loss, "val_loss": state.val_loss})
        if config.progress and hint:
            from rich.console import Console

            (console or Console(stderr=True)).print(f"LoRA run {reason} at step {state.step}{hint}", markup=False)
        raise
    snapshot()
    if config.load_best and state.best_step is not None and state.best_step != state.step:
        load_adapter_state(model, _load_best(run_dir, next(model.parameters()).device))
    model.eval()
    model.save_pretrained(str(run_dir), save_embedding_layers=False)
    tokenizer.save_pretrained(str(run_dir))
    _remove_best(run_dir)
    manifest = _manifest(prepared, record, state)
    record.succeed(manifest)
    return LoraResult(record.run_id, run_dir, manifest, model, tokenizer)


def main(config: LoraTrainConfig, store=None) -> LoraResult:
    """Entry point for Python callers: train (recording the run in `store`) and return the result."""
    return train_lora(config, store=store)


def _length(item) -> int:
    pair = getattr(item, "chosen", None)
    return len(item.input_ids) if pair is None else len(pair.input_ids) + len(item.rejected.input_ids)


def _save_best(model, run_dir: Path) -> None:
    from safetensors.torch import save_file

    from practicum.tuning.lora.model import adapter_state

    target = run_dir / checkpoints.BEST_FILE
    target.parent.mkdir(exist_ok=True)
    tmp = target.with_suffix(".tmp")
    save_file({k: v.contiguous().cpu() for k, v in adapter_state(model).items()}, str(tmp))
    tmp.replace(target)


def _load_best(run_dir: Path, device) -> dict:
    from safetensors.torch import load_file

    return load_file(str(run_dir / checkpoints.BEST_FILE), device=str(device))


def _remove_best(run_dir: Path) -> None:
    import shutil

    shutil.rmtree((run_dir / checkpoints.BEST_FILE).parent, ignore_errors=True)


def _manifest(prepared: Prepared, record: RunRecord, state: LoopState) -> dict:
    config, info, train, resumed = prepared.config, prepared.info, prepared.train, prepared.resumed
    final_step = state.best_step if (config.load_best and state.best_step is not None) else state.step
    return {
        "tuner": "lora", "run_id": record.run_id, "role": config.role, "objective": prepared.objective,
        "base_model": {"path": str(info.path), "name": info.name, "embedded": info.embedded},
        "device": info.device, "dtype": info.dtype, "quantize": info.quantize, "notice": info.notice,
        "data": {"path": str(train.path), "sha256": train.sha256, "train_examples": len(prepared.train_items),
                 "val_examples": len(prepared.val_items), "validation": prepared.val_source,
                 "train_counts": prepared.train_counts, "val_counts": prepared.val_counts},
        "config": config.to_dict(),
        "metrics": {
            "steps": state.step, "planned_steps": prepared.total, "epochs": state.epoch + (state.position > 0),
            "train_loss": state.train_loss, "val_loss": state.val_loss, "val_accuracy": state.val_accuracy,
            "initial_val_loss": state.initial_val_loss, "best_val_loss": state.best_val_loss,
            "best_step": state.best_step, "adapter_step": final_step, "stopped_early": state.stopped_early,
            "wall_time_s": round(state.wall_time_s, 2),
            "steps_per_s": round(state.step / state.wall_time_s, 4) if state.wall_time_s else None,
            "seconds_per_step": round(state.step_time_s / state.step, 3) if state.step else None,
            "eval_time_s": round(state.eval_time_s, 2),
            "train_tokens_per_s": round(state.tokens_seen / state.step_time_s, 1) if state.step_time_s else None,
            "adapter_bytes": directory_bytes(record.run_dir),
            "resumed_from_step": resumed["step"] if resumed else None,
        },
        "versions": versions(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
