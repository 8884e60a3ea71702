"""Throughput of the packaged pedagogical judge on the CPU: tutor responses judged per minute.

Run: python benchmarks/bench_judge.py [PATH_TO_MRBENCH_JSON] [--threads N] [--limit N]
Judges every response of the file (dialogue + response, labels unread) and prints one row per
stage: loading the judge, the cues alone, and the full judgement, with wall and CPU time and the
load average, since the 2 cores here are shared. The target is 1,000 responses per minute.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mrbench" / "mrbench_v3_dev.json"


def main(path: Path, threads: int | None, limit: int | None) -> None:
    """Time each stage once and print the table."""
    import torch

    from practicum.evaluation.judge_features import feature_rows
    from practicum.evaluation.judge_model import load_judge
    from practicum.evaluation.mrbench import read_mrbench

    if threads:
        torch.set_num_threads(threads)
    examples = read_mrbench(path)[:limit]
    n = len(examples)
    contexts, responses, answers = [e.turns for e in examples], [e.response for e in examples], [e.answer for e in examples]
    rows = []
    clock = {}

    def start_clock():
        clock["cpu"] = time.process_time()
        return time.perf_counter()

    def row(stage, count, seconds):
        cpu = time.process_time() - clock["cpu"]
        rows.append((stage, str(count), f"{seconds:.2f}", f"{count / seconds * 60:,.0f}" if count else "",
                     f"{cpu:.2f}", f"{count / cpu * 60:,.0f}" if count and cpu else "", f"{os.getloadavg()[0]:.1f}"))

    start = start_clock()
    judge = load_judge()
    row("load judge", 0, time.perf_counter() - start)
    start = start_clock()
    feature_rows(zip(contexts, responses, answers))
    row("cues only", n, time.perf_counter() - start)
    start = start_clock()
    judge.score(contexts, responses, answers)
    row("judge (all dimensions)", n, time.perf_counter() - start)
    table = Table("stage", "responses", "wall s", "responses / wall min", "CPU s", "responses / CPU min",
                  "load avg (1 min)",
                  title=f"{path.name}: {judge.rater}, {len(judge.classes)} dimensions x 3 linear views, "
                        f"{torch.get_num_threads()} torch threads on {os.cpu_count()} CPUs")
    for values in rows:
        table.add_row(*values)
    Console().print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT, help="MRBench .json file (either layout)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--limit", type=int, help="judge only the first N responses")
    args = parser.parse_args()
    main(args.path.resolve(), args.threads, args.limit)
