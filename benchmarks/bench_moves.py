"""Throughput of the teacher-move classifier on the CPU: teacher turns per minute, cold caches.

Run: python benchmarks/bench_moves.py [PATH_TO_MATHDIAL_JSONL] [--threads N]
Predicts every teacher turn of the file with the packaged classifier, starting from an empty
embedding cache (every turn and its context texts are embedded), and prints one row per stage:
model load, cues only, embeddings, full prediction, and session metrics on stored sessions.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mathdial" / "dev.jsonl"


def main(path: Path, threads: int | None) -> None:
    """Time each stage once and print the table."""
    import torch

    from practicum.storage.store import Store
    from practicum.tuning.datasets.importing import import_file
    from practicum.evaluation.compute import ensure_metrics
    from practicum.evaluation.move_classifier import cue_matrix
    from practicum.evaluation.move_training import load_classifier, load_labelled_turns
    from practicum.evaluation.sentence_encoder import SentenceEncoder, _load, encoder_path

    if threads:
        torch.set_num_threads(threads)
    data = load_labelled_turns(path)
    contexts = data.contexts
    n = len(contexts)
    classifier = load_classifier(encoder=SentenceEncoder())
    fields = ("text", "prev_teacher") + (("prev_student",) if classifier.config.embed_student else ())
    texts = {getattr(c, f) for c in contexts for f in fields if getattr(c, f)}
    table = Table("stage", "teacher turns", "wall s", "turns / wall min", "CPU s", "turns / CPU min",
                  title=f"{path.name}, {torch.get_num_threads()} torch threads, {len(texts)} distinct texts, "
                        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    clock = {}

    def row(stage, count, seconds):
        cpu = time.process_time() - clock["cpu"]
        table.add_row(stage, str(count), f"{seconds:.2f}", f"{count / seconds * 60:,.0f}" if count else "",
                      f"{cpu:.2f}", f"{count / cpu * 60:,.0f}" if count and cpu else "")

    def start_clock():
        clock["cpu"] = time.process_time()
        return time.perf_counter()

    start = start_clock()
    _load(encoder_path())
    classifier = load_classifier(encoder=SentenceEncoder())
    row("load model + classifier", 0, time.perf_counter() - start)
    start = start_clock()
    cue_matrix(contexts)
    row("cues only", n, time.perf_counter() - start)
    start = start_clock()
    SentenceEncoder().encode(sorted(texts))
    row("embeddings only (cold)", n, time.perf_counter() - start)
    start = start_clock()
    classifier.predict(contexts)
    row("predict (cold cache)", n, time.perf_counter() - start)
    start = start_clock()
    classifier.predict(contexts)
    row("predict (warm cache)", n, time.perf_counter() - start)
    store = Store(memory=True)
    ids = [session_id for _, session_id in import_file(store, path).imported]
    classifier = load_classifier(encoder=SentenceEncoder())
    start = start_clock()
    ensure_metrics(store, ids, classifier)
    row(f"metrics of {len(ids)} stored sessions", n, time.perf_counter() - start)
    Console().print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT, help="MathDial-format .jsonl")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    main(args.path.resolve(), args.threads)
