"""Figures of composition (issue 7): blocks stitched on one fabric.

Every composed program is verified before its figures print: >= 300 random tokens,
one per cycle, through the numpy fabric simulator (garbage on unmapped inputs), every
output of every token equal to :func:`compiler.ir.reference`.

    FIGURE cells_adder8 <n> cells                 y = a + b, 8-bit signed, full precision:
                                                  the one-row ripple adder
    FIGURE cells_table16_gather <n> cells         the 16-entry table example as a gather
    FIGURE cells_add_vec16_int8 <n> cells         16 independent 8-bit adds, composed
    FIGURE compose_overhead_add_vec16_int8 <r>    composed cells / sum of the blocks alone
    FIGURE cells_per_weight_linear16x16_ternary   the linear macro, weights in {-1, 0, 1}
    FIGURE compose_share_random5 <r>              random 5-op graphs that compose (of N)
    FIGURE compile_s_random5_p95 <s> s            95th percentile compile time of those
    FIGURE cells_per_lut_random5 <r>              median used cells per computing LUT output

    FIGURE cells_mlp16 <n> cells                  issue 7's MLP (x int4[16] -> Linear 32x16
                                                  -> ReLU table -> Linear 16x32 -> + x, sat 8)
    FIGURE cells_per_weight_mlp16, compose_overhead_mlp16, latency_mlp16_cycles,
           compile_s_mlp16                        (and the same for mlp4x8: d=4, h=8)

    FIGURE cells_<family> <n> cells               one small graph per family that composition
    FIGURE cells_ratio_<family>_decomposed_vs_whole   takes apart (satadd8, max3_int8, ...),
                                                  against one general-flow block per op
    FIGURE cells_ratio_dot4_int4_array_vs_products    (full run) the dot array against one
                                                  multiply per product and an adder tree

The full run adds 12-op and 40-op random graphs (``compile_s_random40_p95``,
``cells_per_lut_random40``), 12-op random programs of every op family
(``compose_share_families12``) and the smallest transformer block with each attention
(``block_d2_cells_relu``, ``block_d2_cells_per_param_relu``,
``block_d2_latency_cycles_relu``, ``block_d2_compile_s_relu``, and ``_softmax``); a
program that does not compose within its budget prints a ``#`` line and no figure.
Transformer blocks as a row of fabrics, one op (or one element of an elementwise op)
each, and as one chip: d_model 8 and 16 in --quick, 32 too in the full run
(``block_d<d>_cells_<attention>``, ``_cells_per_param_``, ``_latency_cycles_`` (the
row's sum), ``_chip_latency_cycles_``, ``_chip_balance_ffs_``, ``_compile_s_``,
``_fabrics_``).
``run(quick)`` is the entry point of ``bench/run.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np

from compiler.compose import compose_graph, decompose
from compiler.compose.stitch import ComposeError
from compiler.errors import FitError
from compiler.examples import adder8, mlp
from compiler.ir import Graph
from compiler.lower import lower
from compiler.program import Program, block_library, compile_program
from fabric.usage import usage
from sim.check import check_program

Figure = tuple[str, float, str]


def _verified(g: Graph, res) -> Program:
    prog = Program("composed", res.bitstream, lower(g).netlist, g, None, 0.0, 0, "composed")
    check_program(prog, tokens=300)
    return prog


def add_vec16() -> Graph:
    """16 independent signed 8-bit adds, full precision."""
    g = Graph()
    a, b = g.input("a", dim=16, bits=8), g.input("b", dim=16, bits=8)
    g.output("y", g.add(a, b, bits=None))
    return g


def _mlp(d: int, h: int) -> list[Figure]:
    """Issue 7's MLP composed, verified, measured; ``mlp16`` is ``d=16, h=32``."""
    name = "mlp16" if (d, h) == (16, 32) else f"mlp{d}x{h}"
    gm = mlp(d, h)
    t0 = time.perf_counter()
    try:
        res = compose_graph(gm, block_library(), time_budget=600.0)
    except ComposeError as exc:
        print(f"# {name}: {exc}")
        return []
    dt = time.perf_counter() - t0
    p = _verified(gm, res)
    weights = 2 * d * h
    print(f"{name}: {p.usage.text()} on {res.bitstream.width}x{res.bitstream.height}; "
          f"blocks alone {res.block_cells} cells; {weights} weights; {dt:.1f} s")
    return [(f"cells_{name}", p.usage.used, "cells"),
            (f"cells_per_weight_{name}", p.usage.used / weights, "cells/weight"),
            (f"compose_overhead_{name}", p.usage.used / res.block_cells, "ratio"),
            (f"latency_{name}_cycles", res.bitstream.iomap.latency, "cycles"),
            (f"compile_s_{name}", dt, "s")]


