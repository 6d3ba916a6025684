"""How cost grows with the model (issue 9, part 4): compile a family of programs of
growing size, fit a growth law, project to an 8B-parameter model.

:func:`measure` compiles one program of a family in a fresh Python process (so that its
peak memory is its own: ``ru_maxrss`` of that process) and verifies it (300 random
tokens with restarts through the numpy fabric simulator, every output equal to the
reference) before its figures count. :func:`run_study` runs the jobs through Dask
(:mod:`lutgrid.sweep`: local worker processes, or a running cluster), :func:`fit_growth`
fits ``cells = a * params**b`` by least squares in log-log, and :func:`project` turns
the fit into the cells and the chip area of a model of ``params`` parameters, under the
assumptions it states (:data:`TRANSISTORS_PER_CELL`, the anchors' densities).

The families (:data:`FAMILIES`): issue 7's MLP with residual (:func:`compiler.examples.
mlp`, ``d`` words in, hidden ``h = 2 d``), composed on one fabric; and transformer
blocks and language models of 1 to 4 blocks (:mod:`compiler.transformer`), as a row of
fabrics with one op, or one element of an elementwise op, each
(:func:`compiler.compose.pipeline.cut_before_every_op`, ``elements``), because
blocks of d_model 4 and above do not compose on one fabric in a useful time yet
(docs/TRANSFORMER.md). A row's cells are all its fabrics' cells, its latency their sum.
``params`` counts the trained integers: every Linear's weights and biases and every
Embed's table (tables of functions are fixed, not counted).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["ANCHORS", "FAMILIES", "TRANSISTORS_PER_CELL", "Growth", "Point", "Projection",
           "family_graph", "fit_growth", "measure", "plot_growth", "project", "run_study",
           "trained_params"]

#: Transistors of one programmable cell, an assumption for the area projection: 64
#: configuration bits in 6T SRAM (384), four 16:1 multiplexers of 15 two-input pass-gate
#: muxes at 4 transistors (240), four flip-flops at 24 (96). No wiring overhead: the
#: fabric's wires are abutting neighbours.
TRANSISTORS_PER_CELL = 720

#: Published anchors (self-reported by their makers): transistors, area (mm2).
ANCHORS = {
    "Cerebras WSE-3": {"transistors": 4e12, "area_mm2": 46_225.0, "cores": 900_000,
                       "sram_gb": 44},
    "hard-wired 8B chip": {"transistors": 53e9, "area_mm2": 815.0,
                           "tokens_per_s_per_user": 17_000},
}


@dataclass(frozen=True)
class Point:
    """One compiled program: its size ``d`` (and hidden ``h``), ``params`` (trained
    integers), ``cells`` used, ``latency`` (cycles), ``compile_s`` (s), ``peak_mb`` (peak
    resident memory of the compiling process, MiB), and ``error`` (empty when it
    compiled and verified; the reason otherwise, the other fields then 0). A row of
    fabrics also runs as one chip (:func:`compiler.compose.chain.chip_plan`):
    ``chip_latency`` (cycles) and ``balance_ffs``, the flip-flops of its delay lines
    between fabrics (one fabric: its latency, and none)."""

    family: str
    d: int
    h: int
    params: int
    cells: int
    latency: int
    compile_s: float
    peak_mb: float
    error: str = ""
    chip_latency: int = 0
    balance_ffs: int = 0


#: families :func:`measure` knows, and what ``d`` and ``h`` mean in each
FAMILIES = {
    "mlp": "issue 7's MLP with residual: d int4 words in, hidden h, composed on one fabric",
    "block": "a transformer block: d_model d, heads of 8 words (one below d = 8), window "
             "2, ReLU attention, MLP 2d, as a row of fabrics one op (element) each",
    "lm": "a language model of h such blocks (d_model d): 32 symbols, Embed, the blocks, "
          "a head Linear and Argmax, as a row of fabrics one op (element) each",
}


def trained_params(graph) -> int:
    """Trained integers: every Linear's weights and biases, every Embed's table."""
    return (sum(int(np.asarray(op.params[k]).size) for op in graph.ops
                if op.kind == "linear" for k in ("W", "b"))
            + sum(int(np.asarray(op.params["table"]).size) for op in graph.ops
                  if op.kind == "embed"))


def family_graph(family: str, d: int, h: int):
    """The program of ``family`` (:data:`FAMILIES`) at size ``d``, ``h``; weights drawn
    from a fixed seed. Raises ``ValueError`` naming an unknown family."""
    from compiler.examples import mlp
    from compiler.transformer import (
        BlockSpec,
        LMSpec,
        block_graph,
        lm_graph,
        random_lm_params,
    )

    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r} (known: {', '.join(FAMILIES)})")
    if family == "mlp":
        return mlp(d, h)
    spec = BlockSpec(d, heads=max(1, d // 8), window=2)
    if family == "block":
        return block_graph(spec, seed=7)
    lm = LMSpec(32, spec, blocks=h)
    return lm_graph(lm, random_lm_params(lm, seed=7))


def _measure_here(family: str, d: int, h: int, budget: float) -> Point:
    """Compile and verify in this process (the child of :func:`measure`)."""
    import resource

    from compiler.compose.chain import chip_plan
    from compiler.compose.pipeline import Pipeline, compile_pipeline, cut_before_every_op
    from compiler.errors import CompileError
    from compiler.program import compile_program
    from sim.chip_sim import stream_chip
    from sim.simulators import numpy_stage

    graph = family_graph(family, d, h)
    params = trained_params(graph)
    start = time.perf_counter()
    try:
        if family == "mlp":
            pipe = Pipeline.of_program(compile_program(graph, f"mlp{d}x{h}", compose=True,
                                                       time_budget=budget))
        else:
            pipe = compile_pipeline(graph, f"{family}{d}x{h}", cut_before_every_op,
                                    time_budget=budget, elements=True)
    except (CompileError, ValueError) as exc:   # no fit, no route in the budget, no layout
        return Point(family, d, h, params, 0, 0, time.perf_counter() - start, 0.0,
                     f"{type(exc).__name__}: {exc}"[:300])
    compile_s = time.perf_counter() - start
    tokens = pipe.random_tokens(300, seed=1)
    pipe.check(pipe.run(tokens, numpy_stage(seed=1)), tokens, f"{family} d={d} h={h}")
    chip_latency, balance = pipe.latency, 0
    if len(pipe.bitstreams) > 1:      # the row as one chip, checked cycle by cycle too
        plan = chip_plan(pipe)
        pipe.check(stream_chip(plan, tokens, seed=1), tokens, f"{family} d={d} h={h} chip")
        chip_latency, balance = plan.latency, plan.balance_flip_flops
    # the parts of a row compile in worker processes: their peak counts too
    peak_kib = max(resource.getrusage(who).ru_maxrss
                   for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return Point(family, d, h, params, pipe.used_cells, pipe.latency, compile_s,
                 peak_kib / 1024, "", chip_latency, balance)      # KiB on Linux


def measure(family: str, d: int, h: int, budget: float = 600.0) -> Point:
    """Compile and verify program ``family(d, h)`` in a fresh Python process, with a
    compile ``budget`` (s); returns its :class:`Point` (``error`` set if it did not
    compile in the budget, or the process ran out of its own time limit). Raises
    ``RuntimeError`` if the child process failed."""
    cmd = [sys.executable, "-m", "lutgrid.scale_study", family, str(d), str(h),
           str(budget)]
    limit = budget * 3 + 300
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return Point(family, d, h, 0, 0, 0, limit, 0.0,
                     f"the measuring process ran past {limit:.0f} s")
    if done.returncode != 0:
        raise RuntimeError(f"{family} d={d}: the measuring process failed: "
                           f"{done.stderr.strip()[-500:]}")
    return Point(**json.loads(done.stdout.strip().splitlines()[-1]))


def run_study(sizes: list[tuple[int, int]], budget: float = 600.0, workers: int = 1,
              scheduler: str | None = None, progress: bool = True,
              family: str = "mlp") -> list[Point]:
    """:func:`measure` every ``(d, h)`` of ``sizes`` of ``family`` through Dask
    (:func:`lutgrid.sweep.run_jobs`), in order. ``workers`` local processes (default 1:
    compile times measured side by side on a 2-core machine would share its cores)."""
    from lutgrid.sweep import run_jobs

    jobs = [(family, d, h, budget) for d, h in sizes]
    return run_jobs(measure, jobs, scheduler=scheduler, workers=workers,
                    timeout=len(jobs) * (budget * 3 + 300), label="scale study",
                    progress=progress)


@dataclass(frozen=True)
class Growth:
    """``cells = a * params**b`` fitted on ``n`` points; ``cells / params`` then grows as
    ``params**(b - 1)`` (:attr:`per_param_exponent`)."""

    a: float
    b: float
    n: int

    @property
    def per_param_exponent(self) -> float:
        """Exponent of cells per parameter against parameters (0: constant density)."""
        return self.b - 1.0

    def cells(self, params: float) -> float:
        """Cells the fit predicts for ``params`` parameters."""
        return self.a * params ** self.b


def fit_growth(points: list[Point]) -> Growth:
    """Least-squares fit of ``log cells`` against ``log params`` over the points that
    compiled. Raises ``ValueError`` with fewer than two such points of distinct sizes."""
    ok = [p for p in points if not p.error]
    if len({p.params for p in ok}) < 2:
        raise ValueError(f"a growth law needs two sizes that compiled, got "
                         f"{len({p.params for p in ok})}")
    x = np.log([p.params for p in ok])
    y = np.log([p.cells for p in ok])
    b, log_a = np.polyfit(x, y, 1)
    return Growth(float(math.exp(log_a)), float(b), len(ok))


@dataclass(frozen=True)
class Projection:
    """A model of ``params`` parameters at the fitted density (a projection, not a
    measurement): ``cells``, ``transistors`` (at :data:`TRANSISTORS_PER_CELL`), and its
    area in mm2 at each anchor's transistor density, with that anchor's own area."""

    params: float
    cells: float
    transistors: float
    area_mm2: dict

    def lines(self) -> list[str]:
        """Human-readable lines, each saying it is a projection."""
        out = [f"PROJECTION (not measured): {self.params:.3g} parameters -> "
               f"{self.cells:.3g} cells -> {self.transistors:.3g} transistors at "
               f"{TRANSISTORS_PER_CELL} per cell (assumed: 64 SRAM configuration bits, "
               f"four 16:1 muxes, four flip-flops)"]
        for name, mm2 in self.area_mm2.items():
            anchor = ANCHORS[name]
            out.append(f"  at the density of {name} ({anchor['transistors']:.3g} "
                       f"transistors on {anchor['area_mm2']:,.0f} mm2): {mm2:,.0f} mm2, "
                       f"{mm2 / anchor['area_mm2']:,.1f}x its area")
        return out


def project(growth: Growth, params: float = 8e9) -> Projection:
    """Cells, transistors and area of a ``params``-parameter model at ``growth``'s
    density (see :class:`Projection`)."""
    cells = growth.cells(params)
    transistors = cells * TRANSISTORS_PER_CELL
    area = {name: transistors / (a["transistors"] / a["area_mm2"])
            for name, a in ANCHORS.items()}
    return Projection(params, cells, transistors, area)


def plot_growth(points: list[Point], growth: Growth, path: str, target: float = 8e9
                ) -> None:
    """Cells against parameters (log-log): the measured points, the fit, and the
    projection to ``target`` parameters marked as such; a PNG at ``path`` (written to a
    temporary file and renamed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fabric.bitstream import atomic_write_bytes

    ok = [p for p in points if not p.error]
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    families = ", ".join(dict.fromkeys(p.family for p in ok))
    ax.loglog([p.params for p in ok], [p.cells for p in ok], "o",
              label=f"measured ({families})")
    for p in ok:
        ax.annotate(f"d={p.d}", (p.params, p.cells), textcoords="offset points",
                    xytext=(4, -10), fontsize=8)
    xs = np.geomspace(min(p.params for p in ok), target, 50)
    ax.loglog(xs, growth.cells(xs), "--",
              label=f"fit: cells = {growth.a:.3g} * params^{growth.b:.3f}")
    ax.loglog([target], [growth.cells(target)], "x", ms=10,
              label=f"projection: {target:.0e} params")
    ax.set_xlabel("parameters (Linear weights and biases)")
    ax.set_ylabel("cells used")
    ax.set_title("lutgrid: cells against model size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    import io

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def _main(argv: list[str]) -> int:
    family, d, h, budget = argv[0], int(argv[1]), int(argv[2]), float(argv[3])
    print(json.dumps(asdict(_measure_here(family, d, h, budget))))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
