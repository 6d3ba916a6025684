"""Verilog generation, Verilator builds and RTL simulation speed (issue 2 figures).

Figures (``FIGURE <name> <value> <unit>``), for n in 8, 16, 32, 64:

* ``verilog_gen_s_{n}x{n}`` — wall time of ``fabric.verilog.generate_verilog``
  (after one warm-up generation: the WebAssembly Yosys compiles itself once per
  process), ``verilog_bytes_{n}x{n}`` — size of that Verilog;
* ``verilator_build_s_{n}x{n}`` — Verilator + C++ compile of a fresh build
  (no cache, ``make -j<nproc>``, options of :data:`sim.verilator.DEFAULT_BUILD_ARGS`);
* ``verilator_cycles_per_s_{n}x{n}`` — simulated cycles per wall-clock second while
  the cocotb bench drives a new random input vector on all four input buses and
  reads all four output buses every cycle (a random configuration is loaded);
  ``verilator_free_cycles_per_s_{n}x{n}`` — the same model with the clock running
  free and no Python work per cycle (the model's own speed);
* ``numpy_vs_verilator_speed_ratio_16x16`` — numpy :class:`FabricSim` cycles/s ÷
  Verilator cycles/s on the same 16×16 fabric and program, same number of cycles.

The figures above are those of the tile netlist (the hardware, ``style="tiles"``).
The bit-sliced simulation view (``style="sliced"``, :mod:`fabric.verilog_sliced`)
is measured beside it in the same run, same program and cycles, for n in 16, 32,
64: ``verilator_build_s_{n}x{n}_sliced``, ``verilator_cycles_per_s_{n}x{n}_sliced``,
``verilator_free_cycles_per_s_{n}x{n}_sliced`` and, where both views were built,
``sliced_vs_tiles_speed_ratio_{n}x{n}`` (driven cycles/s of sliced ÷ tiles).

``run(quick)`` is the entry point of ``bench/run.py``; ``quick`` builds only the 16×16
tiles and sliced views (:data:`QUICK_VERILATOR_SIZES`; the 8×8 build takes about 20 s,
the 32×32 and 64×64 builds about 4 and 11 minutes on two cores; the full run has them).
The builds go to a temporary directory.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

Figure = tuple[str, float, str]
SIZES = (8, 16, 32, 64)
#: Sizes at which the bit-sliced view is measured too.
SLICED_SIZES = (16, 32, 64)
#: Sizes built in Verilator by ``--quick`` (the one size with both views, for their ratio).
QUICK_VERILATOR_SIZES = (16,)
SEED = 20261121


def _stream_cycles(n: int) -> int:
    """Cycles to stream on an n×n fabric: about a second of simulation."""
    return max(2000, min(40000, 2_500_000 // (n * n)))


def verilog_figures(sizes: tuple[int, ...] = SIZES) -> list[Figure]:
    """Generation time and size of the Verilog of each n×n fabric (S = 1)."""
    from fabric.geometry import FabricShape
    from fabric.verilog import generate_verilog

    generate_verilog(FabricShape(2, 2))  # warm-up: Yosys (WebAssembly) compiles once
    out: list[Figure] = []
    for n in sizes:
        t0 = time.perf_counter()
        text = generate_verilog(FabricShape(n, n))
        seconds = time.perf_counter() - t0
        out += [(f"verilog_gen_s_{n}x{n}", seconds, "s"),
                (f"verilog_bytes_{n}x{n}", float(len(text.encode())), "bytes")]
        print(f"verilog {n}x{n}: {seconds:.2f} s, {len(text)} bytes", flush=True)
    return out


def verilator_figures(n: int, build_dir: Path, cycles: int | None = None,
                      style: str = "tiles") -> tuple[list[Figure], float]:
    """Fresh build of the n×n fabric in Verilog ``style`` (``"tiles"`` or
    ``"sliced"``), then a throughput run; returns the figures (names suffixed
    ``_sliced`` for the sliced view) and the streamed cycles/s."""
    from fabric.geometry import FabricShape
    from sim.verilator import build_fabric, run_bench

    shape = FabricShape(n, n)
    suffix = "" if style == "tiles" else f"_{style}"
    build = build_fabric(shape, build_dir, force=True, style=style)
    rng = np.random.default_rng(SEED)
    configs = rng.integers(0, 2**64, size=(n, n), dtype=np.uint64)
    cycles = cycles or _stream_cycles(n)
    job = {"width": n, "height": n, "spares": shape.spares, "fault_injection": False,
           "seed": SEED, "mode": "throughput", "cycles": cycles, "configs": configs,
           "defects": np.zeros((n, n + shape.spares), dtype=bool)}
    result = run_bench(build, job, build_dir / f"run-{n}x{n}{suffix}")
    rate = float(result["cycles_per_s"])
    free = float(result["free_cycles_per_s"])
    print(f"verilator {n}x{n} {style}: build {build.build_seconds:.1f} s, {rate:.0f} "
          f"cycles/s driven, {free:.0f} cycles/s free-running", flush=True)
    return [(f"verilator_build_s_{n}x{n}{suffix}", build.build_seconds, "s"),
            (f"verilator_cycles_per_s_{n}x{n}{suffix}", rate, "cycles/s"),
            (f"verilator_free_cycles_per_s_{n}x{n}{suffix}", free, "cycles/s")], rate


def numpy_cycles_per_s(n: int, cycles: int) -> float:
    """Cycles/s of the numpy simulator on the same random n×n program as
    :func:`verilator_figures` (best of three runs of ``cycles`` cycles)."""
    from sim.numpy_sim import FabricSim

    rng = np.random.default_rng(SEED)
    configs = rng.integers(0, 2**64, size=(n, n), dtype=np.uint64)
    ins = {b: rng.integers(0, 2, size=(cycles, n), dtype=np.uint8)
           for b in ("west_in", "east_in", "north_in", "south_in")}
    sim = FabricSim(configs)
    best = float("inf")
    for _ in range(3):
        sim.reset()
        t0 = time.perf_counter()
        sim.run(ins)
        best = min(best, time.perf_counter() - t0)
    return cycles / best


def run(quick: bool = False, build_dir: Path | None = None,
        sizes: tuple[int, ...] = SIZES) -> list[Figure]:
    """All figures of this module; ``quick`` builds only :data:`QUICK_VERILATOR_SIZES`
    in Verilator (the sliced view is built at every size of :data:`SLICED_SIZES` in
    ``sizes``; the Verilog text is generated up to 32×32)."""
    figures = verilog_figures(tuple(n for n in sizes if not (quick and n > 32)))
    with tempfile.TemporaryDirectory(prefix="lutgrid-bench-") as tmp:
        root = build_dir or Path(tmp)
        for n in sizes:
            rate = None
            built = not quick or n in QUICK_VERILATOR_SIZES
            if built:
                got, rate = verilator_figures(n, root)
                figures += got
            if n in SLICED_SIZES and built:
                got, sliced_rate = verilator_figures(n, root, style="sliced")
                figures += got
                if rate:
                    ratio = sliced_rate / rate
                    print(f"sliced vs tiles {n}x{n}: {ratio:.2f}x driven cycles/s",
                          flush=True)
                    figures.append((f"sliced_vs_tiles_speed_ratio_{n}x{n}", ratio, "x"))
            if n == 16 and rate:
                cycles = _stream_cycles(n)
                np_rate = numpy_cycles_per_s(n, cycles)
                print(f"numpy 16x16: {np_rate:.0f} cycles/s", flush=True)
                figures += [("numpy_cycles_per_s_16x16", np_rate, "cycles/s"),
                            ("numpy_vs_verilator_speed_ratio_16x16", np_rate / rate, "x")]
    return figures


def main(argv: list[str] | None = None) -> int:
    """Print every figure as ``FIGURE <name> <value> <unit>``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="skip the 64x64 tile build (the sliced one still runs)")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="comma-separated square fabric sizes")
    parser.add_argument("--build-dir", type=Path, default=None,
                        help="keep the builds here instead of a temporary directory")
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(",") if s)
    for name, value, unit in run(args.quick, args.build_dir, sizes):
        print(f"FIGURE {name} {value:.6g} {unit}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
