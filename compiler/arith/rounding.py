"""DESIGN ``rshift`` rounding and ``sat`` / wrap fitting of words.

* :func:`rshift_word` adds ``2**(s-1)`` in a bit heap and drops ``s`` bits: the
  dropped columns only keep their carries (an incrementer, ~2 LUTs per kept bit).
  Inside sums the rounding constant is folded into the sum's own heap instead.
* :func:`fit_word` clamps (``sat``) with ``x > H`` / ``x < L`` comparator chains and
  one LUT3 per result bit, or wraps (free: keeps low bits). Nothing is built when
  the range already fits.
"""

from __future__ import annotations

from compiler.arith.compare import gt_const, lt_const
from compiler.arith.sums import BitHeap
from compiler.arith.words import Word, const_word, make_word
from compiler.ir import Mode, WordType, rshift_int, width_for
from compiler.netlist import Netlist

__all__ = ["fit_word", "rshift_word", "shift_down"]


def shift_down(nl: Netlist, w: Word, s: int) -> Word:
    """``floor(w / 2**s)``: the bits from ``s`` up (no rounding)."""
    if s == 0:
        return w
    lo, hi = w.lo >> s, w.hi >> s
    if lo == hi:
        return const_word(nl, lo)
    n, _ = width_for(lo, hi)
    return make_word([w.bit(nl, i) for i in range(s, s + n)], lo, hi)


def rshift_word(nl: Netlist, w: Word, s: int) -> Word:
    """DESIGN ``rshift(w, s)`` (round half up)."""
    if s == 0:
        return w
    if w.is_const():
        return const_word(nl, rshift_int(w.lo, s))
    h = BitHeap(nl)
    h.add_word(w)
    h.add_const(1 << (s - 1))
    full = h.reduce(w.lo + (1 << (s - 1)), w.hi + (1 << (s - 1)))
    return shift_down(nl, full, s)


def fit_word(nl: Netlist, w: Word, t: WordType, mode: Mode) -> Word:
    """``sat`` or ``wrap`` of ``w`` into type ``t`` (result at minimal width)."""
    lo, hi = t.fit_range(w.lo, w.hi, mode)
    if lo == hi:
        return const_word(nl, lo)
    if t.lo <= w.lo and w.hi <= t.hi:
        return w
    if mode == "wrap":
        bits = w.ext(nl, max(t.bits, w.width))[: t.bits]
        return make_word(bits, lo, hi)
    H, L = t.hi, t.lo
    over = gt_const(nl, w, H)
    under = lt_const(nl, w, L)
    n, _ = width_for(lo, hi)
    out = []
    for i in range(n):
        hb, lb = (H >> i) & 1, (L >> i) & 1
        xi = w.bit(nl, i)
        tab = 0
        for j in range(8):  # inputs (x, over, under)
            x, o, u = j & 1, (j >> 1) & 1, (j >> 2) & 1
            v = hb if o else (lb if u else x)
            tab |= v << j
        out.append(nl.lut([xi, over, under], tab))
    return make_word(out, lo, hi)
