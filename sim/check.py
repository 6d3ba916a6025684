"""Check a compiled program on a simulator: random tokens in, reference out.

The one place where a :class:`compiler.program.Program` meets a simulator; the CLI,
the benchmarks and the tests all check programs through :func:`check_program` (or
:func:`run_program`, when they need the outputs themselves).
"""

from __future__ import annotations

import os
import time

import numpy as np

from sim.simulators import make_simulator
from sim.stream import stream_tokens


def run_program(program, engine: str = "numpy", tokens: int = 300, seed: int = 0,
                defects: np.ndarray | None = None, spares: int = 1,
                build_dir: str | os.PathLike[str] | None = None,
                style: str = "tiles") -> tuple[dict, dict]:
    """Stream ``tokens`` random tokens (``program.random_tokens(tokens, seed)``), one per
    cycle, through ``program`` on ``engine`` (optionally on a physical ``defects`` map,
    garbage on every unmapped input; ``style`` picks the Verilog view for Verilator,
    ``"hardened"`` included).
    Returns ``(outputs, tokens)``: the output words read at their I/O-map offsets, and
    the tokens that went in."""
    bs = program.bitstream
    sim = make_simulator(engine, bs.configs, defects, spares, seed, build_dir, style=style,
                         iomap=bs.iomap)
    toks = program.random_tokens(tokens, seed=seed)
    got = stream_tokens(sim, bs.iomap, bs.width, bs.height, program.port_tokens(toks),
                        seed=seed + 1)
    return got, toks


def check_program(program, engine: str = "numpy", tokens: int = 300, seed: int = 0,
                  defects: np.ndarray | None = None, spares: int = 1,
                  build_dir: str | os.PathLike[str] | None = None) -> float:
    """:func:`run_program`, then compare every output of every token with the
    program's reference; raise ``AssertionError`` naming the first mismatch. Returns
    the seconds spent."""
    start = time.perf_counter()
    got, toks = run_program(program, engine, tokens, seed, defects, spares, build_dir)
    program.check(got, toks)
    return time.perf_counter() - start
