"""Speed on this machine, side by side, with the load average next to every number.

    python benchmarks/bench_speed.py                    # everything (tens of minutes on a busy 2-core machine)
    python benchmarks/bench_speed.py --skip-batched --skip-lora      # single stream and practice latency only

1. Single-stream decode: the transformers engine (default dtype, chosen threads) against llama.cpp on
   the same GGUF (`local:engine=llamacpp`: its float16 rewrite and the Q4_1 file as is, when the
   `[llamacpp]` extra is installed), interleaved
   prompt by prompt so both see the same load; greedy agreement between them, and between the
   default dtype and float32 when they differ.
2. Batched generation at 1/4/8/16 concurrent sessions in the default dtype (benchmarks/generation.py).
3. Practice: the student's reply latency (p50/p95) with the default agents, the way the TUI asks it
   (a trainee's fixed teacher lines, `local` student, default options: its first sentence the fidelity
   gate accepts), without a sentence budget (`local:sentences=off`, the student before 2026-12-04),
   and on each engine.
4. LoRA: seconds per optimizer step and peak resident memory of `benchmarks/bench_lora.py --json`
   (MathDial teacher rows, 3 steps, batch 2), measured from outside its process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)

TEACHER_LINES = [  # what a trainee types in practice (fixed, so every engine answers the same thing)
    "Can you tell me how you got that answer?",
    "What does the bottom number of a fraction tell you?",
    "Are those pieces the same size?",
    "How could we check if your answer makes sense?",
    "What would you try next?",
    "Can you explain that step again in your own words?",
]
SCENARIOS = ["fractions-unlike-denominators", "density-floating", "reading-main-idea"]


def load() -> str:
    """The 1-minute load average, formatted."""
    return f"{os.getloadavg()[0]:.1f}"


def machine_line() -> str:
    """CPU, cores, fast-bf16 flags, chosen dtype and threads."""
    from generation import machine

    from practicum.agents.backends.local import default_dtype, dtype_reason
    from practicum.agents.backends.threads import choose_threads

    dtype = default_dtype()
    return f"{machine()}; default dtype {dtype} ({dtype_reason(dtype)}); {choose_threads().describe()}"


def engines(include_llamacpp: bool) -> dict:
    """The backends to compare: the default transformers engine, float32 if that differs, llama.cpp if installed."""
    from practicum.agents.backends.llamacpp import llamacpp_available
    from practicum.agents.backends.local import LocalBackend, default_dtype

    found = {f"transformers {default_dtype()}": LocalBackend()}
    if default_dtype() != "float32":
        found["transformers float32"] = LocalBackend(dtype="float32")
    if include_llamacpp and llamacpp_available():
        from practicum.agents.backends.llamacpp import LlamaCppBackend

        found["llama.cpp (float16 rewrite of the GGUF)"] = LlamaCppBackend()
        found["llama.cpp (the Q4_1 GGUF as is)"] = LlamaCppBackend(weights="gguf")
    for backend in found.values():
        if hasattr(backend, "prefix_cache"):
            backend.prefix_cache.max_bytes = 0  # fresh prompts: measure decode, not reuse
    return found


def single_stream(backends: dict, prompts: int, max_tokens: int) -> list[dict]:
    """Greedy replies to the same prompts on each engine, interleaved; tokens/s and agreement."""
    from practicum.agents.backends.base import GenerationOptions
    from practicum.agents.roles import Student, Teacher
    from practicum.scenarios.files import get_builtin

    requests = []
    for name in SCENARIOS:
        scenario = get_builtin(name)
        for role in (Teacher(), Student()):
            requests.append(role.messages(scenario, []))
    requests = (requests * prompts)[:prompts]
    greedy = GenerationOptions(max_tokens=max_tokens, temperature=0.0)
    for backend in backends.values():
        backend.complete([{"role": "user", "content": "Hello"}], GenerationOptions(max_tokens=4, temperature=0))
    first_token = GenerationOptions(max_tokens=1, temperature=0.0)
    stats = {name: {"tokens": 0, "seconds": 0.0, "prefill": 0.0, "texts": [], "loads": []} for name in backends}
    for messages in requests:
        for name, backend in backends.items():
            forget = getattr(backend, "forget_prefixes", None)
            if forget:
                forget()
            start = time.perf_counter()
            backend.complete(messages, first_token)  # the prompt's prefill and one token
            stats[name]["prefill"] += time.perf_counter() - start
            if forget:
                forget()
            start = time.perf_counter()
            completion = backend.complete(messages, greedy)
            stats[name]["seconds"] += time.perf_counter() - start
            stats[name]["tokens"] += completion.usage.completion_tokens
            stats[name]["texts"].append(completion.text)
            stats[name]["loads"].append(os.getloadavg()[0])
    first = next(iter(stats))
    rows = []
    for name, s in stats.items():
        decode_s = max(1e-9, s["seconds"] - s["prefill"])
        rows.append({"engine": name, "tokens": s["tokens"], "seconds": s["seconds"], "prefill_s": s["prefill"] / len(requests),
                     "tokens_per_s": s["tokens"] / s["seconds"],
                     "decode_tokens_per_s": max(0, s["tokens"] - len(requests)) / decode_s,
                     "agree_with_first": sum(a == b for a, b in zip(s["texts"], stats[first]["texts"])) / len(requests),
                     "load": statistics.mean(s["loads"])})
    return rows


def practice_latency(specs: list[str], turns: int) -> list[dict]:
    """Student reply latency the way TUI practice asks it: the default student agent (SpeakerBuilder: packaged
    adapter and fidelity gate where they apply), default options, a trainee's fixed teacher lines, seeded."""
    from practicum.agents.session import SessionOptions
    from practicum.agents.speakers import SpeakerBuilder
    from practicum.records import Turn
    from practicum.scenarios.files import get_builtin

    options = SessionOptions().student_options
    rows = []
    for spec in specs:
        builder = SpeakerBuilder(None)
        warm = builder.speaker("student", spec, options)
        warm.reply(get_builtin(SCENARIOS[0]), [Turn(0, "teacher", "Hello.")], seed=1)  # load before timing
        latencies, tokens, loads = [], [], []
        for scenario_id in SCENARIOS:
            scenario = get_builtin(scenario_id)
            student = builder.speaker("student", spec, options)
            history: list[Turn] = []
            for k in range(turns):
                history.append(Turn(len(history), "teacher", TEACHER_LINES[k % len(TEACHER_LINES)]))
                start = time.perf_counter()
                reply = student.reply(scenario, history, seed=1000 + k)
                latencies.append(time.perf_counter() - start)
                tokens.append(reply.completion_tokens)
                loads.append(os.getloadavg()[0])
                history.append(Turn(len(history), "student", reply.text or "I don't know."))
        latencies.sort()
        rows.append({"engine": f"{spec} (gate {getattr(warm, 'gate', 0)})", "replies": len(latencies),
                     "p50": statistics.median(latencies),
                     "p95": latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))],
                     "mean_tokens": statistics.mean(tokens), "load": statistics.mean(loads)})
    return rows


