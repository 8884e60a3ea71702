"""The loop's collection: best-of-n candidates stored with their scores become SFT rows (the kept turns) and DPO pairs."""

from __future__ import annotations

import json

import pytest

from practicum.agents.best_of import Ranked
from practicum.agents.runs.generation import drive_run
from practicum.errors import InputError
from practicum.storage.candidates import list_candidates
from practicum.storage.metrics_queries import select_session_ids
from practicum.tuning.loop_collect import merge_into, write_collected
from practicum.tuning.loop_config import LoopConfig
from practicum.tuning.loop_data import TrainingFiles


def score_of(text: str) -> int:
    """A deterministic 1-5 'judge': how many distinct letters the reply uses, bucketed."""
    return 1 + len(set(text.lower()) & set("abcdefghijklmnopqrstuvwxyz")) % 5


class LetterRanker:
    rater = "judge:letters@1"

    def rank(self, scenario, history, texts):
        return [Ranked(score_of(t), [("guidance", float(score_of(t)), "letters")]) for t in texts]


def _lines(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture
def collected(store, tmp_path):
    from practicum.agents.runs.generation import start_run
    from practicum.agents.runs.plan import RunConfig
    from practicum.scenarios.files import get_builtin

    ids = ["fractions-unlike-denominators", "photosynthesis-plant-mass"]
    run_id = start_run(store, RunConfig(scenarios=",".join(ids), scenario_ids=ids, teacher="scripted:vary=1,best_of=4",
                                        student="scripted:vary=1", max_turns=6, concurrency=2, seed=5),
                       [get_builtin(i) for i in ids])
    drive_run(store, run_id, make_ranker=lambda role: LetterRanker())
    ids = select_session_ids(store, run_ids=[run_id])
    return run_id, ids, write_collected(store, run_id, ids, tmp_path / "collected", min_margin=1.0)


def test_every_candidate_is_stored_and_the_kept_turn_is_the_best_ranked(store, collected):
    _, ids, _ = collected
    teacher_turns = [t for sid in ids for t in store.get_turns(sid) if t["role"] == "teacher"]
    assert len(teacher_turns) == 6
    for sid in ids:
        for turn in (t for t in store.get_turns(sid) if t["role"] == "teacher"):
            candidates = list_candidates(store, sid, turn["idx"])
            assert len(candidates) == 4 and all(c["author"] == "judge:letters@1" for c in candidates)
            assert score_of(turn["text"]) == max(score_of(c["text"]) for c in candidates)
            (kept,) = [c for c in candidates if c["note"].endswith("kept")]
            assert kept["text"] == turn["text"]


def test_pairs_prefer_the_higher_scored_candidate_and_sft_rows_are_the_kept_turns(store, collected):
    _, ids, result = collected
    pairs = _lines(result.pairs_train) + (_lines(result.pairs_val) if result.pairs_val != result.pairs_train else [])
    assert pairs and result.counts["pairs"]["train"] + result.counts["pairs"]["validation"] == len(pairs)
    for row in pairs:
        chosen, rejected = row["chosen"][-1]["content"], row["rejected"][-1]["content"]
        assert score_of(chosen) - score_of(rejected) >= 1
    kept = {t["text"] for sid in ids for t in store.get_turns(sid) if t["role"] == "teacher"}
    sft = _lines(result.chosen_sft)
    assert sorted(r["completion"][-1]["content"] for r in sft) == sorted(kept)


def test_a_person_s_score_outranks_the_judge_s(store, collected):
    from practicum.storage.candidates import current_candidate_scores, rate_candidate

    _, ids, _ = collected
    candidate = list_candidates(store, ids[0], 0)[0]
    rate_candidate(store, candidate["id"], rater="ana", dimension="guidance", score=5.0)
    assert current_candidate_scores(store, ids)[candidate["id"]] == 5.0
    assert current_candidate_scores(store, ids, rater="judge:letters@1")[candidate["id"]] == score_of(candidate["text"])


def test_merge_adds_kept_turns_to_sft_and_dpo_trains_on_pairs(tmp_path, collected):
    *_, result = collected
    sft = tmp_path / "good.sft.jsonl"
    sft.write_text('{"prompt": [], "completion": [{"role": "assistant", "content": "How?"}]}\n', encoding="utf-8")
    files = TrainingFiles(tmp_path / "d.json", tmp_path / "d.val.json", sft, sft, {"train": 1})
    merged = merge_into(files, result, "sft", tmp_path)
    assert len(_lines(merged.sft_train)) == 1 + len(_lines(result.chosen_sft)) == merged.counts["train"]
    assert merged.training_set(("hf-sft", "hf-dpo")).fmt == "hf-sft"
    dpo = merge_into(files, result, "dpo", tmp_path)
    assert dpo.training_set(("hf-sft", "hf-dpo")).fmt == "hf-dpo" and dpo.sft_train == result.pairs_train
    empty = tmp_path / "none.dpo.jsonl"
    empty.write_text("", encoding="utf-8")
    result.pairs_train = empty
    with pytest.raises(InputError, match="no preference pairs"):
        merge_into(files, result, "dpo", tmp_path)


@pytest.mark.parametrize("options,field", [
    ({"best_of": 4}, "best_of and collect"), ({"best_of": 1, "collect": 3}, "best_of"),
    ({"objective": "dpo"}, "objective"), ({"objective": "kto"}, "objective"),
])
def test_loop_config_names_bad_collection_options(mathdial_path, options, field):
    with pytest.raises(InputError, match=field):
        LoopConfig(data=str(mathdial_path), **options).check()
