"""Figures of the hand-placed Linear macro (issue 3's headline: cells per int4 weight).

For an 8x8 and a 16x16 constant matrix-vector product with random signed int4
weights (seed fixed), full precision (out_bits None, shift 0) and 4-bit x, it builds
the bitstream with :func:`compiler.macros.build_linear`, *verifies it* in the numpy
fabric simulator (>= 300 random tokens, one per cycle, garbage on unmapped inputs,
every output checked at t + offset), and only then prints::

    FIGURE cells_per_weight_linear8x8_int4 <v> cells/weight    (bounding area / weights)
    FIGURE cells_per_weight_linear16x16_int4 <v> cells/weight
    FIGURE route_overhead_linear16x16 <v> ratio   (cells used / cells computing non-copy)
    FIGURE route_only_share_linear16x16 <v> ratio (cells only moving bits / cells used)
    FIGURE latency_linear16x16_cycles <v> cycles
    FIGURE compile_s_linear16x16 <v> s            (build_linear wall clock, cold cache)

plus the same 16x16 with shift 4 and saturation to 8 bits
(``cells_per_weight_linear16x16_int4_sat8``), and with x of 5 and 8 bits
(``cells_per_weight_linear16x16_x5``, ``compile_s_linear16x16_x5``, ``..._x8``; x wider
than 4 bits is laid out as column groups) and issue 7's 11x5 layer with 5-bit x
(``compile_s_linear11x5_x5``: 93 s before the groups). ``run(quick)`` is the entry point of
``bench/run.py``.
"""

from __future__ import annotations

import time

import numpy as np

from compiler.macros import build_linear, cells_used
from compiler.macros.taps import route_block
from sim.verify_linear import verify_linear

SEED = 20240603
X_BITS = 4

Figure = tuple[str, float, str]


def _case(n: int, shift: int = 0, out_bits: int | None = None, tokens: int = 300,
          x_bits: int = X_BITS, d_in: int | None = None):
    rng = np.random.default_rng(SEED + n)
    w = rng.integers(-8, 8, size=(n, d_in or n))
    route_block.cache_clear()           # compile time from a cold cache
    t = time.perf_counter()
    bs = build_linear(w, None, x_bits, shift, out_bits)
    compile_s = time.perf_counter() - t
    verify_linear(bs, w, None, x_bits, shift, out_bits, tokens=tokens, seed=SEED)
    return bs, cells_used(bs, w.size), compile_s


def run(quick: bool = False) -> list[Figure]:
    """Build, verify and measure; return (and print) the figures."""
    tokens = 300 if quick else 2000
    figs: list[Figure] = []
    _, st8, _ = _case(8, tokens=tokens)
    figs.append(("cells_per_weight_linear8x8_int4", round(st8.cells_per_weight, 2),
                 "cells/weight"))
    bs16, st16, c16 = _case(16, tokens=tokens)
    assert bs16.iomap is not None
    figs += [
        ("cells_per_weight_linear16x16_int4", round(st16.cells_per_weight, 2), "cells/weight"),
        ("route_overhead_linear16x16", round(st16.route_overhead, 3), "ratio"),
        ("route_only_share_linear16x16", round(st16.route_only_share, 3), "ratio"),
        ("latency_linear16x16_cycles", float(bs16.iomap.latency), "cycles"),
        ("compile_s_linear16x16", round(c16, 3), "s"),
    ]
    _, sts, _ = _case(16, shift=4, out_bits=8, tokens=tokens)
    figs.append(("cells_per_weight_linear16x16_int4_sat8", round(sts.cells_per_weight, 2),
                 "cells/weight"))
    # wide x (issue 7: "x of up to 8 bits, compiles in seconds"), as column groups
    for x_bits in (5, 8):
        _, stx, cx = _case(16, shift=4, out_bits=8, tokens=tokens, x_bits=x_bits)
        figs += [(f"cells_per_weight_linear16x16_x{x_bits}", round(stx.cells_per_weight, 2),
                  "cells/weight"),
                 (f"compile_s_linear16x16_x{x_bits}", round(cx, 3), "s")]
    _, _, c511 = _case(11, tokens=tokens, x_bits=5, d_in=5)   # the 5x11 case
    figs.append(("compile_s_linear11x5_x5", round(c511, 3), "s"))
    for name, value, unit in figs:
        print(f"FIGURE {name} {value} {unit}")
    return figs


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    run(parser.parse_args().quick)
