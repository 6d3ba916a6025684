"""Argmax of ``n`` words as one systolic block: a chain of compare-and-select stages.

``y = Argmax(x)`` (DESIGN §5): the index of the largest of ``x[0..n-1]``, the lowest
index on ties. The words are visited from the last to the first; stage ``s`` (counted
from the bottom of the block) compares the running best ``P`` (value and index) with
``Q = x[n-1-s]`` and keeps ``Q`` unless ``P`` is strictly greater, so the lowest index
wins a tie. The first stage's ``P`` is the smallest value of the type, which every
word reaches.

A stage streams its record ``P`` (value bits, most significant first, then the index
bits) through a diagonal of cells ``C_k`` at ``(k, k)`` (position ``k``: value bit
``bits-1-k`` for ``k < bits``, index bit ``k-bits`` after), two cycles per position.
The comparison is done most significant bit first, so the larger value's bits are
known as they pass, without waiting for the end of the word: the state is two bits,
``gP`` (P already greater) and ``gQ`` (Q already greater), and while both are clear
(equal so far) the larger value's bit is ``P_k | Q_k`` (``P_k & Q_k`` for a sign bit).
After the last value bit, ``gP`` alone decides each index bit (``gP ? P_idx : j``)::

    column k-1   k      k+1
          .      |
          r0 ->  s0 ->  .     row k-1   s0: gP from C_{k-1} down into C_k
          |      C_k <- r0 <- Q_k       C_k: N out = max bit, E = gP', S = gQ'
          s1 ->  s1     .     row k     r0 passes Q_k west into C_k (row k from the
                 ^                      east edge); s1: gQ from C_{k-1} east into C_k
                 P_k (from the stage below, straight up column k)

Every cell has one job per side (a copy or ``C_k``'s function), so a cell can carry a
value up while a ``Q`` row passes west through it. Stage ``s + 1`` is stage ``s``
moved up ``H = max(bits, 3)`` rows and ``H`` cycles later; its ``P`` column ``k`` is stage
``s``'s output column ``k``, ``H - 1`` cells long. Inputs: ``x[j]``'s bits on
``east_in`` (rows of stage ``s``), their lags three cycles apart per bit (two per
position, one per column of the row). Output: the last stage's index bits on
``north_out``. Area: ``(bits + m)`` columns by ``(n - 1) * H + bits + m`` rows for
``m`` index bits; one
token per cycle. Deterministic.
"""

from __future__ import annotations

import numpy as np

from cells.truth import E, N, S, W, copy_table, make_config, table_of
from compiler.lower import word_name
from fabric.bitstream import Bitstream
from fabric.iomap import IOMap, PortBit

__all__ = ["ArgmaxLayoutError", "argmax_bitstream"]

#: widest word the layout takes (the block grows with the square of the width)
MAX_ARGMAX_BITS = 16


class ArgmaxLayoutError(ValueError):
    """An argmax the layout cannot take (fewer than two words, a width out of range)."""


def _greater(a: int, b: int, sign: bool) -> int:
    """``a``'s bit makes its word the larger where the words were equal so far."""
    return int((not a and b) if sign else (a and not b))


