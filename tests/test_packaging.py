"""The repository root is the package `practicum`: nothing else lands at the top of site-packages."""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_holds_only_the_practicum_package(tmp_path):
    # Build from a copy so the build leaves no egg-info or build/ behind in the checkout.
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(source)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    wheel = next(tmp_path.glob("practicum-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"practicum", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}
    for sub in ("agents", "storage", "scenarios", "tuning", "tui"):
        assert f"practicum/{sub}/__init__.py" in names
    assert "practicum/scenarios/library/fractions-unlike-denominators.yaml" in names
    # the shipped models travel in the wheel: the judge, the move classifier, the student and teacher adapters
    for artifact in ("evaluation/artifacts/judge.npz", "evaluation/artifacts/judge.manifest.json",
                     "evaluation/artifacts/move_classifier.json", "agents/artifacts/student_adapter/manifest.json",
                     "agents/artifacts/student_adapter/adapter_model.safetensors",
                     "agents/artifacts/teacher_adapter/manifest.json",
                     "agents/artifacts/teacher_adapter/adapter_model.safetensors"):
        assert f"practicum/{artifact}" in names, artifact
    assert not any(n.startswith(("practicum/tests/", "practicum/benchmarks/")) for n in names)


def test_installed_distribution_declares_only_practicum():
    from importlib.metadata import distributions

    purelib = sysconfig.get_paths()["purelib"]
    dist = next(d for d in distributions(path=[purelib]) if d.metadata["Name"] == "practicum")
    files = [str(f) for f in (dist.files or [])]
    assert not any(f.split("/")[0] in ("agents", "storage", "scenarios", "tuning", "tui") for f in files)
    top_level = dist.read_text("top_level.txt")
    if top_level is not None:
        assert top_level.split() == ["practicum"]


def test_console_script_and_module_entry_points():
    out = subprocess.run([sys.executable, "-m", "practicum", "--version"], capture_output=True, text=True, check=True)
    assert "practicum" in out.stdout
