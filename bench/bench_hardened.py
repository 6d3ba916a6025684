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

Figures, ``<prog>`` being ``mul4x4`` (--quick) and also ``mlp4x8`` (a composed
two-layer MLP, the largest composed program that compiles in seconds) in the full run:

* ``hardened_verilator_build_s_<prog>``, ``programmable_sliced_verilator_build_s_<prog>``
  (and ``_tiles_`` in the full run): Verilator + C++ compile, seconds;
* ``hardened_vs_programmable_verilator_speed_ratio_<prog>``: driven cycles/s of the
  hardened model ÷ the sliced programmable model (``..._vs_tiles_...`` in the full run;
  on a small program both are bound by cocotb's per-cycle Python work), and
  ``..._free_speed_ratio_...``: the same with the clock running free, no Python work
  per cycle (the models' own speeds);
* ``hardened_flip_flops_<prog>``, ``hardened_luts_<prog>`` beside ``cells_used_<prog>``.

Issue 10 names these figures for a transformer block of d_model 8; no transformer
block composes yet (see the closing notes), so they are measured on these programs.
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


def _throughput(build, bs, root: Path, tag: str, hardened: bool) -> tuple[float, float]:
    """``(driven, free-running)`` cycles/s of one model."""
    from sim.verilator import run_bench

    spares = 0 if hardened else 1
    job = {"width": bs.width, "height": bs.height, "spares": spares,
           "fault_injection": False, "seed": SEED, "mode": "throughput", "cycles": CYCLES,
           "configs": bs.configs, "hardened": hardened,
           "defects": np.zeros((bs.height, bs.width + spares), dtype=bool)}
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
    hard_rate, hard_free = _throughput(hard, bs, root, f"{name}-hardened", True)
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
        rate, free = _throughput(prog, bs, root, f"{name}-{style}", False)
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


def run(quick: bool = False) -> list[Figure]:
    """All figures of this module (``quick``: mul4x4 only, sliced view only)."""
    names = ("mul4x4",) if quick else ("mul4x4", "mlp4x8")
    figs: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="lutgrid-bench-hardened-") as tmp:
        for name in names:
            figs += program_figures(name, Path(tmp), tiles=not quick)
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
