"""Throughput of the numpy fabric simulator (issue 2 figures).

``measure(sizes, cycles)`` simulates random configurations with random edge inputs
(seed fixed) on square fabrics and returns cell-updates per second (logical cells ×
cycles / wall-clock seconds of :meth:`FabricSim.run`, construction excluded), for the
bit-sliced logical engine and, optionally, the physical (defect map) engine.
Run as a script it prints ``FIGURE <name> <value> cell-updates/s`` lines;
``run(quick)`` is the entry point of ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable

import numpy as np

from fabric.defects import random_defects
from sim.numpy_sim import FabricSim

SEED = 20240602
DEFAULT_SIZES = (64, 256, 1024)


def _inputs(rng: np.random.Generator, h: int, w: int, t: int) -> dict[str, np.ndarray]:
    return {
        "west_in": rng.integers(0, 2, (t, h), dtype=np.uint8),
        "east_in": rng.integers(0, 2, (t, h), dtype=np.uint8),
        "north_in": rng.integers(0, 2, (t, w), dtype=np.uint8),
        "south_in": rng.integers(0, 2, (t, w), dtype=np.uint8),
    }


def cell_updates_per_s(size: int, cycles: int, physical: bool = False,
                       spares: int = 1, repeats: int = 3) -> float:
    """Best-of-``repeats`` cell-updates/s for a ``size``×``size`` random fabric.

    One cell-update = one logical cell computing its four outputs for one cycle.
    """
    rng = np.random.default_rng(SEED)
    configs = rng.integers(0, 2**64, size=(size, size), dtype=np.uint64)
    defects = random_defects(size, size, spares, rng) if physical else None
    sim = FabricSim(configs, defects=defects, spares=spares, noise_seed=SEED)
    ins = _inputs(rng, size, size, cycles)
    sim.run({k: v[: min(cycles, 4)] for k, v in ins.items()})  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        sim.run(ins)
        best = min(best, time.perf_counter() - t0)
    return size * size * cycles / best


def measure(sizes: Iterable[int] = DEFAULT_SIZES, cycles: int | None = None,
            physical: bool = True, verbose: bool = True,
            budget: int = 200_000_000) -> dict[str, float]:
    """Measure both engines; return ``{figure name: cell-updates/s}``.

    Names: ``numpy_sim_cell_updates_per_s_{n}x{n}`` (logical, bit-sliced) and
    ``numpy_sim_physical_cell_updates_per_s_{n}x{n}`` (physical, S = 1). ``cycles``
    defaults to enough cycles for about ``budget`` (logical) / ``budget / 10``
    (physical) cell-updates per timed run, at least 20. Prints ``FIGURE`` lines if
    ``verbose``.
    """
    figures: dict[str, float] = {}
    for n in sizes:
        t_log = cycles or max(20, budget // (n * n))
        figures[f"numpy_sim_cell_updates_per_s_{n}x{n}"] = cell_updates_per_s(n, t_log)
        if physical:
            t_phy = cycles or max(20, budget // 10 // (n * n))
            figures[f"numpy_sim_physical_cell_updates_per_s_{n}x{n}"] = (
                cell_updates_per_s(n, t_phy, physical=True))
    if verbose:
        for name, value in figures.items():
            print(f"FIGURE {name} {value:.4g} cell-updates/s", flush=True)
    return figures


def run(quick: bool = False) -> list[tuple[str, float, str]]:
    """``bench/run.py`` entry point: figures as ``(name, value, unit)``.

    ``quick`` shrinks the cycle budget fourfold (same sizes, noisier figures).
    """
    figures = measure(DEFAULT_SIZES, None, physical=True, verbose=False,
                      budget=50_000_000 if quick else 200_000_000)
    for name, value in figures.items():
        print(f"  {name}: {value:.4g} cell-updates/s", flush=True)
    return [(name, value, "cell-updates/s") for name, value in figures.items()]


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python bench/bench_numpy_sim.py [--sizes 64 256] [--cycles T]``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    ap.add_argument("--cycles", type=int, default=None)
    ap.add_argument("--logical-only", action="store_true")
    args = ap.parse_args(argv)
    measure(args.sizes, args.cycles, physical=not args.logical_only)


if __name__ == "__main__":
    main()
