"""The hardened view against the programmable fabric in Verilator (issue 10, part 5).

For each compiled program, in one run and on the same machine:

1. compile it and check it in the numpy simulator;
2. build (fresh, in a temporary directory) the Verilator model of its hardened view
   (:mod:`fabric.verilog_hardened`) and of the programmable fabric of the same size
   (the sliced view, the faster of the two programmable views; the full run adds the
   tile netlist);
3. stream the same number of random cycles through each (cocotb throughput mode: a
   new random vector on every input bus and every output bus read, every cycle);
4. check the hardened model's tokens against the reference (300 tokens).

Figures (full run), ``<prog>`` being ``mul4x4`` and ``mlp4x8`` (a composed two-layer
MLP, the largest composed program that compiles in seconds):

* ``hardened_verilator_build_s_<prog>``, ``programmable_sliced_verilator_build_s_<prog>``
  (and ``_tiles_`` in the full run): Verilator + C++ compile, seconds;
* ``hardened_vs_programmable_verilator_speed_ratio_<prog>``: driven cycles/s of the
  hardened model ÷ the sliced programmable model (``..._vs_tiles_...`` in the full run;
  on a small program both are bound by cocotb's per-cycle Python work), and
  ``..._free_speed_ratio_...``: the same with the clock running free, no Python work
  per cycle (the models' own speeds);
* ``hardened_flip_flops_<prog>``, ``hardened_luts_<prog>`` beside ``cells_used_<prog>``.

Issue 10 names these figures for a transformer block of d_model 8. A block runs as a
row of fabrics, one op each, and in Verilator as one chip of their hardened views
(:func:`block_figures`): ``hardened_verilator_build_s_block_d2`` and its cycles/s in
--quick; ``..._block_d8`` and ``hardened_vs_programmable_verilator_speed_ratio_block_d8``
(against the row of programmable fabrics, one sliced model each) in the full run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

Figure = tuple[str, float, str]
SEED = 20261202
CYCLES = 4000


def _program(name: str):
    from compiler.examples import EXAMPLES, mlp
    from compiler.program import compile_program

    if name == "mlp4x8":
        return compile_program(mlp(4, 8), name, compose=True)
    return compile_program(EXAMPLES[name](), name, seed=1)


def _throughput(build, configs: np.ndarray, root: Path, tag: str, hardened: bool
                ) -> tuple[float, float]:
    """``(driven, free-running)`` cycles/s of one model (``configs``: the fabric's, or
    zeros of its port shape for a hardened one)."""
    from sim.verilator import run_bench

    spares = 0 if hardened else 1
    height, width = configs.shape
    job = {"width": width, "height": height, "spares": spares,
           "fault_injection": False, "seed": SEED, "mode": "throughput", "cycles": CYCLES,
           "configs": configs, "hardened": hardened,
           "defects": np.zeros((height, width + spares), dtype=bool)}
    result = run_bench(build, job, root / f"run-{tag}")
    return float(result["cycles_per_s"]), float(result["free_cycles_per_s"])


def program_figures(name: str, root: Path, tiles: bool) -> list[Figure]:
    """Build and run the hardened and programmable models of one program."""
    from fabric.geometry import FabricShape
    from fabric.usage import usage
    from fabric.verilog_hardened import generate_hardened_verilog
    from sim.check import check_program, run_program
    from sim.verilator import build_fabric

    program = _program(name)
    bs = program.bitstream
    check_program(program)
    text, stats = generate_hardened_verilog(bs.configs, bs.iomap)
    hard = build_fabric(FabricShape(bs.width, bs.height, 0), root, verilog=text,
                        style="hardened", force=True)
    hard_rate, hard_free = _throughput(hard, bs.configs, root, f"{name}-hardened", True)
    got, toks = run_program(program, "verilator", 300, 1, build_dir=root, style="hardened")
    program.check(got, toks)
    cells = usage(bs).used
    print(f"{name}: {bs.width}x{bs.height} fabric, {cells} cells used; hardened view: "
          f"{stats.text()}; 300 tokens bit-exact in Verilator", flush=True)
    print(f"  hardened: build {hard.build_seconds:.1f} s, {hard_rate:.0f} cycles/s driven, "
          f"{hard_free:.0f} free-running", flush=True)
    figs: list[Figure] = [
        (f"cells_used_{name}", float(cells), "cells"),
        (f"hardened_luts_{name}", float(stats.luts), "LUT registers"),
        (f"hardened_flip_flops_{name}", float(stats.flip_flops), "FF"),
        (f"hardened_verilator_build_s_{name}", hard.build_seconds, "s"),
        (f"hardened_verilator_cycles_per_s_{name}", hard_rate, "cycles/s"),
        (f"hardened_verilator_free_cycles_per_s_{name}", hard_free, "cycles/s"),
    ]
    for style in ("sliced", "tiles") if tiles else ("sliced",):
        prog = build_fabric(FabricShape(bs.width, bs.height, 1), root, style=style,
                            force=True)
        rate, free = _throughput(prog, bs.configs, root, f"{name}-{style}", False)
        print(f"  programmable {style}: build {prog.build_seconds:.1f} s, {rate:.0f} "
              f"cycles/s driven, {free:.0f} free-running; hardened/programmable "
              f"{hard_rate / rate:.2f}x driven, {hard_free / free:.2f}x free-running",
              flush=True)
        vs = "" if style == "sliced" else "_vs_tiles"
        figs += [(f"programmable_{style}_verilator_build_s_{name}", prog.build_seconds, "s"),
                 (f"hardened_vs_programmable{vs}_verilator_speed_ratio_{name}",
                  hard_rate / rate, "x"),
                 (f"hardened_vs_programmable{vs}_verilator_free_speed_ratio_{name}",
                  hard_free / free, "x")]
    return figs


def block_figures(d: int, root: Path, programmable: bool) -> list[Figure]:
    """A transformer block of d_model ``d`` (window 2, ReLU attention, heads of 2 words)
    compiled one op per fabric and built as one chip (:mod:`fabric.verilog_chip`: every
    fabric's hardened view, the wires between them timed by delay lines): one Verilator
    build, 300 tokens checked against the reference, then driven and free-running
    cycles/s. With ``programmable``, every fabric's sliced programmable model is built
    and run too; the row of them takes a cycle of each per token, so its cycles/s is
    ``1 / sum(1 / rate)``."""
    from bench_compose import bench_block

    from compiler.compose.chain import chip_plan
    from compiler.compose.pipeline import compile_pipeline, cut_before_every_op
    from fabric.geometry import FabricShape
    from fabric.verilog_chip import generate_chip_verilog
    from sim.rtl_run import stream_chip_verilog
    from sim.verilator import build_fabric

    name = f"block_d{d}"
    g = bench_block(d, "relu")
    pipe = compile_pipeline(g, name, cut_before_every_op, time_budget=900, elements=True)
    plan = chip_plan(pipe)
    text, stats = generate_chip_verilog(plan)
    rows = plan.port_rows
    build = build_fabric(FabricShape(1, rows, 0), root, verilog=text, style="hardened",
                         force=True)
    tokens = pipe.random_tokens(300, seed=1)
    got, _run = stream_chip_verilog(plan, text, tokens, build_dir=root, seed=SEED)
    pipe.check(got, tokens, f"{name} chip in Verilator")
    rate, free = _throughput(build, np.zeros((rows, 1), dtype=np.uint64), root,
                             f"{name}-chip", True)
    print(f"{name}: {len(pipe.bitstreams)} fabrics, {pipe.used_cells:,} cells, as one chip: "
          f"{stats.text()}; latency {plan.latency} cycles; Verilator build "
          f"{build.build_seconds:.1f} s, {rate:.0f} cycles/s driven, {free:.0f} "
          f"free-running; 300 tokens bit-exact", flush=True)
    figs: list[Figure] = [
        (f"hardened_verilator_build_s_{name}", build.build_seconds, "s"),
        (f"hardened_verilator_cycles_per_s_{name}", rate, "cycles/s"),
        (f"hardened_verilator_free_cycles_per_s_{name}", free, "cycles/s"),
        (f"hardened_chip_balance_ffs_{name}", float(stats.balance_ffs), "FF"),
        (f"hardened_chip_latency_cycles_{name}", float(plan.latency), "cycles"),
    ]
    if programmable:
        per_token = per_token_free = built = 0.0
        for k, bs in enumerate(pipe.bitstreams):
            prog = build_fabric(FabricShape(bs.width, bs.height, 1), root, style="sliced")
            r, f = _throughput(prog, bs.configs, root, f"{name}-part{k}", False)
            per_token, per_token_free = per_token + 1 / r, per_token_free + 1 / f
            built += prog.build_seconds
        print(f"  programmable row of {len(pipe.bitstreams)} sliced fabrics: builds "
              f"{built:.0f} s; chip/row {rate * per_token:.2f}x driven, "
              f"{free * per_token_free:.2f}x free-running", flush=True)
        figs += [(f"programmable_sliced_verilator_build_s_{name}", built, "s"),
                 (f"hardened_vs_programmable_verilator_speed_ratio_{name}",
                  rate * per_token, "x"),
                 (f"hardened_vs_programmable_verilator_free_speed_ratio_{name}",
                  free * per_token_free, "x")]
    return figs


def run(quick: bool = False) -> list[Figure]:
    """All figures of this module: ``quick``, the d_model-2 block as one chip (hardened
    only); the full run adds mul4x4 and mlp4x8 against the programmable fabric (sliced
    and tile views) and the d_model-8 block against its row of programmable fabrics."""
    figs: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="lutgrid-bench-hardened-") as tmp:
        figs += block_figures(2, Path(tmp), programmable=False)
        if not quick:
            for name in ("mul4x4", "mlp4x8"):
                figs += program_figures(name, Path(tmp), tiles=True)
            figs += block_figures(8, Path(tmp), programmable=True)
    return figs


def main(argv: list[str] | None = None) -> int:
    """Print every figure as ``FIGURE <name> <value> <unit>``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    for name, value, unit in run(args.quick):
        print(f"FIGURE {name} {value:.6g} {unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
