"""OpenAI jobs as tuning_runs rows: validate, upload, create, follow each transition, fail, cancel, restart."""

from __future__ import annotations

import logging

import pytest

from practicum.errors import InputError
from practicum.storage.store import Store
from practicum.storage.tuning_runs import get_tuning_run
from practicum.tuning.openai_ft import jobs
from practicum.tuning.openai_ft.client import FineTuningClient, FineTuningError
from practicum.tuning.openai_ft.plan import JobRequest, plan_job
from tests.fakes.fine_tuning_data import dpo_records, sft_records, write_jsonl
from tests.fakes.openai_server import FakeOpenAIServer

KEY = "sk-ft-jobs-SECRET-5150"
MODEL = "gpt-4o-mini-2024-07-18"


@pytest.fixture
def server():
    with FakeOpenAIServer(api_key=KEY) as fake:
        yield fake


@pytest.fixture
def client(server):
    ft = FineTuningClient(server.base_url, KEY, backoff_base=0.001)
    ft._sleep = lambda seconds: None
    yield ft
    ft.close()


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "practicum.db"


@pytest.fixture
def file_store(db_path):
    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture
def train(tmp_path):
    return write_jsonl(tmp_path / "train.jsonl", sft_records(12))


@pytest.fixture
def valid(tmp_path):
    return write_jsonl(tmp_path / "valid.jsonl", sft_records(3))


def test_start_and_every_transition_is_in_the_row(server, client, file_store, train, valid):
    plan = plan_job(JobRequest(train, valid, model=MODEL, suffix="tutor", seed=11, epochs=2, batch_size=4,
                               learning_rate_multiplier=0.5))
    assert plan.method == "supervised" and plan.cost["epochs"] == 2 and plan.cost["usd"] > 0

    run_id = jobs.start_job(file_store, client, plan)

    row = get_tuning_run(file_store, run_id)
    fine_tuning = server.fine_tuning
    (job_id,) = fine_tuning.jobs
    assert (row["tuner"], row["status"], row["external_id"]) == ("openai", "validating_files", job_id)
    assert row["base_model"] == MODEL and row["dataset_path"] == str(train) and len(row["data_hash"]) == 64
    uploads = [f.id for f in fine_tuning.files.values()]
    assert [f.purpose for f in fine_tuning.files.values()] == ["fine-tune", "fine-tune"]
    assert (row["details"]["training_file_id"], row["details"]["validation_file_id"]) == tuple(uploads)
    assert row["config"]["hyperparameters"] == {"n_epochs": 2, "batch_size": 4, "learning_rate_multiplier": 0.5}
    assert row["config"]["base_url"] == server.base_url and row["details"]["estimated_cost"] == plan.cost
    (body,) = fine_tuning.created_jobs()
    assert body == {
        "model": MODEL, "training_file": uploads[0], "validation_file": uploads[1], "suffix": "tutor", "seed": 11,
        "method": {"type": "supervised", "supervised": {"hyperparameters": {
            "n_epochs": 2, "batch_size": 4, "learning_rate_multiplier": 0.5}}},
    }

    statuses = []
    for _ in range(5):
        row = jobs.sync_job(file_store, client, run_id)
        statuses.append((row["status"], len(row["details"].get("metrics", []))))
        assert get_tuning_run(file_store, run_id)["status"] == row["status"]  # persisted, not just returned
    assert statuses == [("queued", 0), ("running", 0), ("running", 1), ("running", 2), ("succeeded", 3)]

    assert row["result_model"] == fine_tuning.jobs[job_id].fine_tuned_model and row["result_model"].startswith("ft:")
    assert row["details"]["trained_tokens"] == fine_tuning.jobs[job_id].trained_tokens > 0
    assert row["details"]["hyperparameters"]["n_epochs"] == 2 and row["error"] == ""
    assert [p["step"] for p in row["details"]["metrics"]] == [1, 2, 3]
    assert all(p["train_loss"] > 0 and p["valid_loss"] > 0 for p in row["details"]["metrics"])
    served = fine_tuning.jobs[job_id].events
    assert row["details"]["events_seen"] == len(served) and row["details"]["events_cursor"] == served[-1]["id"]
    assert row["details"]["recent_events"][-1]["message"] == "The job has successfully completed"
    assert jobs.training_progress(row)["step"] == 3
    assert jobs.backend_spec(row) == f"openai:{row['result_model']},base_url={server.base_url}"


