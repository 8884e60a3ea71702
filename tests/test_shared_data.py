"""Tests that read ../shared skip on a laptop without it, but fail under CI=true, where it is always present."""

from __future__ import annotations

import pytest

from .conftest import MATHDIAL_DEV, require_shared


def test_missing_shared_file_fails_under_ci(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_shared(tmp_path / "absent.jsonl")


def test_missing_shared_file_skips_outside_ci(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="absent.jsonl"):
        require_shared(tmp_path / "absent.jsonl")


def test_present_file_is_returned(monkeypatch):
    monkeypatch.setenv("CI", "true")
    if MATHDIAL_DEV.exists():
        assert require_shared(MATHDIAL_DEV) == MATHDIAL_DEV
    else:
        with pytest.raises(pytest.fail.Exception):
            require_shared(MATHDIAL_DEV)
