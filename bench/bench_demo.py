"""The first `lutgrid demo` on a fresh machine: an empty Verilator build cache.

Full run only (it builds every model of the demo, minutes on 2 cores), without the
language model (``--no-lm``; its compile is :mod:`bench_demo_lm`'s figure):
``demo_first_run_s`` is the wall time of ``lutgrid demo`` with ``LUTGRID_BUILD_DIR``
pointing at an empty folder (goal <= 180 s on 2 cores), ``demo_cached_run_s`` the
same command once the models are cached.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _demo(out: Path, cache: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LUTGRID_BUILD_DIR": str(cache)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "lutgrid.cli", "demo", "--no-lm", "--out",
                           str(out)],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"lutgrid demo failed ({proc.returncode}): {proc.stderr.strip()}")
    for line in proc.stdout.splitlines():
        if "Verilator" in line or line.strip().startswith("(built"):
            print(f"  {line.strip()}", flush=True)
    return seconds


def run(quick: bool) -> list[tuple[str, float, str]]:
    """Full run: the demo on an empty cache, then again on the filled one."""
    if quick:
        print("  (skipped in --quick: it builds every Verilator model of the demo)")
        return []
    with tempfile.TemporaryDirectory(prefix="lutgrid-demo-bench-") as tmp:
        cache = Path(tmp) / "cache"
        first = _demo(Path(tmp) / "out1", cache)
        cached = _demo(Path(tmp) / "out2", cache)
    print(f"  first run {first:.0f} s, cached {cached:.0f} s", flush=True)
    return [("demo_first_run_s", round(first, 1), "s"),
            ("demo_cached_run_s", round(cached, 1), "s")]
