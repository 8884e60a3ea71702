"""The OpenAI fine-tuning tuner: upload a validated export, run a job, follow it into `tuning_runs`."""