def test_dpo_export_makes_a_dpo_job(server, client, store, tmp_path):
    train = write_jsonl(tmp_path / "pairs.jsonl", dpo_records(10))

    run_id = jobs.start_job(store, client, plan_job(JobRequest(train, model=MODEL, beta=0.2)))

    (body,) = server.fine_tuning.created_jobs()
    assert body["method"] == {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}}
    assert "suffix" not in body and "seed" not in body and "validation_file" not in body
    for _ in range(5):
        row = jobs.sync_job(store, client, run_id)
    assert row["status"] == "succeeded" and row["details"]["method"] == "dpo"


def test_beta_is_refused_for_supervised_jobs(train):
    with pytest.raises(InputError, match="--beta applies to DPO jobs only"):
        plan_job(JobRequest(train, beta=0.1))


def test_invalid_export_is_never_uploaded(server, tmp_path):
    records = sft_records(12)
    records[2]["messages"][2]["content"] = ""
    bad = write_jsonl(tmp_path / "bad.jsonl", records)

    with pytest.raises(InputError) as info:
        plan_job(JobRequest(bad))

    message = str(info.value)
    assert "bad.jsonl is not a valid openai-sft file, not uploaded" in message
    assert "line 3: missing_content" in message and "\n" not in message
    assert server.requests == []


def test_too_few_examples_is_refused_but_a_small_validation_file_is_not(tmp_path, train):
    with pytest.raises(InputError, match="too_few_examples"):
        plan_job(JobRequest(write_jsonl(tmp_path / "tiny.jsonl", sft_records(4))))
    assert plan_job(JobRequest(train, write_jsonl(tmp_path / "v.jsonl", sft_records(2)))).validation.n_examples == 2


def test_unknown_model_has_no_cost_unless_a_price_is_given(train):
    plan = plan_job(JobRequest(train, model="my-org-model"))
    assert plan.cost is None and "--price" in plan.cost_note

    priced = plan_job(JobRequest(train, model="my-org-model", price=2.0, epochs=1))
    assert priced.cost["usd_per_million_tokens"] == 2.0 and priced.cost["epochs"] == 1


def test_failed_job_keeps_the_services_message(server, client, store, train):
    server.fine_tuning.fail_next_job("Training file has 3 examples with identical prompts.",
                                     code="invalid_training_file", at="validating_files")
    run_id = jobs.start_job(store, client, plan_job(JobRequest(train)))

    row = jobs.watch_job(store, client, run_id, lambda r: None, interval=0)

    assert row["status"] == "failed"
    assert row["error"] == "Training file has 3 examples with identical prompts. (invalid_training_file)"
    assert row["result_model"] == ""


def test_job_creation_refused_marks_the_run_failed_and_removes_uploads(server, client, store, train):
    server.fail_next(400, body={"error": {"message": "Model gpt-x is not available for fine-tuning.",
                                          "code": "model_not_available"}}, path="/v1/fine_tuning/jobs")

    with pytest.raises(FineTuningError, match="creating a supervised job on .*HTTP 400 model_not_available"):
        jobs.start_job(store, client, plan_job(JobRequest(train)))

    (row,) = jobs.list_tuning_runs(store, tuner="openai")
    assert row["status"] == "failed" and "not available for fine-tuning" in row["error"]
    assert row["details"]["training_file_id"] and row["external_id"] == ""
    assert len(server.requests_to("DELETE", f"/v1/files/{row['details']['training_file_id']}")) == 1
    assert server.fine_tuning.files == {}
    with pytest.raises(InputError, match=f"tuning run {row['id']} has no OpenAI job .*not available"):
        jobs.sync_job(store, client, row["id"])


