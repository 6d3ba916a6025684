"""The first `lutgrid demo` on an empty build cache: it builds its one model once, says so
before each build (with an estimate) and never when a model is cached."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lutgrid.demo import demo_files

ROOT = Path(__file__).resolve().parents[2]


def _demo(tmp_path: Path, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LUTGRID_BUILD_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "lutgrid.cli", "demo", "--out",
                           str(tmp_path / "out"), "--tokens", "100"], env=env,
                          capture_output=True, text=True, timeout=1800)


@pytest.mark.slow
@pytest.mark.rtl
def test_first_demo_builds_each_model_once_and_says_so(tmp_path) -> None:
    cache = tmp_path / "cache"
    first = _demo(tmp_path, cache)
    assert first.returncode == 0, first.stderr
    announced = [line for line in first.stdout.splitlines() if "(Verilator: building" in line]
    built = [line for line in first.stdout.splitlines() if line.strip().startswith("(built in")]
    models = sorted(d.name for d in cache.iterdir())
    assert len(announced) == len(built) == len(models) == 1, first.stdout  # one shared model
    assert all("sliced" in m for m in models)
    assert all("about " in line and " s" in line for line in announced)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(demo_files())
    again = _demo(tmp_path, cache)
    assert again.returncode == 0, again.stderr
    assert "building" not in again.stdout and "(built in" not in again.stdout
