"""Saturation (``sat``, DESIGN §5) of one word, laid out as one or two columns.

``y = clamp(x, L, H)`` for an ``n``-bit word ``x`` and the ``m``-bit target type
``[L, H]``. ``x`` is in range exactly when its *top bits* ``T`` all equal one reference
bit ``r``: for a signed ``x`` and a signed target ``T = x[m-1 .. n-1]`` and ``r`` the
sign; otherwise ``r = 0`` and ``T`` the bits the target cannot hold. Out of range the
result is ``L`` when ``x`` is negative, else ``H``. So every output bit is a function
of three bits: "in range so far", the sign, and its own input bit::

    col:      0        1
    row 0:  [eq0]  <- [sign]   <- north_in[1]: x's sign (signed x only)
    row 1:  [eq ]  <- [sign]   west_in: one top bit per row, eq &= (bit == r) going south
    ...       v         v
    row r:  [y_k] -> [copy] -> east_out[r]: y_k = eq ? x_k : (sign ? L_k : H_k)

Column 1 carries the sign south and hands it west to each row; column 0 runs the
"in range" chain south through the top-bit rows and computes one output bit per row
below them. An unsigned ``x`` has sign 0 and needs column 0 only. Bits of ``y`` that
are constant (0 above a narrower range) leave on idle ``west_out`` ports; for a signed
target the top bit of ``y`` is the sign itself. Every row reads its bit one cycle after
the row above it (south hops keep the lag, DESIGN §3), so the input offsets grow by one
per row: about ``n`` rows, ``2n`` cells for a signed ``x`` (``n`` unsigned), latency
about ``n + 1`` cycles.
"""

from __future__ import annotations

import numpy as np

from cells.truth import E, N, S, W, copy_table, make_config, table_of
from fabric.bitstream import Bitstream
from fabric.iomap import IOMap, PortBit

__all__ = ["ClampLayoutError", "clamp_bitstream", "clamp_is_wiring"]


class ClampLayoutError(ValueError):
    """A saturation the column layout does not take (nothing to clamp, bad widths)."""


def clamp_is_wiring(n: int, in_signed: bool, m: int, out_signed: bool) -> bool:
    """True when every ``n``-bit value (of its signedness) fits the ``m``-bit target, so
    saturation is only a re-reading of the bits."""
    if in_signed:
        return out_signed and m >= n
    return m >= n + int(out_signed)


def clamp_bitstream(n: int, m: int, *, in_signed: bool = True, out_signed: bool = True,
                    x_name: str = "x", y_name: str = "y") -> Bitstream:
    """The column layout (module docstring) of ``y = sat(x, m, out_signed)`` for an
    ``n``-bit ``x``. Raises :class:`ClampLayoutError` for widths below 1 or when every
    ``x`` fits the target (:func:`clamp_is_wiring`: then no cell is needed)."""
    if n < 1 or m < 1:
        raise ClampLayoutError(f"widths must be >= 1, got n={n}, m={m}")
    if clamp_is_wiring(n, in_signed, m, out_signed):
        raise ClampLayoutError(f"every {n}-bit {'signed' if in_signed else 'unsigned'} "
                               f"value fits {m} bits {'signed' if out_signed else 'unsigned'}"
                               f": nothing to clamp")
    lo = -(1 << (m - 1)) if out_signed else 0
    hi = (1 << (m - 1)) - 1 if out_signed else (1 << m) - 1
    both_signed = in_signed and out_signed
    top0 = m - 1 if out_signed else m                # the lowest bit of T
    # rows of the chain: the top bits below the sign (a signed x's sign is column 1)
    chain = [j for j in range(min(top0, n - 1 if in_signed else n), n - 1 if in_signed
                                  else n)]
    computed = [k for k in range(m) if k < top0 and k < n and not (in_signed and k == n - 1)]
    constant = [k for k in range(m) if k not in computed and not (both_signed and k == m - 1)]
    if not computed:                 # y is the sign and constants: the chain decides nothing
        unread, chain = chain, []
    else:
        unread = []
    rows = len(chain) + len(computed)
    height = max(rows, len(constant), len(unread), 1)
    width = 2 if in_signed else 1
    tabs: dict[tuple[int, int], list[int]] = {}

    def put(x: int, y: int, side: int, t: int) -> None:
        cell = tabs.setdefault((x, y), [0, 0, 0, 0])
        assert not cell[side], f"cell ({x}, {y}) side {side} driven twice"
        cell[side] = t

    def eq_in(nn: int, e: int, row: int) -> int:
        """The "in range so far" bit a row receives (row 0 makes it from the sign)."""
        if row:
            return nn
        if not in_signed:
            return 1
        return 1 if out_signed else 1 - e      # signed target: r is the sign itself

    inputs: list[PortBit | None] = [None] * n
    outputs: list[PortBit | None] = [None] * m
    for r in range(rows):
        read = r + 1 if in_signed else r         # cycle in which row r's column 0 reads
        if in_signed:
            put(1, r, W, copy_table(N))          # the sign into this row ...
            if r < rows - 1:
                put(1, r, S, copy_table(N))      # ... and on south
        if r < len(chain):
            j = chain[r]
            inputs[j] = PortBit("west_in", r, read)

            def step(nn: int, e: int, s: int, w: int, r: int = r) -> int:
                ref = e if both_signed else 0
                return eq_in(nn, e, r) & int(w == ref)

            if r < rows - 1:
                put(0, r, S, table_of(step))
        else:
            k = computed[r - len(chain)]
            inputs[k] = PortBit("west_in", r, read)
            lk, hk = (lo >> k) & 1, (hi >> k) & 1

            def out(nn: int, e: int, s: int, w: int, r: int = r, lk: int = lk,
                    hk: int = hk) -> int:
                sign = e if in_signed else 0
                return w if eq_in(nn, e, r) else (lk if sign else hk)

            def keep(nn: int, e: int, s: int, w: int, r: int = r) -> int:
                return eq_in(nn, e, r)

            if r < rows - 1:
                put(0, r, S, table_of(keep))
            put(0, r, E, table_of(out))
            if in_signed:
                put(1, r, E, copy_table(W))
                outputs[k] = PortBit("east_out", r, read + 2)
            else:
                outputs[k] = PortBit("east_out", r, read + 1)
    if in_signed:
        inputs[n - 1] = PortBit("north_in", 1, 0)
        if both_signed:                          # the top bit of y is the sign
            put(1, 0, E, copy_table(N))
            outputs[m - 1] = PortBit("east_out", 0, 1)
    for i, j in enumerate(unread):               # read by nothing
        inputs[j] = PortBit("west_in", i, 0)
    for i, k in enumerate(constant):             # idle registers: always 0
        outputs[k] = PortBit("west_out", i, 0)
    configs = np.zeros((height, width), dtype=np.uint64)
    for (x, y), t in tabs.items():
        configs[y, x] = np.uint64(make_config(t))
    assert all(p is not None for p in inputs) and all(p is not None for p in outputs)
    latency = max(pb.offset for pb in outputs)   # type: ignore[union-attr]
    iomap = IOMap({x_name: tuple(inputs)}, {y_name: tuple(outputs)},  # type: ignore[arg-type]
                  latency, frozenset({y_name}) if out_signed else frozenset())
    iomap.validate(width, height)
    return Bitstream(configs, iomap)
