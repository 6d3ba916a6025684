"""Fixtures for the Verilator tests: one build cache per test session.

Each Verilator build of a fabric costs 10-20 s on two cores, so every RTL test of a
session shares one cache directory (:func:`sim.verilator.build_fabric` keys its
builds on the Verilog hash): each fabric is built once per session. Setting
``LUTGRID_BUILD_DIR`` makes the cache persist across sessions instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def rtl_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory of the session's Verilator builds; skips when no C++ toolchain."""
    missing = [tool for tool in ("make", "g++", "perl") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"Verilator builds need {', '.join(missing)} on PATH")
    env = os.environ.get("LUTGRID_BUILD_DIR")
    return Path(env) if env else tmp_path_factory.mktemp("verilator")
