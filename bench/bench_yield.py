"""Figures of the defect-yield study (issue 9, part 3).

Before any figure, a compiled program (the linear4x4 macro) is checked on surviving
random defect maps of its physical fabric (:mod:`sim.yield_check`): every output of
every token must equal the defect-free run. Then::

    FIGURE yield_closed_64x64_s1_p1e-3 <q> probability   (closed form, about 0.880)
    FIGURE yield_mc_64x64_s1_p1e-3 <q> probability       (Monte Carlo, 200,000 chips)
    FIGURE yield_mc_se_64x64_s1_p1e-3 <se> probability   (its standard error)
    FIGURE yield_mc_z_64x64_s1_p1e-3 <z> SE              (MC - closed, in standard errors)
    FIGURE yield_mc_1024x1024_s4_p5e-4 / yield_closed_... (a second setting, 1024 rows)
    FIGURE spares_for_99pct_yield_1024x1024_p1e-4 <S> columns
    FIGURE spare_overhead_99pct_1024x1024_p1e-4 <S/(W+S)> percent   (Cerebras: about 7%)
    (and the same two at p = 1e-3)
    FIGURE yield_mc_s_1024x1024 <t> s     (wall time of the 1024x1024 Monte Carlo)

``run(quick)`` is the entry point of ``bench/run.py``; --quick uses fewer chips at
1024x1024.
"""

from __future__ import annotations

import time

from fabric.yield_study import chip_survival, monte_carlo, spares_for_yield
from sim.yield_check import check_on_map, compiled_example, surviving_maps

SEED = 20261201
Figure = tuple[str, float, str]


def _physical_check() -> None:
    prog = compiled_example("linear4x4")
    bs = prog.bitstream
    maps, drawn = surviving_maps(bs.width, bs.height, 1, 1e-2, 4, seed=SEED)
    cells = sum(check_on_map(prog, dm, 1, tokens=300, seed=SEED + i)
                for i, dm in enumerate(maps))
    print(f"linear4x4 ({bs.width}x{bs.height}) on {len(maps)} surviving maps at p = 0.01 "
          f"({drawn} drawn, {cells} defective cells): every output of every token equals "
          f"the defect-free run")


def run(quick: bool = False) -> list[Figure]:
    """Check, measure, return (and print) the figures."""
    _physical_check()
    figs: list[Figure] = []
    for w, s, p, trials, tag in ((64, 1, 1e-3, 200_000, "64x64_s1_p1e-3"),
                                 (1024, 4, 5e-4, 5_000 if quick else 50_000,
                                  "1024x1024_s4_p5e-4")):
        exact = chip_survival(w, w, s, p)
        start = time.perf_counter()
        mc = monte_carlo(w, w, s, p, trials, seed=SEED)
        secs = time.perf_counter() - start
        figs += [(f"yield_closed_{tag}", round(exact, 6), "probability"),
                 (f"yield_mc_{tag}", round(mc.estimate, 6), "probability"),
                 (f"yield_mc_se_{tag}", round(mc.stderr, 6), "probability"),
                 (f"yield_mc_z_{tag}", round(mc.z_score(exact), 3), "SE")]
        if w == 1024:
            figs.append(("yield_mc_s_1024x1024", round(secs, 3), "s"))
            print(f"Monte Carlo at 1024x1024: {trials} chips in {secs:.2f} s "
                  f"({trials * 1024 / secs:.3g} rows/s, one binomial draw per row)")
    for p, tag in ((1e-4, "p1e-4"), (1e-3, "p1e-3")):
        s = spares_for_yield(1024, 1024, p)
        figs += [(f"spares_for_99pct_yield_1024x1024_{tag}", float(s), "columns"),
                 (f"spare_overhead_99pct_1024x1024_{tag}", round(100 * s / (1024 + s), 3),
                  "percent")]
    print("anchor: Cerebras holds back about 7% of its cores as spares")
    for name, value, unit in figs:
        print(f"FIGURE {name} {value} {unit}")
    return figs


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    run(parser.parse_args().quick)
