"""The fine-tuning client: the real openai SDK over loopback HTTP to the fake service; errors, retries, pages."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from practicum.agents.backends.openai_auth import key_file_path
from practicum.agents.backends.openai_chat import OpenAIChatBackend
from practicum.errors import BackendError, ConfigError
from practicum.tuning.openai_ft.client import FineTuningClient, FineTuningError
from tests.fakes.fine_tuning_data import sft_records, write_jsonl
from tests.fakes.openai_fine_tuning import multipart_fields
from tests.fakes.openai_server import QUOTA_EXCEEDED, FakeOpenAIServer

KEY = "sk-ft-test-SECRET-7319"
MODEL = "gpt-4o-mini-2024-07-18"


@pytest.fixture
def server():
    with FakeOpenAIServer(api_key=KEY) as fake:
        yield fake


@pytest.fixture
def client(server):
    ft = FineTuningClient(server.base_url, KEY, backoff_base=0.001)
    yield ft
    ft.close()


@pytest.fixture
def train(tmp_path):
    return write_jsonl(tmp_path / "train.jsonl", sft_records(12))


def finished_job(client, train, **kwargs) -> dict:
    file_id = client.upload(train)["id"]
    job = client.create_job(model=MODEL, training_file=file_id, **kwargs)
    while job["status"] not in ("succeeded", "failed", "cancelled"):
        job = client.get_job(job["id"])
    return job


def test_upload_sends_the_file_with_purpose_fine_tune(server, client, train):
    uploaded = client.upload(train)

    (request,) = server.requests_to("POST", "/v1/files")
    fields = multipart_fields(request)
    assert fields["purpose"][1] == b"fine-tune"
    assert fields["file"] == ("train.jsonl", train.read_bytes())
    assert uploaded["id"] in server.fine_tuning.files and uploaded["purpose"] == "fine-tune"
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_missing_key_is_a_one_line_config_error(server):
    with pytest.raises(ConfigError) as info:
        FineTuningClient(server.base_url)
    message = str(info.value)
    assert "OPENAI_API_KEY" in message and str(key_file_path()) in message and "\n" not in message
    assert server.requests == []


def test_private_key_file_is_used(server):
    path = key_file_path()
    path.write_text(KEY + "\n")
    path.chmod(0o600)

    assert FineTuningClient(server.base_url).list_models()
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_key_file_readable_by_others_is_refused(server):
    path = key_file_path()
    path.write_text(KEY)
    path.chmod(0o644)

    with pytest.raises(ConfigError, match=r"permissions 644.*chmod 600") as info:
        FineTuningClient(server.base_url)
    assert KEY not in str(info.value)
    with pytest.raises(ConfigError, match="chmod 600"):  # the chat backend reads the same file
        OpenAIChatBackend("gpt-4o-mini", base_url=server.base_url)


def test_environment_key_wins_over_the_file(server, monkeypatch):
    path = key_file_path()
    path.write_text("sk-from-file-000000")
    path.chmod(0o600)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)

    FineTuningClient(server.base_url).list_models()

    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_401_is_one_line_and_never_quotes_the_key(server, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "sk-wrong-key-112233"
    client = FineTuningClient(server.base_url, wrong, backoff_base=0.001)

    with pytest.raises(FineTuningError) as info:
        client.list_models()

    message = str(info.value)
    assert message.startswith("listing models: ") and "rejected the API key (HTTP 401)" in message
    assert "\n" not in message and wrong not in message and wrong not in repr(client)
    assert wrong not in caplog.text and client.retries == 0
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_429_with_retry_after_then_success(server, client, train):
    file_id = client.upload(train)["id"]
    server.fail_next(429, headers={"retry-after": "0.01"}, path="/v1/fine_tuning/jobs")
    waits: list[float] = []
    client._sleep = waits.append

    job = client.create_job(model=MODEL, training_file=file_id)

    assert job["status"] == "validating_files"
    assert waits == [0.01] and client.retries == 1
    assert len(server.requests_to("POST", "/v1/fine_tuning/jobs")) == 2
    assert len(server.fine_tuning.jobs) == 1


def test_rate_limit_that_never_clears_names_the_retries(server, client):
    server.fail_next(429, headers={"retry-after": "0"}, times=10)
    client.policy.max_retries = 2

    with pytest.raises(FineTuningError, match=r"rate limited by .* still HTTP 429 after 2 retries"):
        client.list_jobs()
    assert client.requests_sent == 3


def test_insufficient_quota_is_not_retried(server, client):
    server.fail_next(429, body=QUOTA_EXCEEDED, times=3)

    with pytest.raises(FineTuningError) as info:
        client.list_jobs()

    message = str(info.value)
    assert "quota exceeded" in message and "insufficient_quota" in message and "not retried" in message
    assert "check your plan and billing details" in message and "\n" not in message
    assert (client.requests_sent, client.retries) == (1, 0)


def test_service_rejecting_a_file_is_a_one_line_error(server, client, tmp_path):
    bad = tmp_path / "notes.jsonl"
    bad.write_text("this is not json\n")

    with pytest.raises(FineTuningError) as info:
        client.upload(bad)

    assert str(info.value) == (
        f"uploading notes.jsonl: {server.base_url} answered HTTP 400 invalid_file_format: "
        "Invalid file format for Fine-Tuning API. Must be .jsonl"
    )
    assert info.value.status == 400 and server.fine_tuning.files == {}


def test_5xx_is_retried_and_connection_errors_are_named(server, client):
    server.fail_next(503, times=2)
    assert client.list_models()
    assert client.retries == 2

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = FineTuningClient(f"http://127.0.0.1:{port}/v1", KEY, max_retries=1, backoff_base=0.001)
    with pytest.raises(FineTuningError, match=f"listing jobs: cannot reach http://127.0.0.1:{port}/v1 after 1 retry"):
        closed.list_jobs()


def test_job_list_pages_with_after_and_has_more(server, client, train):
    file_id = client.upload(train)["id"]
    created = [client.create_job(model=MODEL, training_file=file_id, seed=i)["id"] for i in range(5)]
    newest_first = created[::-1]

    pages, after = [], None
    while True:
        page = client.list_jobs(limit=2, after=after)
        pages.append(([j["id"] for j in page.items], page.has_more))
        if not page.has_more:
            break
        after = page.items[-1]["id"]

    assert pages == [(newest_first[:2], True), (newest_first[2:4], True), (newest_first[4:], False)]
    queries = [r.query for r in server.requests_to("GET", "/v1/fine_tuning/jobs")]
    assert queries == [{"limit": "2"}, {"limit": "2", "after": newest_first[1]}, {"limit": "2", "after": newest_first[3]}]


def test_events_page_back_to_the_cursor(server, client, train):
    job = finished_job(client, train)
    every = list(reversed(server.fine_tuning.jobs[job["id"]].events))  # newest first, as served

    first = client.list_events(job["id"], limit=3)
    assert [e["id"] for e in first.items] == [e["id"] for e in every[:3]] and first.has_more

    all_events = client.events_since(job["id"], None, page_size=3)
    assert [e["id"] for e in all_events] == [e["id"] for e in every[::-1]]
    assert all_events[0]["message"].startswith("Created fine-tuning job")
    assert all_events[-1]["message"] == "The job has successfully completed"

    cursor = all_events[-4]["id"]
    newer = client.events_since(job["id"], cursor, page_size=2)
    assert [e["id"] for e in newer] == [e["id"] for e in all_events[-3:]]


def test_job_body_and_metrics_events(server, client, train, tmp_path):
    valid = write_jsonl(tmp_path / "valid.jsonl", sft_records(3))
    validation_id = client.upload(valid)["id"]

    job = finished_job(client, train, validation_file=validation_id, suffix="tutor", seed=7,
                       hyperparameters={"n_epochs": 2, "batch_size": 4})

    (body,) = server.fine_tuning.created_jobs()
    assert body["model"] == MODEL and body["suffix"] == "tutor" and body["seed"] == 7
    assert body["validation_file"] == validation_id
    assert body["method"] == {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2, "batch_size": 4}}}
    assert job["status"] == "succeeded" and job["fine_tuned_model"].startswith(f"ft:{MODEL}:fake:tutor:")
    metrics = [e["data"] for e in client.events_since(job["id"], None) if e["type"] == "metrics"]
    assert [m["step"] for m in metrics] == [1, 2, 3]
    assert all(m["train_loss"] > 0 and m["valid_loss"] > 0 for m in metrics)


def test_models_lists_fine_tuned_ids(server, client, train):
    job = finished_job(client, train)

    ids = [m["id"] for m in client.list_models()]

    assert job["fine_tuned_model"] in ids
    assert [i for i in ids if i.startswith("ft:")] == [job["fine_tuned_model"]]


def test_chat_backend_on_the_same_server_talks_to_the_tuned_model(server, client, train):
    tuned = finished_job(client, train)["fine_tuned_model"]
    backend = OpenAIChatBackend(tuned, base_url=server.base_url, api_key=KEY, backoff_base=0.001)
    server.fail_next(429, headers={"retry-after": "0"}, path="/v1/chat/completions")
    server.queue_reply("What do the denominators tell you?")

    completion = backend.complete([{"role": "user", "content": "1/2 + 1/3 = 2/5?"}])

    assert completion.text == "What do the denominators tell you?" and completion.model == tuned
    assert (backend.requests_sent, backend.retries) == (2, 1)
    assert server.chat_requests[-1]["model"] == tuned


def test_chat_backend_quota_error_is_not_retried(server):
    backend = OpenAIChatBackend("gpt-4o-mini", base_url=server.base_url, api_key=KEY, backoff_base=0.001)
    server.fail_next(429, body=QUOTA_EXCEEDED, times=3)

    with pytest.raises(BackendError, match="quota exceeded .*insufficient_quota.*not retried"):
        backend.complete([{"role": "user", "content": "hi"}])
    assert backend.retries == 0


def test_unknown_tuned_model_is_404_for_chat(server):
    backend = OpenAIChatBackend("ft:gpt-4o-mini-2024-07-18:fake::nope", base_url=server.base_url, api_key=KEY)

    with pytest.raises(BackendError, match="not found"):
        backend.complete([{"role": "user", "content": "hi"}])


def test_fake_service_fails_a_job_whose_file_does_not_fit_the_method(server, client, train):
    file_id = client.upload(train)["id"]
    job = client.create_job(model=MODEL, training_file=file_id, method="dpo")

    job = client.get_job(job["id"])

    assert job["status"] == "failed" and job["error"]["code"] == "invalid_training_file"
    assert "not a valid dpo example" in job["error"]["message"]
    assert json.loads(server.fine_tuning.files[file_id].content.splitlines()[0])["messages"]
