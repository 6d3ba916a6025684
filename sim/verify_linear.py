"""Stream random tokens through a laid-out Linear macro in the numpy fabric simulator.

Used by the tests and by ``bench/bench_linear_macro.py``: one new random token every
cycle, every unmapped edge input driven with seeded garbage (:mod:`sim.stream`), every
output bit of token t read at cycle ``t + offset`` and compared with the numpy
reference of DESIGN §5 Linear.
"""

from __future__ import annotations

import numpy as np

from compiler.lower import word_name
from compiler.macros.linear import linear_reference
from fabric.bitstream import Bitstream
from sim.numpy_sim import FabricSim
from sim.stream import stream_tokens


class LinearMismatch(AssertionError):
    """The fabric disagreed with the reference; the message names the first bad token."""


def verify_linear(bitstream: Bitstream, weights: np.ndarray, bias: np.ndarray | None,
                  x_bits: int, shift: int = 0, out_bits: int | None = None,
                  tokens: int = 300, seed: int = 0) -> int:
    """Run ``tokens`` random tokens (one per cycle) and check every output word of every
    token; return the number of cycles simulated, raise :class:`LinearMismatch`."""
    w = np.asarray(weights, dtype=np.int64)
    d_out, d_in = w.shape
    rng = np.random.default_rng(seed)
    x = rng.integers(-(1 << (x_bits - 1)), 1 << (x_bits - 1), size=(tokens, d_in))
    words = {word_name("x", i, d_in): x[:, i] for i in range(d_in)}
    assert bitstream.iomap is not None
    out = stream_tokens(FabricSim(bitstream.configs), bitstream.iomap, bitstream.width,
                        bitstream.height, words, seed=seed + 1)
    ref = linear_reference(w, bias, x, shift, out_bits)
    for o in range(d_out):
        got = out[word_name("y", o, d_out)]
        bad = np.flatnonzero(got != ref[:, o])
        if bad.size:
            t = int(bad[0])
            raise LinearMismatch(f"output {o}, token {t}: fabric {int(got[t])}, reference "
                                 f"{int(ref[t, o])} (x = {x[t].tolist()})")
    return tokens + bitstream.iomap.latency + 1
