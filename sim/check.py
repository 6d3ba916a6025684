"""Check a compiled program on a simulator: random tokens in, reference out.

The one place where a :class:`compiler.program.Program` meets a simulator; the CLI,
the benchmarks and the tests all check programs through :func:`check_program`.
"""

from __future__ import annotations

import os
import time

import numpy as np

from sim.simulators import make_simulator
from sim.stream import stream_tokens


def check_program(program, engine: str = "numpy", tokens: int = 300, seed: int = 0,
                  defects: np.ndarray | None = None, spares: int = 1,
                  build_dir: str | os.PathLike[str] | None = None) -> float:
    """Stream ``tokens`` random tokens (``program.random_tokens(tokens, seed)``), one per
    cycle, through ``program`` on ``engine`` (optionally on a physical ``defects`` map)
    and compare every output of every token with the program's reference; raise
    ``AssertionError`` naming the first mismatch. Returns the seconds spent."""
    bs = program.bitstream
    start = time.perf_counter()
    sim = make_simulator(engine, bs.configs, defects, spares, seed, build_dir)
    toks = program.random_tokens(tokens, seed=seed)
    got = stream_tokens(sim, bs.iomap, bs.width, bs.height, program.port_tokens(toks),
                        seed=seed + 1)
    program.check(got, toks)
    return time.perf_counter() - start
