"""The tuning loop's data: held-out MathDial problems, and training files of good teaching without them.

Held-out problems are chosen by a seeded hash of their problem text (the same grouping the
exporter's split uses), so a problem tutored by several MathDial teachers is held out whole:
none of its dialogues reaches training. Training data is the `dspy` export of the imported
MathDial teacher turns, filtered here to the wanted human move labels (focus and probing by
default) and to problems outside the held-out set, then written twice: as a `dspy` file for
the DSPy tuner and as an `hf-sft` file for the LoRA tuner, whose prompt is exactly the
running Teacher's messages for that turn (what the `hf-sft` exporter writes).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from practicum.errors import InputError
from practicum.tuning.datasets.export_dspy import FORMAT_NAME, INPUT_KEYS, OUTPUT_KEY, SIGNATURES
from practicum.tuning.datasets.splitting import group_position, problem_key
from practicum.tuning.tuner import TrainingSet

SOURCE = "mathdial"
HELD_OUT_SALT = 7919  # held-out choice is independent of the export's train/validation split


@dataclass
class HeldOut:
    """The held-out problems: one scenario id per problem to simulate on, and every problem key."""

    scenario_ids: list[str]
    problem_keys: set[str]


@dataclass
class TrainingFiles:
    """What the tuners read, and how many examples each side kept."""

    dspy_train: Path
    dspy_val: Path
    sft_train: Path
    sft_val: Path
    counts: dict = field(default_factory=dict)
    sft_format: str = "hf-sft"  # "hf-dpo" when sft_train/sft_val hold preference pairs (tuning/loop_collect.py)

    def training_set(self, formats: tuple[str, ...]) -> TrainingSet:
        """The first of `formats` (a tuner's data_formats) that the loop wrote, as a TrainingSet."""
        written = {"dspy": (self.dspy_train, self.dspy_val), self.sft_format: (self.sft_train, self.sft_val)}
        for fmt in formats:
            if fmt in written:
                return TrainingSet(fmt, *written[fmt])
        raise InputError(f"the loop writes {' and '.join(written)} training files; this tuner reads "
                         f"{', '.join(formats)}")


def import_mathdial(store, path: str | Path) -> dict:
    """Import the MathDial file as transcripts (records already imported are skipped); return counts."""
    from practicum.tuning.datasets.importing import import_file

    report = import_file(store, path, fmt="mathdial", source=SOURCE)
    return {"imported": len(report.imported), "already_imported": len(report.duplicates),
            "skipped": len(report.skipped)}


def choose_held_out(path: str | Path, count: int, seed: int = 0) -> HeldOut:
    """Pick `count` MathDial problems by a seeded hash; the first dialogue of each gives the scenario."""
    from practicum.scenarios.mathdial import read_mathdial

    first: dict[str, str] = {}
    for _, record in read_mathdial(path):
        if isinstance(record, InputError):
            continue
        first.setdefault(problem_key(record.scenario), record.scenario.id)
    if len(first) < count + 2:
        raise InputError(f"{path}: {len(first)} problems; holding out {count} leaves too few to train on")
    ranked = sorted(first, key=lambda key: (group_position(key, seed + HELD_OUT_SALT), key))[:count]
    return HeldOut([first[key] for key in ranked], set(ranked))


def _document(examples: list[dict]) -> dict:
    return {"format": FORMAT_NAME, "role": "teacher", "signature": SIGNATURES["teacher"],
            "input_keys": list(INPUT_KEYS), "output_key": OUTPUT_KEY, "examples": examples}


def sft_row(example: dict) -> dict:
    """An hf-sft row for one DSPy example: the Teacher's prompt for that turn and the reply to learn."""
    from practicum.agents.dspy_bridge import PlainChatAdapter
    from practicum.agents.roles import TeacherTurn

    inputs = {key: example[key] for key in INPUT_KEYS}
    prompt = PlainChatAdapter("teacher").format(TeacherTurn, [], inputs)
    return {"prompt": prompt, "completion": [{"role": "assistant", "content": example[OUTPUT_KEY]}]}


def build_training_files(store, out_dir: str | Path, held_out: HeldOut, moves: tuple[str, ...],
                         seed: int = 0, max_val: int = 48) -> TrainingFiles:
    """Export MathDial teacher turns, keep the wanted moves outside the held-out problems, write both formats."""
    from practicum.tuning.datasets.exporting import ExportSettings, export_dataset
    from practicum.tuning.datasets.selection import ExportFilters

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    exported = export_dataset(store, "dspy", out_dir / "mathdial-teacher.dspy.json",
                              ExportFilters(role="teacher", sources=[SOURCE]), ExportSettings(val_fraction=0.1, seed=seed))
    problems: dict[str, str] = {}

    def keep(example: dict) -> bool:
        meta = example.get("meta") or {}
        scenario_id = meta.get("scenario_id", "")
        if scenario_id not in problems:
            problems[scenario_id] = problem_key(store.get_scenario(scenario_id))
        return meta.get("move") in moves and problems[scenario_id] not in held_out.problem_keys

    sides: dict[str, list[dict]] = {}
    excluded = 0
    for side in ("train", "validation"):
        path = exported.files.get(side)
        rows = json.loads(Path(path).read_text(encoding="utf-8"))["examples"] if path else []
        sides[side] = [row for row in rows if keep(row)]
        excluded += sum(1 for row in rows if (row.get("meta") or {}).get("scenario_id") and
                        problems.get(row["meta"]["scenario_id"]) in held_out.problem_keys)
    if len(sides["validation"]) > max_val:
        sides["validation"] = random.Random(seed).sample(sides["validation"], max_val)
    if not sides["train"] or not sides["validation"]:
        raise InputError(f"no {'/'.join(moves)} teacher turns left to train on after holding out "
                         f"{len(held_out.problem_keys)} problems")
    files = TrainingFiles(out_dir / "good-teaching.dspy.json", out_dir / "good-teaching.dspy.val.json",
                          out_dir / "good-teaching.sft.jsonl", out_dir / "good-teaching.sft.val.jsonl")
    for side, dspy_path, sft_path in (("train", files.dspy_train, files.sft_train),
                                      ("validation", files.dspy_val, files.sft_val)):
        dspy_path.write_text(json.dumps(_document(sides[side]), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        sft_path.write_text("".join(json.dumps(sft_row(e), ensure_ascii=False) + "\n" for e in sides[side]),
                            encoding="utf-8")
    files.counts = {"exported": {k: v["examples"] for k, v in exported.counts.items() if k in ("train", "validation")},
                    "train": len(sides["train"]), "validation": len(sides["validation"]),
                    "held_out_turns_excluded": excluded, "moves": list(moves), "dataset_id": exported.dataset_id}
    return files
