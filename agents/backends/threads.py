"""How many CPU threads the local engines use: chosen from the cores and the current load, never more.

On a 2-core machine shared with other work, torch's default (one thread per core, plus an
inter-op pool) oversubscribes the CPU: one batch of 8 replies took 58.8 s with 2 threads and
13.2 s with 1 under load, and single-stream decoding fell from 2.2 to 0.8 tokens/s. So the
engines take the cores nobody else is using (cores minus the 1-minute load average, rounded,
at least 1), decided once per process when the first model loads. The load this process itself put
there is not someone else's: a long benchmark or a TUI that has been busy for a minute would
otherwise count its own work and take 1 thread on an idle 2-core machine (measured: practice p50
1.40 s with 1 thread against 0.96 s with 2), so its recent share is taken off first (`own_load`).
`PRACTICUM_THREADS=N` overrides it (then `OMP_NUM_THREADS`, if set); `PRACTICUM_THREADS=auto` is the default.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path

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
    own: float = 0.0  # the part of `load` this process put there itself (own_load)

    def describe(self) -> str:
        """One line: '1 thread (2 cores, load 7.4: auto)', or '... load 1.0, 0.9 of it this process: ...'."""
        plural = "s" if self.threads != 1 else ""
        own = f", {self.own:.1f} of it this process" if self.own >= 0.05 else ""
        return f"{self.threads} thread{plural} ({self.cores} cores, load {self.load:.1f}{own}: {self.reason})"


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


def own_load(cpu_seconds: float | None = None, alive_seconds: float | None = None) -> float:
    """This process's share of the 1-minute load average, estimated from its CPU time and age.

    The kernel's 1-minute figure is an exponentially decaying average (time constant 60 s) of runnable
    tasks; a process that has used `cpu/alive` cores on average for `alive` seconds contributes about
    that times (1 - e^(-alive/60)). 0.0 where the process's age cannot be read.
    """
    if cpu_seconds is None or alive_seconds is None:
        times = os.times()
        cpu_seconds = times.user + times.system
        alive_seconds = _process_age()
    if not alive_seconds or alive_seconds <= 0:
        return 0.0
    return max(0.0, cpu_seconds / alive_seconds) * (1.0 - math.exp(-alive_seconds / 60.0))


def _process_age() -> float | None:
    """Seconds since this process started (Linux /proc), None elsewhere."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])  # field 22
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return None


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


def choose_threads(cores: int | None = None, load: float | None = None, own: float | None = None) -> ThreadChoice:
    """The thread count to use now: $PRACTICUM_THREADS, else $OMP_NUM_THREADS, else the idle cores.

    `load` and `own` (this process's part of it) are measured when not given; a given load comes with
    own=0 unless `own` is given too.
    """
    cores = usable_cores() if cores is None else cores
    if own is None:
        own = own_load() if load is None else 0.0
    load = current_load() if load is None else load
    own = min(own, load)
    forced = _positive_int(THREADS_ENV)
    if forced is not None:
        return ThreadChoice(forced, cores, load, f"{THREADS_ENV}={forced}")
    omp = os.environ.get("OMP_NUM_THREADS", "").strip()
    if omp.isdigit() and int(omp) > 0:
        return ThreadChoice(int(omp), cores, load, f"OMP_NUM_THREADS={omp}")
    idle = int(cores - (load - own) + 0.5)  # a core counts as free when less than half of it is in use
    return ThreadChoice(max(1, min(cores, idle)), cores, load, "auto: idle cores", own)


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