def test_cancel_moves_the_job_and_the_row_to_cancelled(server, client, store, train):
    run_id = jobs.start_job(store, client, plan_job(JobRequest(train)))
    jobs.sync_job(store, client, run_id)

    row = jobs.cancel_job(store, client, run_id)

    assert row["status"] == "cancelled" == server.fine_tuning.jobs[row["external_id"]].status
    assert row["details"]["recent_events"][-1]["message"] == "Fine-tuning job cancelled"
    with pytest.raises(InputError, match="already cancelled"):
        jobs.cancel_job(store, client, run_id)


def test_a_new_process_picks_up_from_the_row(server, client, db_path, train):
    first = Store(db_path)
    run_id = jobs.start_job(first, client, plan_job(JobRequest(train)))
    jobs.sync_job(first, client, run_id)
    jobs.sync_job(first, client, run_id)
    job_id = get_tuning_run(first, run_id)["external_id"]
    first.close()

    second = Store(db_path)
    later_client = FineTuningClient(server.base_url, KEY)
    row = jobs.resolve_run(second, job_id)
    assert (row["id"], row["status"]) == (run_id, "running")
    events_before = len(server.requests_to("GET", f"/v1/fine_tuning/jobs/{job_id}/events"))

    updates = []
    row = jobs.watch_job(second, later_client, run_id, updates.append, interval=0)

    assert row["status"] == "succeeded" and [u["status"] for u in updates][-1] == "succeeded"
    messages = [e["message"] for e in row["details"]["recent_events"]]
    assert len(messages) == len(set(messages)) == len(server.fine_tuning.jobs[job_id].events)
    assert len(server.requests_to("GET", f"/v1/fine_tuning/jobs/{job_id}/events")) > events_before
    assert jobs.resolve_run(second, None)["id"] == run_id == jobs.resolve_run(second, str(run_id))["id"]
    second.close()


def test_watch_backs_off_while_nothing_changes(server, client, store, train, monkeypatch):
    server.fine_tuning.auto_advance = False
    run_id = jobs.start_job(store, client, plan_job(JobRequest(train)))
    waits: list[float] = []

    def pause(seconds):
        waits.append(seconds)
        if len(waits) == 5:
            server.fine_tuning.advance(steps=10)

    monkeypatch.setattr(jobs, "pause", pause)

    row = jobs.watch_job(store, client, run_id, lambda r: None, interval=1.0, max_interval=3.0)

    assert row["status"] == "succeeded"
    assert waits == [1.0, 1.5, 2.25, 3.0, 3.0]


def test_a_job_started_elsewhere_is_adopted(server, client, store, train):
    file_id = client.upload(train)["id"]
    job = client.create_job(model=MODEL, training_file=file_id)

    row = jobs.adopt_job(store, client, job["id"])

    assert row["external_id"] == job["id"] and row["base_model"] == MODEL and row["config"]["adopted"]
    assert row["details"]["events_seen"] == 3  # created, validating, and the step the retrieve advanced


def test_no_key_in_the_database_file_or_logs(server, client, db_path, train, valid, caplog):
    caplog.set_level(logging.DEBUG)
    store = Store(db_path)
    server.fail_next(429, headers={"retry-after": "0"}, path="/v1/files")
    run_id = jobs.start_job(store, client, plan_job(JobRequest(train, valid, suffix="k")))
    jobs.watch_job(store, client, run_id, lambda r: None, interval=0)
    wrong = FineTuningClient(server.base_url, "sk-wrong-" + KEY)
    with pytest.raises(FineTuningError) as info:
        jobs.sync_job(store, wrong, run_id)
    store.close()

    text = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    assert b"ftjob-fake" in text and b"succeeded" in text  # the rows are really in what was scanned
    assert KEY.encode() not in text and b"sk-" not in text
    assert get_tuning_run(Store(db_path), run_id)["status"] == "succeeded"
    assert KEY not in caplog.text and "sk-wrong" not in caplog.text
    assert "retry 1/4" in caplog.text  # the retry was logged, without the key
    assert KEY not in str(info.value)
