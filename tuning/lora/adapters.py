"""Adapter resolution lives with the backends (`agents/backends/adapters.py`); re-exported for LoRA callers.

`local:adapter=<run id>` is resolved by the backend that loads it, through the Store its caller
passes; agents/ never imports tuning/, so the code sits there and tuning/ points to it.
"""

from __future__ import annotations

from practicum.agents.backends.adapters import ResolvedAdapter, manifest_base, resolve_adapter

__all__ = ["ResolvedAdapter", "manifest_base", "resolve_adapter"]
