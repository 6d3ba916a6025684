"""The FPGA anchor: a constant matrix-vector product written directly in Amaranth.

This is what a user would build on an FPGA *instead of* lutgrid (issue 9, part 2):
``y = W @ x`` for a constant signed int4 matrix ``W`` (``d_out x d_in``), signed
``x_bits``-bit ``x``, full-precision signed ``y``, one token per clock cycle, as a
pipelined adder tree:

    cycle 1      register x
    cycle 2      every product w[o, i] * x[i] (a constant multiply; 0 for w = 0), registered
    cycles 3..   a registered binary adder tree per output, ceil(log2 d_in) levels

so the latency is ``2 + ceil(log2 d_in)`` cycles (:attr:`MatVecAnchor.latency`). Every
adder is as wide as its operands' value range needs (no more), so the synthesised
LUT count is the honest cost of the arithmetic.

Ports (flat, so the synthesised top needs no structure): ``x`` is ``d_in * x_bits``
bits, element ``i`` in bits ``[i*x_bits, (i+1)*x_bits)`` two's complement; ``y`` is
``d_out * y_bits`` bits likewise (:attr:`MatVecAnchor.y_bits`).
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

#: Verilog module name of the anchor.
ANCHOR_MODULE = "matvec_anchor"


def _bits_for(lo: int, hi: int) -> int:
    """Bits of the smallest signed type holding every integer in ``[lo, hi]``."""
    bits = 1
    while not (-(1 << (bits - 1)) <= lo and hi <= (1 << (bits - 1)) - 1):
        bits += 1
    return bits


def anchor_weights(d_out: int = 16, d_in: int = 16, seed: int = 20261201) -> np.ndarray:
    """Random signed int4 weights ``int64 (d_out, d_in)`` in [-8, 7] from ``seed``."""
    return np.random.default_rng(seed).integers(-8, 8, size=(d_out, d_in))


class MatVecAnchor(wiring.Component):
    """``y = weights @ x`` pipelined, one token per cycle (see the module docstring).

    ``weights``: int array ``(d_out, d_in)`` in [-8, 7]. Raises ``ValueError`` for
    anything else, or for ``x_bits`` outside 2..16.
    """

    def __init__(self, weights: np.ndarray, x_bits: int = 4) -> None:
        w = np.asarray(weights)
        try:
            if w.ndim != 2 or w.size == 0 or not np.issubdtype(w.dtype, np.integer):
                raise ValueError(f"weights must be a non-empty 2-D integer array, got "
                                 f"shape {w.shape} dtype {w.dtype}")
            if w.min() < -8 or w.max() > 7:
                raise ValueError(f"weights must be int4 (-8..7), got {w.min()}..{w.max()}")
            if not 2 <= x_bits <= 16:
                raise ValueError(f"x_bits must be 2..16, got {x_bits}")
        except ValueError:
            self._MustUse__silence = True    # refused: no "created but never used" warning
            raise
        self.weights = w.astype(np.int64)
        self.x_bits = x_bits
        self.d_out, self.d_in = w.shape
        xmin, xmax = -(1 << (x_bits - 1)), (1 << (x_bits - 1)) - 1
        lo = np.minimum(self.weights * xmin, self.weights * xmax).sum(axis=1)
        hi = np.maximum(self.weights * xmin, self.weights * xmax).sum(axis=1)
        self.y_bits = max(_bits_for(int(a), int(b)) for a, b in zip(lo, hi, strict=True))
        levels = 0
        while (1 << levels) < self.d_in:
            levels += 1
        self.latency = 2 + levels    #: cycles from x on the port to y on the port
        super().__init__({"x": In(self.d_in * x_bits), "y": Out(self.d_out * self.y_bits)})

    def elaborate(self, platform) -> Module:  # noqa: D102 (Amaranth protocol)
        m = Module()
        xb = self.x_bits
        xmin, xmax = -(1 << (xb - 1)), (1 << (xb - 1)) - 1
        x_reg = Signal(self.d_in * xb)
        m.d.sync += x_reg.eq(self.x)
        xs = [x_reg[i * xb:(i + 1) * xb].as_signed() for i in range(self.d_in)]
        for o in range(self.d_out):
            # (signal, lo, hi): each term carries its value range, so adders are exact width
            terms = []
            for i in range(self.d_in):
                wv = int(self.weights[o, i])
                if wv == 0:
                    continue
                lo, hi = sorted((wv * xmin, wv * xmax))
                prod = Signal(signed(_bits_for(lo, hi)), name=f"p{o}_{i}")
                m.d.sync += prod.eq(xs[i] * wv)
                terms.append((prod, lo, hi))
            if not terms:
                terms = [(Signal(signed(1), name=f"zero{o}"), 0, 0)]
            level = 0
            while (1 << level) < self.d_in:
                nxt = []
                for k in range(0, len(terms), 2):
                    pair = terms[k:k + 2]
                    lo = sum(t[1] for t in pair)
                    hi = sum(t[2] for t in pair)
                    s = Signal(signed(_bits_for(lo, hi)), name=f"s{o}_{level}_{k // 2}")
                    m.d.sync += s.eq(pair[0][0] + pair[1][0] if len(pair) == 2 else pair[0][0])
                    nxt.append((s, lo, hi))
                terms = nxt
                level += 1
            m.d.comb += self.y[o * self.y_bits:(o + 1) * self.y_bits].eq(terms[0][0])
        return m


def anchor_verilog(weights: np.ndarray, x_bits: int = 4) -> str:
    """The anchor's Verilog (module :data:`ANCHOR_MODULE`), deterministic."""
    from amaranth.back import verilog

    return verilog.convert(MatVecAnchor(weights, x_bits), name=ANCHOR_MODULE, emit_src=False,
                           strip_internal_attrs=True)


def simulate_anchor(weights: np.ndarray, xs: np.ndarray, x_bits: int = 4) -> np.ndarray:
    """Run the anchor in Amaranth's simulator, one token per cycle.

    ``xs``: int ``(T, d_in)`` signed values. Drives token ``t`` in cycle ``t`` and reads
    ``y`` in cycle ``t + latency``; returns the signed outputs ``int64 (T, d_out)``.
    """
    from amaranth.sim import Simulator

    dut = MatVecAnchor(weights, x_bits)
    xs = np.asarray(xs, dtype=np.int64)
    t_len = xs.shape[0]
    mask = (1 << x_bits) - 1
    words = [sum((int(v) & mask) << (i * x_bits) for i, v in enumerate(row)) for row in xs]
    ys = np.zeros((t_len, dut.d_out), dtype=np.int64)
    yb = dut.y_bits

    async def bench(ctx):
        for cyc in range(t_len + dut.latency):
            if cyc < t_len:
                ctx.set(dut.x, words[cyc])
            await ctx.tick()
            # after edge cyc+1, y holds the token that entered latency-1 edges earlier
            t = cyc + 1 - dut.latency
            if 0 <= t < t_len:
                raw = ctx.get(dut.y)
                for o in range(dut.d_out):
                    v = (raw >> (o * yb)) & ((1 << yb) - 1)
                    ys[t, o] = v - (1 << yb) if v >> (yb - 1) else v

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return ys