def argmax_bitstream(n: int, bits: int, signed: bool, *, x_name: str = "x",
                     y_name: str = "y") -> Bitstream:
    """``y = argmax(x)`` for ``n >= 2`` words of ``bits`` bits (module docstring): input
    words ``word_name(x_name, j, n)``, output ``y_name`` (unsigned, ``(n-1)``'s bit
    length). Raises :class:`ArgmaxLayoutError` for fewer than 2 words or a width
    outside 1..:data:`MAX_ARGMAX_BITS`."""
    if n < 2:
        raise ArgmaxLayoutError(f"argmax of {n} word(s): the layout needs at least 2")
    if not 1 <= bits <= MAX_ARGMAX_BITS:
        raise ArgmaxLayoutError(f"argmax of {bits}-bit words: the layout takes 1.."
                                f"{MAX_ARGMAX_BITS}")
    b = bits
    m = (n - 1).bit_length()
    L = b + m                                    # positions of a record
    H = max(b, 3)                                # rows (and cycles) between stages
    width = L
    height = (n - 1) * H + L
    t0 = width                                   # the first input enters at cycle 0
    tabs: dict[tuple[int, int], list[int]] = {}

    def put(x: int, y: int, side: int, t: int) -> None:
        cell = tabs.setdefault((x, y), [0, 0, 0, 0])
        assert not cell[side], f"argmax layout: cell ({x}, {y}) side {side} driven twice"
        cell[side] = t

    def top(s: int) -> int:                      # row of stage s's C_0
        return (n - 1 - s) * H

    # the smallest value of the type: stage 0's P
    pmin = (1 << (b - 1)) if signed else 0
    ports: dict[str, list[PortBit]] = {}
    outputs: list[PortBit] = []
    for s in range(n):
        y0, j, last = top(s), n - 1 - s, s == n - 1
        for k in range(L):
            t_k = t0 + 2 * k + H * s            # C_k's output holds the token
            if k < b:
                _value_cell(put, k, y0, b, L, signed and k == 0, s,
                            (pmin >> (b - 1 - k)) & 1, last)
                for c in range(width - 1, k, -1):   # Q_k: west along row y0+k
                    put(c, y0 + k, W, copy_table(E))
                ports.setdefault(word_name(x_name, j, n), [None] * b)[b - 1 - k] = \
                    PortBit("east_in", y0 + k, t_k - width + k)  # type: ignore[call-overload]
            else:
                _index_cell(put, k, y0, L, s, (j >> (k - b)) & 1)
            if k + 1 < L:                       # gP down into C_{k+1}
                put(k + 1, y0 + k, S, copy_table(W))
            if k + 1 < b:                       # gQ east into C_{k+1}
                put(k, y0 + k + 1, E, copy_table(N))
            if not last:                        # up to the next stage's C_k
                for yy in range(y0 + k - 1, top(s + 1) + k, -1):
                    put(k, yy, N, copy_table(S))
            elif k >= b:                        # the index leaves north
                for yy in range(y0 + k - 1, -1, -1):
                    put(k, yy, N, copy_table(S))
                outputs.append(PortBit("north_out", k, t_k + y0 + k))
    configs = np.zeros((height, width), dtype=np.uint64)
    for (x, y), t in tabs.items():
        configs[y, x] = np.uint64(make_config(t))
    inputs = {w: tuple(bs) for w, bs in ports.items()}
    iomap = IOMap(inputs, {y_name: tuple(outputs)}, max(pb.offset for pb in outputs),
                  frozenset())
    iomap.validate(width, height)
    return Bitstream(configs, iomap)


def _value_cell(put, k: int, y0: int, b: int, L: int, sign: bool, s: int, p_const: int,
                last: bool) -> None:
    """``C_k`` of a value bit: N the larger word's bit (not in the last stage), E
    ``gP'``, S ``gQ'`` (module docstring). Inputs: N ``gP``, W ``gQ`` (both 0 at the
    first bit), E ``Q_k``, S ``P_k`` (stage 0: the constant ``p_const``)."""

    def args(nn: int, ee: int, ss: int, ww: int) -> tuple[int, int, int, int]:
        gp, gq = (nn, ww) if k else (0, 0)
        return gp, gq, (ss if s else p_const), ee

    def out_n(nn: int, ee: int, ss: int, ww: int) -> int:
        gp, gq, p, q = args(nn, ee, ss, ww)
        if gp or gq:
            return p if gp else q
        return (p & q) if sign else (p | q)

    def out_e(nn: int, ee: int, ss: int, ww: int) -> int:
        gp, gq, p, q = args(nn, ee, ss, ww)
        return int(bool(gp or (not gq and _greater(p, q, sign))))

    def out_s(nn: int, ee: int, ss: int, ww: int) -> int:
        gp, gq, p, q = args(nn, ee, ss, ww)
        return int(bool(gq or (not gp and _greater(q, p, sign))))

    if not last:
        put(k, y0 + k, N, table_of(out_n))
    if k + 1 < L:
        put(k, y0 + k, E, table_of(out_e))
    if k + 1 < b:
        put(k, y0 + k, S, table_of(out_s))


def _index_cell(put, k: int, y0: int, L: int, s: int, jbit: int) -> None:
    """``C_k`` of an index bit: N ``gP ? P_idx : j`` (stage 0: ``j``), E ``gP`` on."""

    def out_n(nn: int, ee: int, ss: int, ww: int) -> int:
        return ss if (s and nn) else jbit

    put(k, y0 + k, N, table_of(out_n))
    if k + 1 < L:
        put(k, y0 + k, E, copy_table(N))
