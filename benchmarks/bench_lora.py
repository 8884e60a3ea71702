"""Time LoRA training on the embedded model with a real export: MathDial teacher turns as hf-sft.

Run: python benchmarks/bench_lora.py [--steps 30] [--batch-size 4] [--threads N] [--mathdial PATH]
     [--gradient-checkpointing] [--batched] [--json]
Imports the MathDial slice into a temporary PRACTICUM_HOME (the converted model checkpoint is
reused from $PRACTICUM_MODEL_CACHE, else converted once there), exports the teacher turns with
`--format hf-sft`, trains `--steps` optimizer steps on the CPU and prints one table: sequence
lengths, seconds per step, tokens per second, the loss curve's ends, validation before/after,
adapter size, wall time and the process's peak resident memory (`--json`: one JSON line instead).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mathdial" / "dev.jsonl"


def main() -> None:
    """Build the export, train, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mathdial", type=Path, default=DEFAULT.resolve(), help="MathDial JSONL slice")
    parser.add_argument("--steps", type=int, default=30, help="optimizer steps to train")
    parser.add_argument("--batch-size", type=int, default=4, help="sequences per step")
    parser.add_argument("--eval-every", type=int, default=15, help="validate every N steps")
    parser.add_argument("--val-rows", type=int, default=48, help="validation rows used (the first N)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: idle cores, PRACTICUM_THREADS)")
    parser.add_argument("--gradient-checkpointing", action="store_true", help="recompute activations in backward")
    parser.add_argument("--dtype", default="auto",
                        help="base weight dtype, as tune lora --dtype: auto, float32, bfloat16")
    parser.add_argument("--batched", action="store_true", help="pad each batch instead of running rows one by one")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of the table")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PRACTICUM_HOME"] = tmp
        os.environ.setdefault("PRACTICUM_MODEL_CACHE", str(Path.home() / ".practicum" / "models"))
        from practicum.storage.store import Store
        from practicum.tuning.datasets.exporting import ExportSettings, export_dataset
        from practicum.tuning.datasets.importing import import_file
        from practicum.tuning.datasets.selection import ExportFilters
        from practicum.tuning.lora import LoraTrainConfig, train_lora

        store = Store()
        start = time.perf_counter()
        import_file(store, args.mathdial)
        out = Path(tmp) / "teacher.jsonl"
        export_dataset(store, "hf-sft", out, ExportFilters(role="teacher"), ExportSettings(val_fraction=0.1))
        export_s = time.perf_counter() - start
        val = out.with_name("teacher.val.jsonl")
        val.write_text("".join(val.read_text().splitlines(keepends=True)[: args.val_rows]))
        config = LoraTrainConfig(data=str(out), val=str(val), max_steps=args.steps, batch_size=args.batch_size,
                                 eval_every=args.eval_every, threads=args.threads, progress=sys.stderr.isatty() and not args.json,
                                 gradient_checkpointing=args.gradient_checkpointing, row_by_row=not args.batched,
                                 patience=0, dtype=args.dtype)
        result = train_lora(config, store=store)
        store.close()
    if args.json:
        metrics = result.metrics
        print(json.dumps({"seconds_per_step": metrics["seconds_per_step"], "steps": metrics["steps"],
                          "train_tokens_per_s": metrics["train_tokens_per_s"],
                          "train_loss_first": metrics["train_loss"][0][1], "train_loss_last": metrics["train_loss"][-1][1],
                          "tokens_per_example": result.manifest["data"]["train_counts"]["tokens"]
                          / max(1, result.manifest["data"]["train_examples"]),
                          "gradient_checkpointing": args.gradient_checkpointing, "row_by_row": not args.batched,
                          "dtype": result.manifest.get("dtype", args.dtype), "threads": _threads(),
                          "peak_rss_gb_inside": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}))
        return
    show(result, export_s, args)


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def show(result, export_s: float, args) -> None:
    """Print the measurements as a table."""
    metrics, data = result.metrics, result.manifest["data"]
    counts = data["train_counts"]
    curve = [loss for _, loss in metrics["train_loss"]]
    train_s = metrics["wall_time_s"]
    import torch

    table = Table("measure", "value", title=f"LoRA on {result.manifest['base_model']['name']} "
                                            f"({result.manifest['device']}, {torch.get_num_threads()} threads, "
                                            f"r={result.manifest['config']['r']})")
    rows = [
        ("import + export hf-sft (s)", f"{export_s:.1f}"),
        ("train / val examples", f"{data['train_examples']} / {data['val_examples']}"),
        ("tokens per example (mean)", f"{counts['tokens'] / max(1, data['train_examples']):.0f}"),
        ("learned tokens per example", f"{counts['learned_tokens'] / max(1, data['train_examples']):.1f}"),
        ("rows shortened (oldest turns) / dropped", f"{counts['shortened']} / {counts['dropped']}"),
        ("steps x batch", f"{metrics['steps']} x {args.batch_size}"),
        ("wall time incl. validation (s)", f"{train_s:.1f}"),
        ("validation time (s)", f"{metrics['eval_time_s']:.1f}"),
        ("seconds per optimizer step", f"{metrics['seconds_per_step']:.2f}"),
        ("training tokens per second", f"{metrics['train_tokens_per_s']:.0f}"),
        ("steps per second (incl. validation)", f"{metrics['steps_per_s']:.3f}"),
        ("train loss first -> last", f"{curve[0]:.3f} -> {curve[-1]:.3f}"),
        ("train loss mean first 5 -> last 5", f"{statistics.mean(curve[:5]):.3f} -> {statistics.mean(curve[-5:]):.3f}"),
        ("val loss by step", ", ".join(f"{step}: {loss:.3f}" for step, loss in metrics["val_loss"])),
        ("val loss before training", f"{metrics['initial_val_loss']:.3f}"),
        ("adapter size (MB)", f"{metrics['adapter_bytes'] / 1e6:.1f}"),
        ("peak resident memory (GB)", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f}"),
        ("load average (1 min) at the end", f"{os.getloadavg()[0]:.1f}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)


if __name__ == "__main__":
    main()