def batched(concurrencies: list[int], sessions: int, turns: int) -> list[dict]:
    """generation.py's local part in the default dtype."""
    from generation import local_part

    from practicum.agents.backends.local import default_dtype

    return local_part(concurrencies, sessions, turns, default_dtype())


def lora(steps: int, batch_size: int, extra: list[str]) -> dict:
    """bench_lora.py --json in a child process; its peak RSS from outside (RUSAGE_CHILDREN)."""
    from practicum.agents.backends.threads import choose_threads

    before = os.getloadavg()[0]
    # The child would count the load this benchmark left (single stream, practice) as someone else's work; the
    # threads are chosen here, where that share is known to be this process's own.
    threads = [] if "--threads" in extra else ["--threads", str(choose_threads().threads)]
    command = [sys.executable, str(HERE / "bench_lora.py"), "--steps", str(steps), "--batch-size", str(batch_size),
               "--val-rows", "4", "--eval-every", "0", "--json", *threads, *extra]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["peak_rss_gb_outside"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6
    result["load"] = (before + os.getloadavg()[0]) / 2
    return result


def main(argv: list[str] | None = None) -> None:
    """Run the parts asked for and print one table each."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=6, help="single-stream prompts per engine")
    parser.add_argument("--max-tokens", type=int, default=48, help="single-stream reply length cap")
    parser.add_argument("--practice-turns", type=int, default=4, help="student replies per scenario (3 scenarios)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8, 16], help="batched concurrencies")
    parser.add_argument("--lora-steps", type=int, default=3, help="LoRA optimizer steps")
    parser.add_argument("--lora-extra", nargs="*", default=[], help="extra bench_lora.py options, e.g. --gradient-checkpointing")
    parser.add_argument("--practice-specs", nargs="+", default=None,
                        help="student specs to time in practice (default: local, local:sentences=off, and with the "
                             "llamacpp extra local:engine=llamacpp with and without sentences=off and weights=gguf)")
    parser.add_argument("--skip-llamacpp", action="store_true", help="do not compare with llama.cpp")
    parser.add_argument("--skip-practice", action="store_true", help="skip the practice latency part")
    parser.add_argument("--skip-batched", action="store_true", help="skip the batched generation part")
    parser.add_argument("--skip-lora", action="store_true", help="skip the LoRA part")
    args = parser.parse_args(argv)

    console.print(f"[bold]practicum speed[/bold] on {machine_line()}; load {load()} at start")
    found = engines(not args.skip_llamacpp)
    rows = single_stream(found, args.prompts, args.max_tokens)
    table = Table("engine", "tokens", "prefill s/prompt", "decode tokens/s", "decode vs first", "end-to-end tokens/s",
                  "same greedy text as first", "load avg",
                  title=f"Single stream, greedy, {args.prompts} role prompts, up to {args.max_tokens} tokens each")
    for r in rows:
        table.add_row(r["engine"], str(r["tokens"]), f"{r['prefill_s']:.2f}", f"{r['decode_tokens_per_s']:.1f}",
                      f"{r['decode_tokens_per_s'] / rows[0]['decode_tokens_per_s']:.2f}x", f"{r['tokens_per_s']:.1f}",
                      f"{r['agree_with_first']:.0%}", f"{r['load']:.1f}")
    console.print(table)
    if not args.skip_practice:
        table = Table("engine", "replies", "p50 s", "p95 s", "mean tokens", "load avg",
                      title="Practice: student reply latency (default student agent and options, prefix cache on)")
        llama = ["local:engine=llamacpp", "local:engine=llamacpp,sentences=off", "local:engine=llamacpp,weights=gguf"]
        specs = args.practice_specs or (["local", "local:sentences=off"]
                                        + (llama if any("llama" in name for name in found) else []))
        for r in practice_latency(specs, args.practice_turns):
            table.add_row(r["engine"], str(r["replies"]), f"{r['p50']:.2f}", f"{r['p95']:.2f}",
                          f"{r['mean_tokens']:.1f}", f"{r['load']:.1f}")
        console.print(table)
    if not args.skip_batched:
        rows = batched(args.concurrency, 8, 4)
        base = statistics.mean([r["tokens_per_s"] for r in rows if r["concurrency"] == 1] or [rows[0]["tokens_per_s"]])
        table = Table("concurrent sessions", "turns", "wall s", "tokens/s", "vs sequential", "load avg",
                      title=f"Batched generation, {rows[0]['dtype']} (8 sessions x 4 turns; 16 at c=16)")
        for r in rows:
            table.add_row(str(r["concurrency"]), str(r["turns"]), f"{r['wall_s']:.1f}", f"{r['tokens_per_s']:.1f}",
                          f"{r['tokens_per_s'] / base:.2f}x", f"{r['load']:.1f}")
        console.print(table)
    if not args.skip_lora:
        r = lora(args.lora_steps, 2, args.lora_extra)
        table = Table("measure", "value", title="LoRA on MathDial teacher rows (bench_lora.py, batch 2)")
        for key, value in r.items():
            table.add_row(key, f"{value:.2f}" if isinstance(value, float) else str(value))
        console.print(table)
    console.print(f"load {load()} at the end")


if __name__ == "__main__":
    main()
