"""Built-in example programs (word-level graphs), by name.

They are the programs the benchmarks measure and ``lutgrid compile --example NAME``
compiles. Weights and tables come from fixed seeds, so every build is reproducible.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from compiler.ir import Graph

#: Seed of every random weight and table below.
SEED = 1234


def adder8() -> Graph:
    """``y = a + b`` for signed 8-bit a, b, full precision (9 bits)."""
    g = Graph()
    a, b = g.input("a", bits=8), g.input("b", bits=8)
    g.output("y", g.add(a, b, bits=None))
    return g


def linear(d_out: int, d_in: int, x_bits: int = 4, shift: int = 0,
           bits: int | None = None) -> Graph:
    """``y = sat(rshift(W @ x + b, shift), bits)`` with random int4 W (seed
    :data:`SEED`), zero bias, signed ``x_bits``-bit x; ``bits=None`` is full precision."""
    rng = np.random.default_rng(SEED)
    weights = rng.integers(-8, 8, size=(d_out, d_in))
    g = Graph()
    x = g.input("x", dim=d_in, bits=x_bits)
    g.output("y", g.linear(x, weights, shift=shift, bits=bits))
    return g


def mul(n: int) -> Graph:
    """``y = a * b`` for signed ``n``-bit variables, full ``2n``-bit product."""
    g = Graph()
    a, b = g.input("a", bits=n), g.input("b", bits=n)
    g.output("y", g.mul(a, b, bits=2 * n))
    return g


def mul8x8() -> Graph:
    """``y = a * b`` for signed 8-bit variables, full 16-bit product."""
    return mul(8)


def table16() -> Graph:
    """A 16-entry table (4-bit index) of random signed 8-bit values."""
    rng = np.random.default_rng(SEED)
    g = Graph()
    x = g.input("x", bits=4, signed=False)
    g.output("y", g.table(x, [int(v) for v in rng.integers(-128, 128, size=16)], bits=8))
    return g


def running_sum() -> Graph:
    """``y[t] = x[t] + x[t-1] + x[t-2]`` over a sequence (``first`` restarts it): delays
    of both parities, zero-gated as DESIGN §5 requires."""
    g = Graph()
    x = g.input("x", bits=4)
    g.first()
    g.output("y", g.sum([x, g.delay(x, 1), g.delay(x, 2)], bits=None))
    return g


def mlp(d: int, h: int, seed: int = 7) -> Graph:
    """Issue 7's MLP with residual at width ``d``, hidden ``h`` (``mlp16``: 16, 32):
    x int4[d] -> Linear (h x d int4 weights from ``seed``, shift 4, 4 bits) -> ReLU
    table -> Linear (d x h, shift 4, 8 bits) -> Add(x, .) saturated to 8 bits. Not in
    :data:`EXAMPLES`: it compiles only as composed blocks (``compose=True``)."""
    rng = np.random.default_rng(seed)
    g = Graph()
    x = g.input("x", dim=d, bits=4)
    a = g.linear(x, rng.integers(-8, 8, size=(h, d)), shift=4, bits=4)
    r = g.table(a, [max(0, v if v < 8 else v - 16) for v in range(16)], bits=4)
    y = g.linear(r, rng.integers(-8, 8, size=(d, h)), shift=4, bits=8)
    g.output("y", g.add(x, y, bits=8))
    return g


EXAMPLES: dict[str, Callable[[], Graph]] = {
    "adder8": adder8,
    "linear4x4": lambda: linear(4, 4),
    "linear8x8": lambda: linear(8, 8),
    "linear16x16": lambda: linear(16, 16),
    "mul4x4": lambda: mul(4),
    "mul8x8": mul8x8,
    "table16": table16,
    "running_sum": running_sum,
}
