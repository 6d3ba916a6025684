"""Figures of the general back end (pack -> place -> route -> emit) on small programs.

Programs (random constants with a fixed seed): an 8-bit saturating adder (``adder8_sat``;
the full-precision one is in bench_compose), an 8x8
variable multiply (``Graph.mul``, full 16-bit product), a 16-entry table (4-bit
index, 8-bit entries) and, in the full run only, 4x4 and 8x8 int4 constant ``linear``
(4-bit x, 8-bit saturated output) through the general flow. Each is lowered
(:func:`compiler.lower.lower`) and compiled by :func:`compiler.flow.compile_netlist`
(parity legalisation included), except the multiply: it goes through
:func:`compiler.program.compile_program`, which lays it out with the structured
multiply macro (:mod:`compiler.macros.multiply`); the general flow on the same graph
runs only in the full run, as ``mul8x8_var_general``. Every program is then *verified*
in the numpy fabric simulator: >= 300 random tokens, one per cycle, garbage on
unmapped inputs, every output of every token equal to :func:`compiler.ir.reference`.
Only then are its figures
printed (``<p>`` the program name)::

    FIGURE luts_<p> <n> LUTs               compute-only LUT outputs (placed LUTs, no relays)
    FIGURE cells_<p> <n> cells             cells used after P&R (compute + route-only)
    FIGURE latency_<p>_cycles <n> cycles
    FIGURE compile_s_<p> <s> s             compile wall clock

plus the headline names ``cells_adder8_sat``, ``cells_mul8x8_var``, ``cells_table16``
and ``cells_per_weight_linear8x8_int4_general`` (cells used / 64 weights). A program
that does not compile within its time budget (60 s each with ``quick``, else
600 s) prints a ``# <p>: ...`` line and no figures.
``run(quick)`` is the entry point of ``bench/run.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from compiler.errors import FitError
from compiler.flow import CompileResult, compile_netlist
from compiler.ir import Graph
from compiler.lower import lower
from compiler.program import Program, compile_program
from compiler.report import Report
from sim.check import check_program

SEED = 20240603
Figure = tuple[str, float, str]


def adder8() -> Graph:
    """8-bit signed saturating adder."""
    g = Graph()
    a, b = g.input("a", 1, 8), g.input("b", 1, 8)
    g.output("y", g.add(a, b, bits=8))
    return g


def mul8x8_var() -> Graph:
    """8x8 signed variable multiply, full product."""
    g = Graph()
    a, b = g.input("a", 1, 8), g.input("b", 1, 8)
    g.output("y", g.mul(a, b))
    return g


def table16() -> Graph:
    """16-entry table: 4-bit unsigned index, signed 8-bit entries."""
    rng = np.random.default_rng(SEED)
    g = Graph()
    x = g.input("x", 1, 4, signed=False)
    g.output("y", g.table(x, [int(v) for v in rng.integers(-128, 128, 16)], 8))
    return g


def linear(n: int) -> Callable[[], Graph]:
    """``n x n`` int4 constant matrix-vector product, 4-bit x, 8-bit saturated."""
    def build() -> Graph:
        rng = np.random.default_rng(SEED + n)
        g = Graph()
        x = g.input("x", n, 4)
        g.output("y", g.linear(x, rng.integers(-8, 8, size=(n, n)), bits=8))
        return g
    return build


def verify(g: Graph, res: CompileResult, n_tokens: int = 300, seed: int = 1) -> None:
    """Stream random tokens through FabricSim; raise AssertionError on any mismatch."""
    program = Program("bench", res.bitstream, lower(g).netlist, g, res.report, 0.0)
    check_program(program, "numpy", n_tokens, seed)


def _program(name: str, build: Callable[[], Graph], figs: list[Figure],
             weights: int = 0, budget: float | None = None) -> None:
    g = build()
    nl = lower(g).netlist
    t0 = time.perf_counter()
    try:
        res = compile_netlist(nl, seed=0, time_budget=budget)
    except FitError as exc:
        print(f"# {name}: did not compile: {exc}")
        return
    dt = time.perf_counter() - t0
    verify(g, res)
    _print(name, res.report, dt, figs, weights)


def _macro_program(name: str, build: Callable[[], Graph], figs: list[Figure]) -> None:
    """Compile through :func:`compiler.program.compile_program` (macros on), verify."""
    g = build()
    t0 = time.perf_counter()
    prog = compile_program(g, name, seed=0)
    dt = time.perf_counter() - t0
    check_program(prog, "numpy", 300, 1)
    print(f"# {name}: {prog.flow}")
    _print(name, prog.report, dt, figs, 0)


def _print(name: str, rep: Report, dt: float, figs: list[Figure], weights: int) -> None:
    out = [(f"luts_{name}", float(rep.lut_outputs), "LUTs"),
           (f"cells_{name}", float(rep.cells_used), "cells"),
           (f"latency_{name}_cycles", float(rep.latency), "cycles"),
           (f"compile_s_{name}", round(dt, 2), "s"),
           (f"fabric_cells_{name}", float(rep.width * rep.height), "cells")]
    if weights:
        out.append((f"cells_per_weight_{name}_general", round(rep.cells_used / weights, 1),
                    "cells/weight"))
    for f in out:
        print(f"FIGURE {f[0]} {f[1]} {f[2]}")
    figs.extend(out)


def run(quick: bool) -> list[Figure]:
    """Compile, verify and measure every program (see the module docstring)."""
    figs: list[Figure] = []
    budget = 60.0 if quick else 600.0
    # the saturating adder stays on the general flow (the ripple adder block does not
    # clamp); the full-precision adder8 is bench_compose's cells_adder8
    _program("adder8_sat", adder8, figs, budget=budget)
    _program("table16", table16, figs, budget=budget)
    _macro_program("mul8x8_var", mul8x8_var, figs)
    if not quick:                       # the general flow on the same graph, for contrast
        _program("mul8x8_var_general", mul8x8_var, figs, budget=budget)
    if not quick:                       # neither routes in the general flow yet
        _program("linear4x4_int4", linear(4), figs, weights=16, budget=budget)
        _program("linear8x8_int4", linear(8), figs, weights=64, budget=budget)
    return figs


if __name__ == "__main__":
    import sys
    run("--quick" in sys.argv)
