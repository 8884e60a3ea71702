"""Time the dataset pipeline on the MathDial slice: import, every export format, validation.

Run: python benchmarks/bench_datasets.py [PATH_TO_MATHDIAL_JSONL]
Prints one row per step with wall time, records and output size. Uses an in-memory store and a
temporary directory; preference formats get a few scored rewrites so that they have rows.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from practicum.storage.candidates import save_rewrite
from practicum.storage.store import Store
from practicum.tuning.datasets.exporting import FORMATS, ExportSettings, export_dataset
from practicum.tuning.datasets.importing import import_file
from practicum.tuning.datasets.selection import ExportFilters
from practicum.tuning.datasets.validation import validate_file

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mathdial" / "dev.jsonl"


def main(path: Path) -> None:
    """Run every step once and print the table."""
    table = Table("step", "seconds", "records", "bytes")
    store = Store(memory=True)
    start = time.perf_counter()
    report = import_file(store, path)
    table.add_row("import mathdial", f"{time.perf_counter() - start:.2f}", str(len(report.imported)), "")
    teacher_turns = store.db.execute("select session_id, idx from turns where role = 'teacher' and idx = 0").fetchall()
    for session_id, idx in teacher_turns[:50]:
        save_rewrite(store, session_id, idx, "Can you tell me how you got your answer?", author="bench")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in FORMATS:
            out = Path(tmp) / f"{fmt}.jsonl"
            start = time.perf_counter()
            result = export_dataset(store, fmt, out, ExportFilters(), ExportSettings(val_fraction=0.1))
            seconds = time.perf_counter() - start
            examples = result.counts["train"]["examples"] + result.counts.get("validation", {}).get("examples", 0)
            size = sum(Path(p).stat().st_size for p in result.files.values())
            table.add_row(f"export {fmt}", f"{seconds:.2f}", str(examples), str(size))
            if fmt in ("openai-sft", "openai-dpo", "hf-sft"):
                start = time.perf_counter()
                checked = validate_file(out, fmt)
                table.add_row(f"validate {fmt}", f"{time.perf_counter() - start:.2f}", str(checked.n_examples),
                              str(checked.tokens.get("total", "")) + (" tokens" if checked.tokens else ""))
    Console().print(table)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
