"""The OpenAI fine-tuning tuner behind the `Tuner` protocol: a validated export in, a hosted model out.

Its `run` starts a job on the service: the upload, the job and each state it reaches are the
run's `tuning_runs` row (see jobs.py). The artifact is honest about that: it is `pending` (no
spec fragment) while the job runs and becomes usable, with the `openai:ft:...` spec as its
fragment, only once `status` or `watch` has seen the job succeed (`artifact(run_id)` after
`refresh`/`wait`). A failed or cancelled job gives a `failed` artifact naming the error.
"""

from __future__ import annotations

from dataclasses import replace

from practicum.tuning.openai_ft.plan import JobRequest
from practicum.tuning.tuner import FAILED, PENDING, SUCCEEDED, TrainingSet, TunedArtifact, check_format

TUNER = "openai"


class OpenAITuner:
    """Fine-tune a hosted model on an openai-sft (supervised) or openai-dpo (DPO) export."""

    name = TUNER
    data_formats = ("openai-sft", "openai-dpo")

    def __init__(self, store, *, client=None, on_stage=None, console=None):
        """`store` records the job; `client` is a FineTuningClient (default: from $OPENAI_BASE_URL and the key)."""
        self.store = store
        self._client = client
        self.data: TrainingSet | None = None

    @property
    def client(self):
        """The fine-tuning client, built on first use."""
        if self._client is None:
            from practicum.tuning.openai_ft.client import FineTuningClient

            self._client = FineTuningClient()
        return self._client

    def prepare(self, data: TrainingSet) -> TrainingSet:
        """Run the files through the validator OpenAI's checks mirror; InputError naming the first bad lines."""
        from practicum.tuning.openai_ft.plan import plan_job

        check_format(self, data)
        plan_job(JobRequest(training_path=data.train, validation_path=data.validation, fmt=data.fmt))
        self.data = data.hashed()
        return self.data

    def run(self, config: JobRequest) -> TunedArtifact:
        """Validate, upload and create the job; return its (pending) artifact. Follow it with `refresh` or `wait`."""
        from practicum.tuning.openai_ft.jobs import start_job
        from practicum.tuning.openai_ft.plan import plan_job

        if self.data is not None:
            config = replace(config, training_path=self.data.train, validation_path=self.data.validation,
                             fmt=self.data.fmt)
        run_id = start_job(self.store, self.client, plan_job(config))
        return self.artifact(run_id)

    def artifact(self, run_id: int) -> TunedArtifact:
        """The artifact as the run's row knows it now (no network)."""
        from practicum.storage.tuning_runs import get_tuning_run

        return openai_artifact(get_tuning_run(self.store, run_id))

    def refresh(self, run_id: int) -> TunedArtifact:
        """Fetch the job's state into its row, then return the artifact."""
        from practicum.tuning.openai_ft.jobs import sync_job

        return openai_artifact(sync_job(self.store, self.client, run_id))

    def wait(self, run_id: int, on_update=None, interval: float = 2.0) -> TunedArtifact:
        """Poll until the job ends (see jobs.watch_job) and return the final artifact."""
        from practicum.tuning.openai_ft.jobs import watch_job

        return openai_artifact(watch_job(self.store, self.client, run_id, on_update or (lambda row: None),
                                         interval=interval))


def openai_artifact(row: dict) -> TunedArtifact:
    """The artifact of an OpenAI run's row: usable once the job succeeded with an `ft:` model."""
    from practicum.tuning.openai_ft.jobs import backend_spec

    status = row["status"]
    ready = status == "succeeded" and bool(row["result_model"])
    state = SUCCEEDED if ready else FAILED if status in ("failed", "cancelled") else PENDING
    details = row.get("details") or {}
    manifest = {"tuner": TUNER, "run_id": row["id"], "status": status, "job_id": row["external_id"],
                "base_model": row["base_model"], "result_model": row["result_model"], "config": row["config"],
                "data_hash": row["data_hash"], "dataset_path": row["dataset_path"], "error": row["error"],
                "trained_tokens": details.get("trained_tokens"), "job": details.get("job") or {}}
    return TunedArtifact(tuner=TUNER, role=row["role"] or "teacher", run_id=row["id"],
                         fragment=backend_spec(row) if ready else "", path=None, manifest=manifest, status=state,
                         metrics_before=row["metrics_before"] or {}, metrics_after=row["metrics_after"] or {},
                         summary={"trained_tokens": details.get("trained_tokens"), "job_status": status})
