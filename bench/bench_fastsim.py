"""Tokens per second of the fast simulator against the cycle-accurate numpy simulator and
Verilator, on one compiled program, in one run (issue 9, part 1).

The program is the largest compiled one available until the demo model exists: the
16x16 int4 constant matrix-vector product ``linear16x16`` of ``compiler/examples.py``
(systolic linear macro, 96x168 logical fabric, latency 272 cycles). Each engine streams
random tokens (one per cycle, garbage on every edge input that carries no token) and
every output of every token is checked against the program's reference; the fast
simulator is also compared with the cycle-accurate one bit for bit on every cycle of a
shared input stream. Tokens per second are tokens / wall-clock seconds of streaming:

* fast: :meth:`sim.fastsim.FastSim.run_tokens` (token encoding, lanes, decoding);
  the one-time netlist extraction is printed separately, not counted;
* cycle: :func:`sim.stream.stream_tokens` through :class:`sim.numpy_sim.FabricSim`
  (construction not counted);
* Verilator: the *sliced* simulation view (``fabric/verilog_sliced.py``; the tile
  netlist of a 96x168 fabric takes far too long to build for ``--quick``), driven by
  cocotb, counting only the streaming cycles (build, load and start-up excluded).

Figures: ``fastsim_tokens_per_s_demo``, ``fastsim_vs_cycle_sim_ratio_demo``,
``fastsim_vs_verilator_ratio_demo`` (plus the two other engines' tokens/s).
"""

from __future__ import annotations

import time

import numpy as np

from compiler.examples import EXAMPLES
from compiler.program import compile_program
from fabric.geometry import FabricShape
from sim.fastsim import FastSim
from sim.numpy_sim import FabricSim
from sim.stream import decode_outputs, encode_tokens, stream_tokens

PROGRAM = "linear16x16"
SEED = 20261201

Figure = tuple[str, float, str]


def run(quick: bool = False) -> list[Figure]:
    """Measure the three engines on :data:`PROGRAM`; return the figures."""
    n_fast = 1 << (18 if quick else 20)
    n_cycle = 2000 if quick else 4000
    n_rtl = 1500 if quick else 6000
    program = compile_program(EXAMPLES[PROGRAM](), PROGRAM, seed=0)
    bs = program.bitstream
    iomap = bs.iomap
    assert iomap is not None
    print(f"  program {PROGRAM}: {program.flow} flow, {bs.width}x{bs.height} fabric, "
          f"latency {iomap.latency} cycles (the largest compiled example)", flush=True)

    t0 = time.perf_counter()
    fast = FastSim(bs.configs, iomap)
    print(f"  fast: {fast.stats.text()}; extracted in {time.perf_counter() - t0:.2f} s",
          flush=True)

    # cycle-accurate numpy simulator, and the fast one on the very same port bits
    toks = program.random_tokens(n_cycle, seed=SEED)
    port_toks = program.port_tokens(toks)
    cycle_sim = FabricSim(bs.configs)
    t0 = time.perf_counter()
    got = stream_tokens(cycle_sim, iomap, bs.width, bs.height, port_toks, SEED)
    cycle_s = time.perf_counter() - t0
    program.check(got, toks)
    ins = encode_tokens(iomap, bs.width, bs.height, port_toks, np.random.default_rng(SEED))
    want, mine = FabricSim(bs.configs).run(ins), fast.run(ins)
    for port, index in fast.outputs:
        if not np.array_equal(want[port][:, index], mine[port][:, index]):
            raise AssertionError(f"fast simulator differs from FabricSim on {port}[{index}]")
    cycle_tps = n_cycle / cycle_s
    print(f"  cycle-accurate numpy: {n_cycle} tokens in {cycle_s:.2f} s, checked; the fast "
          f"simulator equals it on every cycle of all {len(fast.outputs)} output bits",
          flush=True)

    # fast simulator, token level, best of three
    toks = program.random_tokens(n_fast, seed=SEED + 1)
    port_toks = program.port_tokens(toks)
    best = float("inf")
    for rep in range(3):
        t0 = time.perf_counter()
        got = fast.run_tokens(port_toks, seed=SEED + rep)
        best = min(best, time.perf_counter() - t0)
        program.check(got, toks)
    fast_tps = n_fast / best
    print(f"  fast: {n_fast} tokens in {best:.2f} s (best of 3), checked", flush=True)

    # Verilator, sliced view
    from sim.rtl_run import run_rtl_full

    toks = program.random_tokens(n_rtl, seed=SEED + 2)
    port_toks = program.port_tokens(toks)
    ins = encode_tokens(iomap, bs.width, bs.height, port_toks, np.random.default_rng(SEED))
    t0 = time.perf_counter()
    rtl = run_rtl_full(FabricShape(bs.width, bs.height, 1), bs.configs, ins, style="sliced")
    program.check(decode_outputs(iomap, rtl.outputs, n_rtl), toks)
    rtl_tps = n_rtl / rtl.stream_seconds
    print(f"  verilator (sliced view): {n_rtl} tokens streamed in {rtl.stream_seconds:.2f} s "
          f"(build + load + start-up {time.perf_counter() - t0 - rtl.stream_seconds:.1f} s "
          f"not counted), checked", flush=True)

    figs: list[Figure] = [
        ("fastsim_tokens_per_s_demo", round(fast_tps), "tokens/s"),
        ("fastsim_vs_cycle_sim_ratio_demo", round(fast_tps / cycle_tps, 1), "ratio"),
        ("fastsim_vs_verilator_ratio_demo", round(fast_tps / rtl_tps, 1), "ratio"),
        ("cycle_sim_tokens_per_s_demo", round(cycle_tps), "tokens/s"),
        ("verilator_sliced_tokens_per_s_demo", round(rtl_tps), "tokens/s"),
    ]
    for name, value, unit in figs:
        print(f"FIGURE {name} {value} {unit}", flush=True)
    return figs


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    run(parser.parse_args().quick)
