"""Fixtures for the Verilator tests: the content-addressed build cache.

Each Verilator build of a fabric costs 20-120 s on two cores. Builds are keyed on
the hash of the Verilog text, the build options and the tool versions
(:func:`sim.verilator.build_fabric`), so a cached model is exactly the model a fresh
build would give; the tests therefore share the user's cache
(``~/.cache/lutgrid/verilator``, or ``$LUTGRID_BUILD_DIR``) with ``lutgrid demo``.
``LUTGRID_FRESH_BUILDS=1`` gives the session a private, empty cache instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from sim.verilator import default_build_dir


@pytest.fixture(scope="session")
def rtl_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory of the session's Verilator builds; skips when no C++ toolchain."""
    missing = [tool for tool in ("make", "g++", "perl") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"Verilator builds need {', '.join(missing)} on PATH")
    if os.environ.get("LUTGRID_FRESH_BUILDS") == "1":
        return tmp_path_factory.mktemp("verilator")
    return default_build_dir()
