"""How many CPU threads the local engines use: chosen from the cores and the current load, never more.

On a 2-core machine shared with other work, torch's default (one thread per core, plus an
inter-op pool) oversubscribes the CPU: one batch of 8 replies took 58.8 s with 2 threads and
13.2 s with 1 under load, and single-stream decoding fell from 2.2 to 0.8 tokens/s. So the
engines take the cores nobody else is using (cores minus the 1-minute load average, rounded,
at least 1), decided once per process when the first model loads. `PRACTICUM_THREADS=N`
overrides it (then `OMP_NUM_THREADS`, if set); `PRACTICUM_THREADS=auto` is the default.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

THREADS_ENV = "PRACTICUM_THREADS"

_applied: "ThreadChoice | None" = None
_lock = threading.Lock()


@dataclass(frozen=True)
class ThreadChoice:
    """A thread count and why it was chosen (shown by benchmarks and in --verbose output)."""

    threads: int
    cores: int
    load: float
    reason: str

    def describe(self) -> str:
        """One line: '1 thread (2 cores, load 7.4: auto)'."""
        plural = "s" if self.threads != 1 else ""
        return f"{self.threads} thread{plural} ({self.cores} cores, load {self.load:.1f}: {self.reason})"


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def current_load() -> float:
    """The 1-minute load average (0.0 where the platform has none)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def _positive_int(name: str) -> int | None:
    text = os.environ.get(name, "").strip()
    if not text or text.lower() == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        from practicum.errors import BackendError

        raise BackendError(f"{name} must be a whole number of threads or 'auto', got '{text}'") from None
    if value < 1:
        from practicum.errors import BackendError

        raise BackendError(f"{name} must be at least 1, got {value}")
    return value


def choose_threads(cores: int | None = None, load: float | None = None) -> ThreadChoice:
    """The thread count to use now: $PRACTICUM_THREADS, else $OMP_NUM_THREADS, else the idle cores."""
    cores = usable_cores() if cores is None else cores
    load = current_load() if load is None else load
    forced = _positive_int(THREADS_ENV)
    if forced is not None:
        return ThreadChoice(forced, cores, load, f"{THREADS_ENV}={forced}")
    omp = os.environ.get("OMP_NUM_THREADS", "").strip()
    if omp.isdigit() and int(omp) > 0:
        return ThreadChoice(int(omp), cores, load, f"OMP_NUM_THREADS={omp}")
    idle = int(cores - load + 0.5)  # a core counts as free when less than half of it is in use
    return ThreadChoice(max(1, min(cores, idle)), cores, load, "auto: idle cores")


def apply_threads(choice: ThreadChoice | None = None) -> ThreadChoice:
    """Set torch's intra-op threads (and a 1-thread inter-op pool) once per process; return the choice."""
    global _applied
    with _lock:
        if _applied is not None and choice is None:
            return _applied
        choice = choice or choose_threads()
        import torch

        torch.set_num_threads(choice.threads)
        try:
            # Generation and training here run one op at a time: an inter-op pool only competes for cores.
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass  # already fixed by earlier parallel work in this process; intra-op is what matters
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        _applied = choice
        return choice


def applied_threads() -> ThreadChoice | None:
    """The choice applied in this process so far (None before the first model load)."""
    return _applied