def _compose_each(label: str, graphs: list[tuple[int, Graph]], budget: float
                  ) -> tuple[int, list[float], list[float]]:
    """Compose and verify every ``(seed, graph)``, each with a block library of its own
    (every graph pays for compiling its blocks): how many composed, the seconds of
    each (a failure's time counts too) and the used cells per LUT output of each that
    composed."""
    ok, secs, per_lut = 0, [], []
    for seed, g in graphs:
        t0 = time.perf_counter()
        try:
            res = compose_graph(g, block_library(), time_budget=budget)
        except ComposeError as exc:
            secs.append(time.perf_counter() - t0)
            print(f"# {label} seed {seed}: {exc}")
            continue
        secs.append(time.perf_counter() - t0)
        _verified(g, res)
        u = usage(res.bitstream)
        per_lut.append(u.used / max(1, u.luts))
        ok += 1
    return ok, secs, per_lut


def _random_share(n_graphs: int, n_ops: int, budget: float) -> list[Figure]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "compiler"))
    from test_compile_graphs import random_graph

    graphs = [(s, random_graph(np.random.default_rng(s), n_ops))
              for s in range(1000, 1000 + n_graphs)]
    ok, secs, per_lut = _compose_each(f"random{n_ops}", graphs, budget)
    figs: list[Figure] = [(f"compose_share_random{n_ops}", ok / n_graphs, "ratio")]
    if secs:
        figs += [(f"compile_s_random{n_ops}_p95", float(np.percentile(secs, 95)), "s"),
                 (f"cells_per_lut_random{n_ops}", float(np.median(per_lut)), "cells/LUT")]
    print(f"random {n_ops}-op graphs: {ok} of {n_graphs} composed and verified")
    return figs


