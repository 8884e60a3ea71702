"""The loop's own training data: judge-scored best-of-n candidates on training problems, as SFT rows and DPO pairs.

With `--best-of N --collect K`, the loop simulates the base teacher with `best_of=N` on K MathDial
problems outside the held-out set (the next ones in the held-out ranking, so the choice is seeded and
never overlaps). Every candidate is stored with the judge's ratings (agents/best_of.py), so:
- the turns the judge kept become SFT rows beside MathDial's human focus/probing turns;
- chosen-vs-rejected pairs of candidates at one turn (`hf-dpo`, the judge's mean scores at least
  `min_margin` apart) are what `--objective dpo` trains on. A person's rating of a candidate (TUI
  review) outranks the judge's (storage/candidates.current_candidate_scores).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from practicum.errors import InputError
from practicum.tuning.loop_data import HELD_OUT_SALT, HeldOut, TrainingFiles

PAIR_MARGIN = 0.5  # DPO pairs need the judge's mean scores (rubric scale) at least this far apart


@dataclass
class Collected:
    """What the collection run gave: its sessions and the files written from them."""

    run_id: int
    session_ids: list[int]
    chosen_sft: Path
    pairs_train: Path
    pairs_val: Path
    counts: dict = field(default_factory=dict)


def training_scenarios(path: str | Path, held_out: HeldOut, count: int, seed: int = 0) -> list[str]:
    """`count` MathDial problems outside the held-out set (the held-out ranking's next ones): one scenario each."""
    from practicum.scenarios.mathdial import read_mathdial
    from practicum.tuning.datasets.splitting import group_position, problem_key

    first: dict[str, str] = {}
    for _, record in read_mathdial(path):
        if isinstance(record, InputError):
            continue
        first.setdefault(problem_key(record.scenario), record.scenario.id)
    ranked = sorted(first, key=lambda key: (group_position(key, seed + HELD_OUT_SALT), key))
    chosen = [first[key] for key in ranked if key not in held_out.problem_keys][:count]
    if len(chosen) < count:
        raise InputError(f"{path}: only {len(chosen)} problems outside the held-out set; --collect asks {count}")
    return chosen


def write_collected(store, run_id: int, session_ids: list[int], out_dir: str | Path, seed: int = 0,
                    min_margin: float = PAIR_MARGIN) -> Collected:
    """Export the collection run's kept teacher turns (hf-sft) and its candidate pairs (hf-dpo)."""
    from practicum.tuning.datasets.exporting import ExportSettings, export_dataset
    from practicum.tuning.datasets.selection import ExportFilters

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    filters = ExportFilters(role="teacher", run_ids=[run_id])
    sft = export_dataset(store, "hf-sft", out_dir / "chosen.sft.jsonl", filters,
                         ExportSettings(val_fraction=0.0, seed=seed))
    pairs = export_dataset(store, "hf-dpo", out_dir / "pairs.dpo.jsonl", filters,
                           ExportSettings(val_fraction=0.1, seed=seed, min_margin=min_margin))
    counts = {"sessions": len(session_ids), "chosen_rows": sft.counts.get("train", {}).get("examples", 0),
              "pairs": {side: pairs.counts.get(side, {}).get("examples", 0) for side in ("train", "validation")}}
    return Collected(run_id, session_ids, Path(sft.files["train"]), Path(pairs.files["train"]),
                     Path(pairs.files.get("validation") or pairs.files["train"]), counts)


def merge_into(files: TrainingFiles, collected: Collected, objective: str, out_dir: str | Path) -> TrainingFiles:
    """The training files the LoRA tuner reads: SFT adds the judge-kept turns to MathDial's; DPO trains on the pairs."""
    out_dir = Path(out_dir)
    if objective == "dpo":
        if not _rows(collected.pairs_train):
            raise InputError("the collection run gave no preference pairs (no two candidates at a turn were scored "
                             f"{PAIR_MARGIN}+ apart); collect more problems or raise --best-of")
        return TrainingFiles(files.dspy_train, files.dspy_val, collected.pairs_train, collected.pairs_val,
                             {**files.counts, "objective": "dpo", "collected": collected.counts}, sft_format="hf-dpo")
    merged = out_dir / "good-teaching+chosen.sft.jsonl"
    merged.write_text(files.sft_train.read_text(encoding="utf-8") + collected.chosen_sft.read_text(encoding="utf-8"),
                      encoding="utf-8")
    return TrainingFiles(files.dspy_train, files.dspy_val, merged, files.sft_val,
                         {**files.counts, "objective": "sft", "collected": collected.counts,
                          "train": files.counts.get("train", 0) + len(_rows(collected.chosen_sft))})


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
