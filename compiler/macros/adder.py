"""A ripple-carry adder/subtractor laid out as one row of cells.

``y = (a ± b) mod 2^m`` for two ``n``-bit words, one full adder per cell::

    north_in:   a0      a1      a2     ...   (bit k enters at offset k)
    row 0:    [FA0] -> [FA1] -> [FA2] -> ... -> [copy] ...   north_out: y_k at k + 1
    south_in:   b0      b1      b2     ...

Cell ``k`` reads ``a_k`` (north), ``b_k`` (south) and the carry (west), all on the
wavefront ``t = k + 1`` (DESIGN §3: east hops keep the lag), sends the sum bit north
and the carry east. A subtraction complements ``b`` inside the tables and starts from
carry 1. Bits above the operands (``m > n``) need no more inputs: for two signed
operands the top cell sends sum bit ``n`` (``a ^ b' ^ carry-out``: the sign of the
exact result) east instead of its carry, and cells ``n .. m-1`` copy it; for two
unsigned ones bit ``n`` is the carry (of an addition) and the bits above are 0. Mixed
signedness with ``m > n`` is not laid out here (the operands would need extending
first). ``m`` cells, latency ``m`` cycles (the last output at offset ``m``).

:func:`incrementer_bitstream` is the same row with ``b = 0`` and the carry-in read from
``west_in[0]``: ``y = a ± c`` for a one-bit ``c``, the rounding step of ``rshift``
(``rshift(v, s) = (v >> s) + v[s-1]``).
"""

from __future__ import annotations

import numpy as np

from cells.truth import make_config, table_of
from fabric.arch import E, N
from fabric.bitstream import Bitstream
from fabric.iomap import IOMap, PortBit

__all__ = ["AdderLayoutError", "adder_bitstream", "incrementer_bitstream"]


class AdderLayoutError(ValueError):
    """Widths or signedness the ripple adder does not lay out."""


def adder_bitstream(n: int, m: int, *, sub: bool = False, a_signed: bool = True,
                    b_signed: bool = True, a_name: str = "a", b_name: str = "b",
                    y_name: str = "y", signed_out: bool = True) -> Bitstream:
    """The one-row adder (module docstring): inputs ``a``, ``b`` of ``n`` bits, output
    ``y`` of ``m`` bits, ``max(m, n + 1 if m > n else m)`` cells wide, 1 row.
    Raises :class:`AdderLayoutError` for ``n, m < 1`` or mixed signedness with
    ``m > n``."""
    if n < 1 or m < 1:
        raise AdderLayoutError(f"widths must be >= 1, got n={n}, m={m}")
    if m > n and a_signed != b_signed:
        raise AdderLayoutError("operands of mixed signedness must be extended to the "
                               "output width before the adder")
    configs = _ripple_configs(n, m, sub=sub, signed=a_signed and b_signed,
                              b_used=True, cin_port=False)
    iomap = IOMap(
        # bits at or above m are read by nothing: offset 0
        inputs={a_name: tuple(PortBit("north_in", k, k if k < m else 0) for k in range(n)),
                b_name: tuple(PortBit("south_in", k, k if k < m else 0) for k in range(n))},
        outputs={y_name: tuple(PortBit("north_out", k, k + 1) for k in range(m))},
        latency=m,
        signed=frozenset({y_name}) if signed_out else frozenset())
    iomap.validate(configs.shape[1], 1)
    return Bitstream(configs, iomap)


def incrementer_bitstream(n: int, m: int, c_bits: int, *, sub: bool = False,
                          a_signed: bool = True, a_name: str = "a", c_name: str = "c",
                          y_name: str = "y", signed_out: bool = True) -> Bitstream:
    """``y = (a ± c) mod 2^m`` for an ``n``-bit ``a`` and a word ``c`` whose value is 0 or
    1 (a word of ``c_bits`` bits: bit 0 is read, on ``west_in[0]`` at offset 0; the
    others, known to be 0, sit on ``south_in`` and are read by nothing). The adder row
    with ``b = 0`` and a carry-in (a subtraction carries in ``not c``): ``max(m, n)``
    cells, latency ``m`` cycles. Raises :class:`AdderLayoutError` for ``n, m < 1`` or a
    ``c`` wider than the row has spare ports for."""
    if n < 1 or m < 1:
        raise AdderLayoutError(f"widths must be >= 1, got n={n}, m={m}")
    width = max(m, n)
    if not 1 <= c_bits <= width:
        raise AdderLayoutError(f"the carry word has {c_bits} bits; a {width}-cell row takes "
                               f"1..{width}")
    configs = _ripple_configs(n, m, sub=sub, signed=a_signed, b_used=False, cin_port=True)
    iomap = IOMap(
        inputs={a_name: tuple(PortBit("north_in", k, k if k < m else 0) for k in range(n)),
                c_name: (PortBit("west_in", 0, 0),)
                + tuple(PortBit("south_in", k, 0) for k in range(1, c_bits))},
        outputs={y_name: tuple(PortBit("north_out", k, k + 1) for k in range(m))},
        latency=m,
        signed=frozenset({y_name}) if signed_out else frozenset())
    iomap.validate(width, 1)
    return Bitstream(configs, iomap)


def _ripple_configs(n: int, m: int, *, sub: bool, signed: bool, b_used: bool,
                    cin_port: bool) -> np.ndarray:
    """The ``1 x max(m, n)`` row of the adder (module docstring). ``b_used=False``: the
    south inputs are ignored (``b = 0``); ``cin_port``: cell 0's carry-in is its west
    input (inverted for a subtraction) instead of the constant ``sub``."""
    width = max(m, n)
    configs = np.zeros((1, width), dtype=np.uint64)
    cin = int(sub)

    def full_adder(k: int) -> tuple[int, int]:
        """Sum and carry tables of cell ``k`` (a on N, b on S, carry on W)."""
        def c_in(w: int) -> int:
            if k:
                return w
            return w ^ sub if cin_port else cin

        def carry(nn: int, s: int, w: int) -> int:
            c, b = c_in(w), (s if b_used else 0) ^ sub
            return (nn & b) | (nn & c) | (b & c)

        def total(nn: int, s: int, w: int) -> int:
            return nn ^ ((s if b_used else 0) ^ sub) ^ c_in(w)

        return (table_of(lambda nn, e, s, w: total(nn, s, w)),
                table_of(lambda nn, e, s, w: carry(nn, s, w)))

    copy_w = table_of(lambda nn, e, s, w: w)
    for k in range(min(n, m)):
        tables = [0, 0, 0, 0]
        tables[N], carry_t = full_adder(k)
        if k < m - 1:
            if k < n - 1:
                tables[E] = carry_t
            elif signed:                   # bit n of the exact result: its sign
                tables[E] = table_of(lambda nn, e, s, w, c=carry_t:
                                     nn ^ ((s if b_used else 0) ^ sub)
                                     ^ ((c >> (nn | e << 1 | s << 2 | w << 3)) & 1))
            elif sub:                      # unsigned a - b: bits n.. are the borrow
                tables[E] = carry_t ^ 0xFFFF
            else:                          # unsigned a + b: bit n is the carry
                tables[E] = carry_t
        configs[0, k] = np.uint64(make_config(tables))
    for k in range(n, m):
        tables = [0, 0, 0, 0]
        if signed or sub or k == n:
            tables[N] = copy_w
            if (signed or sub) and k < m - 1:
                tables[E] = copy_w
        configs[0, k] = np.uint64(make_config(tables))
    return configs