def _family_share(n_graphs: int, n_ops: int, budget: float) -> list[Figure]:
    """Random programs drawn from every op family (vectors, Linear, Dot, Embed,
    Argmax...; ``tests/compiler/compose/test_compose_families.py``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "compiler"
                           / "compose"))
    from test_compose_families import random_program

    graphs = [(s, random_program(np.random.default_rng(s), n_ops))
              for s in range(2000, 2000 + n_graphs)]
    ok, secs, _ = _compose_each(f"families{n_ops}", graphs, budget)
    print(f"random {n_ops}-op programs of every family: {ok} of {n_graphs} composed")
    return [(f"compose_share_families{n_ops}", ok / n_graphs, "ratio"),
            (f"compile_s_families{n_ops}_p95", float(np.percentile(secs, 95)), "s")]


def _transformer_block(budget: float, attention: str = "relu") -> list[Figure]:
    """The smallest block (d_model 2, window 2, MLP 4; :mod:`compiler.transformer`) with
    ``attention`` (relu or softmax), composed (in parts), verified in the numpy simulator
    (300 tokens with restarts, and on a defect map), or the error that stops it. Cells
    per parameter counts the Linear weights."""
    from compiler.transformer import BlockSpec, block_graph
    from fabric.defects import random_defects

    g = block_graph(BlockSpec(2, window=2, mlp=4, attention=attention))
    params = sum(int(np.asarray(op.params["W"]).size) for op in g.ops if op.kind == "linear")
    t0 = time.perf_counter()
    try:
        res = compose_graph(g, block_library(), time_budget=budget)
    except ComposeError as exc:
        print(f"# transformer block d2 ({attention}): {exc} ({time.perf_counter() - t0:.0f} s)")
        return []
    dt = time.perf_counter() - t0
    p = _verified(g, res)
    bs = res.bitstream
    check_program(p, tokens=300, seed=1,
                  defects=random_defects(bs.height, bs.width, 1, np.random.default_rng(1)))
    used = p.usage.used
    print(f"transformer block d2 ({attention}): {p.usage.text()}; {len(res.blocks)} parts; "
          f"{params} weights; latency {bs.iomap.latency}; {dt:.1f} s; bit-exact on 300 "
          f"tokens, also on a defect map")
    return [(f"block_d2_cells_{attention}", used, "cells"),
            (f"block_d2_cells_per_param_{attention}", used / params, "cells/weight"),
            (f"block_d2_latency_cycles_{attention}", bs.iomap.latency, "cycles"),
            (f"block_d2_compile_s_{attention}", dt, "s")]


def bench_block(d: int, attention: str) -> Graph:
    """The benchmarks' transformer block of d_model ``d``: window 2, heads of 2 words
    (one below d = 2), MLP 2d, int4, weights from the default seed."""
    from compiler.transformer import BlockSpec, block_graph

    return block_graph(BlockSpec(d, heads=max(1, d // 2), window=2, attention=attention))


def _block_row(d: int, attention: str, budget: float) -> list[Figure]:
    """A block of d_model ``d`` (window 2, ``d`` / 2 heads of 2 words, MLP 2d) as a row
    of fabrics, one op each (:func:`~compiler.compose.pipeline.cut_before_every_op`),
    an elementwise op one element each (``elements``), compiled side by side, verified
    in the numpy simulator (300 tokens with restarts, and on a defect map per fabric).
    Cells per parameter counts the Linear weights and biases
    (:func:`lutgrid.scale_study.trained_params`); latency is the sum of the fabrics';
    as one chip (:func:`compiler.compose.chain.chip_plan`, checked cycle by cycle) the
    fabrics overlap in time, and the wires between them cost flip-flops."""
    from compiler.compose.chain import chip_plan
    from compiler.compose.pipeline import compile_pipeline, cut_before_every_op
    from lutgrid.scale_study import trained_params
    from sim.chip_sim import stream_chip
    from sim.simulators import numpy_stage

    g = bench_block(d, attention)
    params = trained_params(g)
    pipe = compile_pipeline(g, f"block_d{d}", cut_before_every_op, time_budget=budget,
                            elements=True)
    tokens = pipe.random_tokens(300, seed=1)
    for defects in (None, np.random.default_rng(1)):
        pipe.check(pipe.run(tokens, numpy_stage(defects, seed=1)), tokens,
                   f"block d{d} {attention}")
    plan = chip_plan(pipe)
    pipe.check(stream_chip(plan, tokens, seed=1), tokens, f"block d{d} {attention} chip")
    used = pipe.used_cells
    print(f"transformer block d{d} ({attention}) as {len(pipe.bitstreams)} fabrics, one op "
          f"(element) each: {used:,} cells used, {params} parameters, latency "
          f"{pipe.latency} cycles, {pipe.compile_s:.1f} s; bit-exact on 300 tokens, also on "
          f"defect maps; as one chip: latency {plan.latency} cycles, "
          f"{plan.balance_flip_flops:,} flip-flops timing the wires between fabrics, "
          f"bit-exact cycle by cycle")
    n = f"d{d}"
    return [(f"block_{n}_cells_{attention}", used, "cells"),
            (f"block_{n}_cells_per_param_{attention}", used / params, "cells/param"),
            (f"block_{n}_latency_cycles_{attention}", pipe.latency, "cycles"),
            (f"block_{n}_chip_latency_cycles_{attention}", plan.latency, "cycles"),
            (f"block_{n}_chip_balance_ffs_{attention}", plan.balance_flip_flops, "FF"),
            (f"block_{n}_compile_s_{attention}", pipe.compile_s, "s"),
            (f"block_{n}_fabrics_{attention}", len(pipe.bitstreams), "fabrics")]


def _elements_vs_ops(d: int, budget: float) -> list[Figure]:
    """The d_model-``d`` ReLU block (as :func:`_block_row`) compiled one op per fabric
    and one element of an elementwise op per fabric, side by side: compile seconds,
    cells and the ratios (full run)."""
    from compiler.compose.pipeline import compile_pipeline, cut_before_every_op
    from sim.simulators import numpy_stage

    g = bench_block(d, "relu")
    got = {}
    for elements in (False, True):
        pipe = compile_pipeline(g, f"block_d{d}", cut_before_every_op, time_budget=budget,
                                elements=elements)
        tokens = pipe.random_tokens(300, seed=1)
        pipe.check(pipe.run(tokens, numpy_stage(seed=1)), tokens, f"block d{d}")
        got[elements] = (pipe.compile_s, pipe.used_cells, len(pipe.bitstreams))
    (t_op, c_op, n_op), (t_el, c_el, n_el) = got[False], got[True]
    print(f"block d{d} relu: one op per fabric {n_op} fabrics, {c_op:,} cells, {t_op:.1f} s; "
          f"one element per fabric {n_el} fabrics, {c_el:,} cells, {t_el:.1f} s", flush=True)
    return [(f"compile_s_ratio_ops_vs_elements_block_d{d}", t_op / t_el, "ratio"),
            (f"cells_ratio_elements_vs_ops_block_d{d}", c_el / c_op, "ratio")]


def run(quick: bool) -> list[Figure]:
    """Compose, verify and measure (module docstring)."""
    figs: list[Figure] = []
    prog = compile_program(adder8(), "adder8")
    check_program(prog, tokens=300)
    print(f"adder8: {prog.flow}, {prog.usage.text()}")
    figs += [("cells_adder8", prog.usage.used, "cells"),
             ("luts_adder8", prog.usage.luts, "LUTs"),
             ("latency_adder8_cycles", prog.bitstream.iomap.latency, "cycles")]

    from compiler.examples import table16
    pt = compile_program(table16(), "table16")
    check_program(pt, tokens=300)
    print(f"table16: {pt.flow}, {pt.usage.text()}")
    figs += [("cells_table16_gather", pt.usage.used, "cells"),
             ("latency_table16_gather_cycles", pt.bitstream.iomap.latency, "cycles")]

    g = add_vec16()
    t0 = time.perf_counter()
    res = compose_graph(g, block_library())
    dt = time.perf_counter() - t0
    p = _verified(g, res)
    print(f"add_vec16_int8: {p.usage.text()}; blocks alone {res.block_cells} cells; "
          f"{dt:.1f} s")
    figs += [("cells_add_vec16_int8", p.usage.used, "cells"),
             ("compose_overhead_add_vec16_int8", p.usage.used / res.block_cells, "ratio"),
             ("compile_s_add_vec16_int8", dt, "s")]

    from compiler.examples import linear
    rng = np.random.default_rng(1234)
    gl = Graph()
    x = gl.input("x", dim=16, bits=4)
    gl.output("y", gl.linear(x, rng.integers(-1, 2, size=(16, 16)), bits=None))
    pl = compile_program(gl, "linear16x16_ternary")
    check_program(pl, tokens=300)
    figs.append(("cells_per_weight_linear16x16_ternary", pl.usage.used / 256, "cells/weight"))
    pi = compile_program(linear(16, 16), "linear16x16_int4")
    figs.append(("cells_per_weight_linear16x16_int4_beside_ternary", pi.usage.used / 256,
                 "cells/weight"))

    figs += _families(quick)
    for d, h in ((4, 8), (16, 32)):
        figs += _mlp(d, h)
    figs += _random_share(8 if quick else 20, 5, 60.0)
    for d in (8, 16) if quick else (8, 16, 32):
        for attention in ("relu", "softmax"):
            figs += _block_row(d, attention, 900.0)
    if not quick:
        figs += _elements_vs_ops(8, 900.0)
        figs += _random_share(10, 12, 300.0)
        figs += _random_share(20, 40, 300.0)
        figs += _family_share(10, 12, 300.0)
        figs += _transformer_block(900.0, "relu")
        figs += _transformer_block(900.0, "softmax")
    return figs


def family_graphs(quick: bool) -> dict[str, Graph]:
    """One small graph per op family that composition takes apart
    (:mod:`compiler.compose.decompose`); the 6-bit table only in the full run."""
    gs: dict[str, Graph] = {}
    g = Graph()
    a, b = g.input("a", bits=8), g.input("b", bits=8)
    g.output("y", g.add(a, b, bits=8))
    gs["satadd8"] = g
    g = Graph()
    xs = [g.input(f"x{i}", bits=8) for i in range(3)]
    g.output("y", g.max(*xs))
    gs["max3_int8"] = g
    g = Graph()
    xs = [g.input(f"x{i}", bits=4) for i in range(4)]
    g.output("y", g.sum(xs, bits=5))
    gs["sum4_int4"] = g
    g = Graph()
    a = g.input("a", bits=8)
    g.output("y", g.sat(g.rshift(a, 3), 4))
    gs["rshift3_sat4"] = g
    g = Graph()
    a = g.input("a", bits=6)
    g.output("y", g.delay(a, 3))
    gs["delay3_int6"] = g
    g = Graph()
    a = g.input("a", dim=8, bits=4)
    g.output("y", g.argmax(a))
    gs["argmax8_int4"] = g
    g = Graph()
    t = g.input("t", bits=5, signed=False)
    g.output("e", g.embed(t, np.random.default_rng(5).integers(-8, 8, (32, 4)), bits=4))
    gs["embed32x4"] = g
    g = Graph()
    a, b = g.input("a", dim=4, bits=4), g.input("b", dim=4, bits=4)
    g.output("y", g.dot(a, b, shift=3, bits=6))
    gs["dot4_int4"] = g
    if not quick:
        g = Graph()
        x = g.input("x", bits=6)
        g.output("y", g.table(x, [max(0, v) // 4 for v in range(-32, 32)], bits=4))
        gs["table64"] = g
    return gs


def _families(quick: bool) -> list[Figure]:
    """Each family composed twice in one run: taken apart into macros (the default),
    and as one general-flow block per op; both verified."""
    figs: list[Figure] = []
    for name, g in family_graphs(quick).items():
        cells = {}
        for dec in (True, False):
            t0 = time.perf_counter()
            try:
                res = compose_graph(g, block_library(), time_budget=300.0, decompose=dec)
            except (ComposeError, FitError) as exc:  # a whole op may be too large
                print(f"# {name} {'decomposed' if dec else 'whole'}: {exc}")
                continue
            dt = time.perf_counter() - t0
            p = _verified(g, res)
            cells[dec] = p.usage.used
            flows = sorted({blk.flow for blk in res.blocks})
            print(f"{name} {'decomposed' if dec else 'whole op'}: {p.usage.used} cells, "
                  f"latency {res.bitstream.iomap.latency}, {dt:.1f} s ({', '.join(flows)})")
            if dec:
                figs += [(f"cells_{name}", p.usage.used, "cells"),
                         (f"latency_{name}_cycles", res.bitstream.iomap.latency, "cycles")]
        if len(cells) == 2:
            figs.append((f"cells_ratio_{name}_decomposed_vs_whole", cells[True] / cells[False],
                         "ratio"))
        if name.startswith("dot") and True in cells and not quick:
            # the same dot taken apart the way it was before the dot array: one
            # multiply per product and an adder tree (no chunk holds two products);
            # full run only: its channels take minutes to route
            t0 = time.perf_counter()
            try:
                with mock.patch.object(decompose, "DOT_MAX_STAGES", 0):
                    res = compose_graph(g, block_library(), time_budget=300.0)
            except ComposeError as exc:
                print(f"# {name} products and adder tree: {exc}")
                continue
            p = _verified(g, res)
            print(f"{name} products and adder tree: {p.usage.used} cells, latency "
                  f"{res.bitstream.iomap.latency}, {time.perf_counter() - t0:.1f} s")
            figs.append((f"cells_ratio_{name}_array_vs_products", cells[True] / p.usage.used,
                         "ratio"))
    return figs
