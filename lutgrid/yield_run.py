"""``lutgrid yield``: the defect-yield study of one fabric, printed for people.

It runs, all jobs through one Dask :class:`~lutgrid.sweep.Sweep`:

1. the closed form and a Monte Carlo of chip survival at (W, H, S, p), the Monte Carlo
   split into seeded chunks of :data:`CHUNK` chips (so the estimate does not depend on
   the number of workers);
2. the physical-fabric check: a compiled built-in example on ``maps`` surviving random
   per-cell defect maps of its own fabric (:mod:`sim.yield_check`), and the refusal of
   a map with S + 1 defects in a row;
3. optionally (``png``), the sweep of survival against p for S = 0, 1, 2, 4 at 64x64
   and 1024x1024, plotted by :func:`fabric.yield_plot.plot_survival`;
4. the spare columns needed for 99% yield at p = 1e-4 and 1e-3.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fabric.yield_plot import SweepPoint, plot_survival
from fabric.yield_study import (
    MonteCarlo,
    chip_survival,
    chunked_trials,
    monte_carlo,
    row_survival,
    spares_for_yield,
)
from lutgrid.sweep import Sweep
from sim.yield_check import check_example_on_map, compiled_example, refusal, surviving_maps

#: Chips per Monte Carlo job.
CHUNK = 20_000
#: The sweep of the plot: fabric sizes (cells per side), spare counts, p grid.
SWEEP_SIZES = (64, 1024)
SWEEP_SPARES = (0, 1, 2, 4)
SWEEP_PS = tuple(float(p) for p in np.logspace(-7, -2, 16))
#: Per-cell defect probabilities of the "spares for 99% yield" table.
TABLE_PS = (1e-4, 1e-3)
#: Cerebras WSE holds back about this share of its cores as spares (the anchor).
CEREBRAS_SPARE_SHARE = 0.07


@dataclass(frozen=True)
class YieldResult:
    """What :func:`run_yield` measured (the bench reads it; the CLI prints it)."""

    closed: float
    mc: MonteCarlo
    maps_checked: int
    defects_checked: int
    refusal: str
    spares_99: dict[tuple[int, int, float], int]


def split_monte_carlo(width: int, height: int, spares: int, p: float, trials: int,
                      seed: int) -> list[tuple]:
    """The Monte Carlo jobs ``(W, H, S, p, chunk, SeedSequence)`` of ``trials`` chips."""
    chunks = chunked_trials(trials, CHUNK)
    seeds = np.random.SeedSequence(seed).spawn(len(chunks))
    return [(width, height, spares, p, n, s) for n, s in zip(chunks, seeds, strict=True)]


def sweep_jobs(trials: int, seed: int) -> list[tuple]:
    """One Monte Carlo job per (size, S, p) of the plot's sweep, each with its own seed."""
    combos = [(n, s, p) for n in SWEEP_SIZES for s in SWEEP_SPARES for p in SWEEP_PS]
    seeds = np.random.SeedSequence(seed + 1).spawn(len(combos))
    return [(n, n, s, p, trials, sd) for (n, s, p), sd in zip(combos, seeds, strict=True)]


def spare_table(sizes: list[tuple[int, int]], ps: tuple[float, ...] = TABLE_PS,
                target: float = 0.99) -> dict[tuple[int, int, float], int]:
    """Fewest spare columns for ``target`` yield, per (W, H, p)."""
    return {(w, h, p): spares_for_yield(w, h, p, target) for w, h in sizes for p in ps}


