"""The thread policy (idle cores, env overrides, never more than the cores) and the automatic weight dtype."""

from __future__ import annotations

import pytest

from practicum.agents.backends.threads import THREADS_ENV, choose_threads, own_load
from practicum.errors import BackendError


@pytest.fixture(autouse=True)
def no_thread_env(monkeypatch):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


@pytest.mark.parametrize("cores, load, expected", [
    (2, 0.0, 2), (2, 0.4, 2), (2, 0.6, 1), (2, 1.0, 1), (2, 8.7, 1),  # a busy 2-core machine gets 1 thread
    (16, 3.2, 13), (16, 0.0, 16), (1, 0.0, 1), (4, 30.0, 1),
])
def test_auto_threads_take_the_idle_cores_and_never_more_than_the_cores(cores, load, expected):
    choice = choose_threads(cores=cores, load=load)
    assert choice.threads == expected and 1 <= choice.threads <= cores
    assert choice.reason.startswith("auto") and f"{cores} cores" in choice.describe()


def test_the_load_this_process_made_is_not_counted_as_someone_elses():
    """A benchmark that kept one core busy for two minutes sees load 1.0 on an idle 2-core machine: all of
    it its own, so both cores are free; another process's load still counts."""
    mine = own_load(cpu_seconds=120.0, alive_seconds=120.0)
    assert 0.85 < mine < 0.9  # 1 core x (1 - e^-2)
    assert own_load(cpu_seconds=0.1, alive_seconds=120.0) < 0.01  # an idle TUI
    assert own_load(cpu_seconds=2.0, alive_seconds=2.0) < 0.04  # just started: the average has not moved yet
    assert choose_threads(cores=2, load=1.0, own=mine).threads == 2
    assert choose_threads(cores=2, load=1.9, own=mine).threads == 1  # the other core is someone else's
    assert choose_threads(cores=2, load=0.3, own=0.9).threads == 2  # never more than the load
    assert "0.9 of it this process" in choose_threads(cores=2, load=1.0, own=mine).describe()
    assert choose_threads(cores=2, load=1.0).threads == 1  # a given load with no own share is all others'
    measured = choose_threads(cores=2)
    assert 0.0 <= measured.own <= measured.load


def test_the_documented_variable_overrides_then_omp(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert choose_threads(cores=2, load=9.0).threads == 3
    monkeypatch.setenv(THREADS_ENV, "1")
    choice = choose_threads(cores=8, load=0.0)
    assert choice.threads == 1 and THREADS_ENV in choice.reason
    monkeypatch.setenv(THREADS_ENV, "auto")
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert choose_threads(cores=8, load=0.0).threads == 8


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5"])
def test_a_bad_thread_count_is_a_one_line_error(monkeypatch, value):
    monkeypatch.setenv(THREADS_ENV, value)
    with pytest.raises(BackendError, match=THREADS_ENV):
        choose_threads(cores=2, load=0.0)


def test_apply_threads_sets_torch_intra_op_threads():
    torch = pytest.importorskip("torch")
    from practicum.agents.backends.threads import ThreadChoice, apply_threads

    before = torch.get_num_threads()
    try:
        applied = apply_threads(ThreadChoice(1, 2, 0.0, "test"))
        assert applied.threads == 1 and torch.get_num_threads() == 1
        assert torch.get_num_interop_threads() >= 1
    finally:
        torch.set_num_threads(before)


AMX_LINE = "flags\t\t: fpu vme sse sse2 avx2 avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\n"
ZEN2_LINE = "flags\t\t: fpu vme sse sse2 fma avx2 sha_ni\n"


def test_bfloat16_is_chosen_only_where_the_cpu_has_fast_bf16(monkeypatch):
    from practicum.agents.backends import local

    assert local.fast_bfloat16_flags("processor : 0\n" + AMX_LINE) == ["amx_bf16", "avx512_bf16"]
    assert local.fast_bfloat16_flags(ZEN2_LINE) == []
    monkeypatch.setattr(local, "fast_bfloat16_flags", lambda cpuinfo=None: ["amx_bf16"])
    assert local.check_dtype(None) == local.check_dtype("auto") == "bfloat16"
    assert "amx_bf16" in local.dtype_reason("bfloat16")
    monkeypatch.setattr(local, "fast_bfloat16_flags", lambda cpuinfo=None: [])
    assert local.check_dtype("auto") == "float32" and local.check_dtype("bfloat16") == "bfloat16"
    assert "no AMX" in local.dtype_reason("float32")
    with pytest.raises(BackendError, match="dtype must be one of auto, float32, bfloat16"):
        local.check_dtype("fp16")


def test_engine_option_is_checked():
    from practicum.agents.backends.spec import make_backend

    with pytest.raises(BackendError, match="engine must be one of transformers, llamacpp"):
        make_backend("local:engine=vllm")
    assert make_backend("local:engine=transformers").dtype in ("float32", "bfloat16")
