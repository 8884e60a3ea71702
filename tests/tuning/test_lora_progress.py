"""LoRA progress redirected to a file: plain lines a person can follow, not a bar that shows only at the end."""

import io

from rich.console import Console

from practicum.tuning.lora import progress as progress_module
from practicum.tuning.lora.progress import TrainingProgress


def _file_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=False, width=200), buffer


def test_redirected_output_prints_first_step_validations_and_last_step_only():
    console, buffer = _file_console()
    with TrainingProgress(True, 5, 0, console) as bar:
        bar.validated(2.5)
        for step in range(1, 6):
            bar.step(step, 0, 3.0 - step / 10)
        bar.validated(2.1)
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "LoRA validation loss 2.500"
    assert lines[1] == "LoRA step 1/5 epoch 1 loss 2.900 val 2.500, 0:00:00 elapsed, ETA -"  # no pace measured yet
    assert lines[2] == "LoRA step 5/5 epoch 1 loss 2.500 val 2.500, 0:00:00 elapsed, ETA 0:00:00"
    assert lines[3] == "LoRA validation loss 2.100"
    assert len(lines) == 4  # steps 2-4 came within LINE_EVERY_S of the last line


def test_a_slow_step_gets_its_own_line(monkeypatch):
    monkeypatch.setattr(progress_module, "LINE_EVERY_S", 0.0)
    console, buffer = _file_console()
    with TrainingProgress(True, 3, 1, console) as bar:  # resumed at step 1
        bar.step(2, 0, 1.0)
        bar.step(3, 1, 0.9)
    lines = buffer.getvalue().splitlines()
    assert [line.split(" epoch")[0] for line in lines] == ["LoRA step 2/3", "LoRA step 3/3"]
    assert "epoch 2" in lines[1]


def test_disabled_progress_prints_nothing():
    console, buffer = _file_console()
    with TrainingProgress(False, 3, 0, console) as bar:
        bar.validated(1.0)
        bar.step(1, 0, 1.0)
        bar.note("hello")
    assert buffer.getvalue() == ""