def run_yield(width: int, height: int, spares: int, p: float, trials: int = 100_000,
              seed: int = 0, program: str = "linear4x4", maps: int = 8,
              check_p: float | None = None, tokens: int = 200, png: str | None = None,
              sweep_trials: int = 2000, scheduler: str | None = None, workers: int = 2,
              processes: bool = True, timeout: float = 3600.0,
              say=print) -> YieldResult:
    """Run the study (module docstring) and ``say`` its lines. Raises ``ValueError`` for
    bad arguments, ``AssertionError`` when a surviving map gives a wrong output."""
    closed = chip_survival(width, height, spares, p)    # validates the arguments first
    for name, value in (("trials", trials), ("maps", maps), ("tokens", tokens),
                        ("sweep trials", sweep_trials), ("workers", workers)):
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    check_p = p if check_p is None else check_p
    if png:
        folder = Path(png).parent
        if str(folder) and not folder.is_dir():     # fail before minutes of sweeping
            raise ValueError(f"cannot write {png}: folder {folder} does not exist")
    prog = compiled_example(program)
    bw, bh = prog.bitstream.width, prog.bitstream.height
    # Surviving maps of the program's own fabric; drawn here (cheap), checked on workers.
    dmaps, drawn = surviving_maps(bw, bh, spares, check_p, maps, seed)
    say(f"fabric {width}x{height}, {spares} spare column(s) ({width + spares} physical "
        f"columns), per-cell defect probability p = {p:g}")
    with Sweep(scheduler, workers, processes, timeout) as sweep:
        say(f"jobs run on the {sweep.where}")
        parts = sweep.run(monte_carlo, split_monte_carlo(width, height, spares, p, trials, seed),
                          label="monte carlo")
        mc = sum(parts[1:], parts[0])
        counts = sweep.run(check_example_on_map,
                           [(program, dm, spares, tokens, seed + i) for i, dm in enumerate(dmaps)],
                           label="fabric check")
        points: list[SweepPoint] = []
        if png:
            jobs = sweep_jobs(sweep_trials, seed)
            res = sweep.run(monte_carlo, jobs, label="survival sweep")
            points = [SweepPoint(j[0], j[2], j[3], chip_survival(j[0], j[1], j[2], j[3]),
                                 r.estimate, r.stderr, r.trials) for j, r in zip(jobs, res,
                                                                                  strict=True)]
    z = mc.z_score(closed)
    say(f"closed form: a row survives with probability {row_survival(width, spares, p):.6g}, "
        f"the chip with {closed:.6g}")
    flag = "" if abs(z) <= 3 else "  ** more than 3 standard errors off **"
    say(f"Monte Carlo: {mc.estimate:.6g} ± {mc.stderr:.2g} (1 SE) over {mc.trials} chips, "
        f"{z:+.2f} standard errors from the closed form{flag}")
    with_defects = sum(1 for c in counts if c)
    say(f"physical fabric: {program} ({bw}x{bh} cells, {spares} spare column(s)) on "
        f"{len(dmaps)} surviving maps at p = {check_p:g} ({drawn} drawn; {with_defects} with "
        f"defects, {sum(counts)} defective cells in all): every output of every one of "
        f"{tokens} tokens equals the defect-free run")
    row = bh // 2
    err = refusal(prog, spares, row, seed)
    say(f"a map with {spares + 1} defects in row {row} is refused: {err}")
    sizes = list(dict.fromkeys([(width, height), (1024, 1024)]))
    table = spare_table(sizes)
    for (w, h, tp), s in table.items():
        say(f"99% yield at {w}x{h}, p = {tp:g}: {s} spare column(s), {s / (w + s):.2%} of "
            f"the physical cells (Cerebras holds back about {CEREBRAS_SPARE_SHARE:.0%} of "
            f"its cores)")
    if png:
        plot_survival(points, png, (SWEEP_PS[0], SWEEP_PS[-1]))
        say(f"wrote {png}: chip survival against p, S = "
            f"{', '.join(map(str, SWEEP_SPARES))}, at "
            f"{' and '.join(f'{n}x{n}' for n in SWEEP_SIZES)} ({sweep_trials} chips per point)")
    return YieldResult(closed, mc, len(dmaps), sum(counts), str(err), table)


def default_workers() -> int:
    """Local Dask workers: the machine's cores, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))
