"""Figures of the scale study (issue 9, part 4): cells against model size, a growth
law, and a projection to an 8B-parameter model (:mod:`lutgrid.scale_study`).

Every program is compiled in a fresh process through Dask (one local worker, so that
compile times are not measured while another compile shares the two cores) and
verified before it counts: 300 random tokens with restarts through the numpy fabric,
every output equal to the reference. The families (``lutgrid.scale_study.FAMILIES``):
transformer blocks of d_model ``d`` and language models of ``h`` blocks, each as a row of
fabrics with one op per fabric (blocks of d_model 4 and above do not compose on one
fabric in a useful time yet), and issue 7's MLP with residual composed on one fabric::

    FIGURE scale_cells_<tag> <n> cells, scale_cells_per_param_<tag>,
           scale_latency_<tag>_cycles, scale_compile_s_<tag>, scale_peak_mb_<tag>,
           scale_chip_latency_<tag>_cycles, scale_balance_ffs_<tag> (the row as one chip)
           (tag: block<d>, lm<d>x<h>, mlp<d>)
    FIGURE cells_per_param_growth_exponent <e>    cells/param ~ params**e (fit on blocks)
    FIGURE cells_growth_exponent <b>              cells ~ params**b (fit on blocks)
    FIGURE cells_growth_exponent_mlp <b>          the same on the MLP family (full run)
    FIGURE projected_cells_8b_params <n> cells    PROJECTION at the blocks' fitted law
    FIGURE projected_area_8b_params_mm2_wse3_density <a> mm2   PROJECTION (assumptions
           in lutgrid.scale_study: 720 transistors per cell, WSE-3's transistor density)
    FIGURE projected_wse3_areas_8b_params <r> x   that area over one WSE-3's

--quick measures blocks of d_model 2 and 4; the full run blocks of 4, 8, 16, 32 and 64,
models of 1 to 4 blocks of d_model 8, and the MLPs of d = 2 to 64, each with a 900 s
compile budget (for a row of fabrics: per fabric, its fabrics compiled side by side on
the machine's cores; a size that does not compile within it prints a ``#`` line and
no figure). The plot of the blocks goes to ``out/scale_growth.png``.
"""

from __future__ import annotations

import time
from pathlib import Path

from lutgrid.scale_study import ANCHORS, fit_growth, plot_growth, project, run_study

Figure = tuple[str, float, str]
#: (family, sizes (d, h)) measured: --quick fits on the two smallest blocks only (about
#: 20 s); its exponent is indicative, the full run's is the figure to quote.
QUICK_STUDIES = [("block", [(2, 0), (4, 0)])]
FULL_STUDIES = [("block", [(4, 0), (8, 0), (16, 0), (32, 0), (64, 0)]),
                ("lm", [(8, 1), (8, 2), (8, 3), (8, 4)]),
                ("mlp", [(2, 4), (4, 8), (8, 16), (16, 32), (32, 64), (64, 128)])]
PLOT = Path(__file__).resolve().parent.parent / "out" / "scale_growth.png"


def _tag(p) -> str:
    return f"lm{p.d}x{p.h}" if p.family == "lm" else f"{p.family}{p.d}"


def run(quick: bool = False) -> list[Figure]:
    """Every figure of this module (module docstring)."""
    budget = 120.0 if quick else 900.0
    t0 = time.perf_counter()
    figs: list[Figure] = []
    fits = {}
    for family, sizes in QUICK_STUDIES if quick else FULL_STUDIES:
        points = run_study(sizes, budget=budget, workers=1, family=family)
        for p in points:
            if p.error:
                print(f"# {_tag(p)} ({p.params:,} params) did not compile within "
                      f"{budget:.0f} s: {p.error}", flush=True)
                continue
            print(f"{_tag(p)}: {p.params:,} params, {p.cells:,} cells "
                  f"({p.cells / p.params:.1f} per param), latency {p.latency}, compiled in "
                  f"{p.compile_s:.1f} s, peak {p.peak_mb:.0f} MiB; verified on 300 tokens; "
                  f"as one chip: latency {p.chip_latency}, {p.balance_ffs:,} flip-flops "
                  f"between fabrics ({p.balance_ffs / p.params:.1f} per param)", flush=True)
            tag = _tag(p)
            figs += [(f"scale_cells_{tag}", p.cells, "cells"),
                     (f"scale_cells_per_param_{tag}", p.cells / p.params, "cells/param"),
                     (f"scale_latency_{tag}_cycles", p.latency, "cycles"),
                     (f"scale_chip_latency_{tag}_cycles", p.chip_latency, "cycles"),
                     (f"scale_balance_ffs_{tag}", p.balance_ffs, "FF"),
                     (f"scale_compile_s_{tag}", p.compile_s, "s"),
                     (f"scale_peak_mb_{tag}", p.peak_mb, "MiB")]
        try:
            fits[family] = (fit_growth(points), points)
        except ValueError as exc:
            print(f"# no growth law for {family}: {exc}", flush=True)
    if "mlp" in fits:
        figs.append(("cells_growth_exponent_mlp", fits["mlp"][0].b, "exponent"))
    if "block" not in fits:
        return figs
    growth, points = fits["block"]
    proj = project(growth)
    print(f"fit over {growth.n} sizes: cells = {growth.a:.3g} * params^{growth.b:.3f} "
          f"(cells per param ~ params^{growth.per_param_exponent:+.3f})", flush=True)
    for line in proj.lines():
        print(line, flush=True)
    PLOT.parent.mkdir(exist_ok=True)
    plot_growth(points, growth, str(PLOT))
    print(f"wrote {PLOT} ({time.perf_counter() - t0:.0f} s in all)", flush=True)
    wse = proj.area_mm2["Cerebras WSE-3"]
    figs += [("cells_growth_exponent", growth.b, "exponent"),
             ("cells_per_param_growth_exponent", growth.per_param_exponent, "exponent"),
             ("projected_cells_8b_params", proj.cells, "cells"),
             ("projected_area_8b_params_mm2_wse3_density", wse, "mm2"),
             ("projected_wse3_areas_8b_params",
              wse / ANCHORS["Cerebras WSE-3"]["area_mm2"], "x")]
    return figs


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    for name, value, unit in run(ap.parse_args().quick):
        print(f"FIGURE {name} {value:.6g} {unit}")
