"""Comparators and maximum.

* :func:`gt_const` — ``x > c`` for a constant ``c``: an LSB-first chain of LUT4s, each
  taking three (the first: four) bits of ``x`` plus the running result; about
  ``width / 3`` LUTs, as many levels.
* :func:`gt` — ``a > b`` of two words: LSB-first chain of LUT3s ``(a_i, b_i, g)``,
  one LUT per bit, one level per bit.
* :func:`max_word` — compare then one LUT3 multiplexer per result bit.

Signed operands compare as unsigned after inverting their sign bits (the inverters
are absorbed into the chain LUTs).
"""

from __future__ import annotations

from compiler.arith.words import Word, const_word, make_word, not_
from compiler.ir import width_for
from compiler.netlist import Netlist

__all__ = ["argmax_word", "gt", "gt_const", "lt_const", "max_word", "select_word"]


def _unsigned_view(nl: Netlist, w: Word, n: int, signed: bool) -> list[int]:
    bits = w.ext(nl, n)
    if signed:
        bits[-1] = not_(nl, bits[-1])
    return bits


def gt_const(nl: Netlist, x: Word, c: int) -> int:
    """Signal ``x > c`` (constant 0/1 when the range decides it)."""
    if c >= x.hi:
        return nl.const(0)
    if c < x.lo:
        return nl.const(1)
    n = x.width
    bits = _unsigned_view(nl, x, n, x.signed)
    cu = c + (1 << (n - 1)) if x.signed else c
    g = nl.const(0)
    i = 0
    while i < n:
        take = 4 if i == 0 else 3
        grp = bits[i:i + take]
        cg = (cu >> i) & ((1 << len(grp)) - 1)
        ins = grp + ([g] if i else [])
        m = len(grp)
        tab = 0
        for j in range(1 << len(ins)):
            xv = j & ((1 << m) - 1)
            gp = (j >> m) & 1 if i else 0
            if xv > cg or (xv == cg and gp):
                tab |= 1 << j
        g = nl.lut(ins, tab)
        i += take
    return g


def lt_const(nl: Netlist, x: Word, c: int) -> int:
    """Signal ``x < c``."""
    return not_(nl, gt_const(nl, x, c - 1))


def gt(nl: Netlist, a: Word, b: Word) -> int:
    """Signal ``a > b``."""
    if a.lo > b.hi:
        return nl.const(1)
    if a.hi <= b.lo:
        return nl.const(0)
    n, signed = width_for(min(a.lo, b.lo), max(a.hi, b.hi))
    n = max(n, 1)
    ab = _unsigned_view(nl, a, n, signed)
    bb = _unsigned_view(nl, b, n, signed)
    g = nl.const(0)
    for ai, bi in zip(ab, bb, strict=True):
        # inputs (a, b, g): 1 when a>b here, or equal and g
        g = nl.lut([ai, bi, g], 0b1011_0010)
    return g


def max_word(nl: Netlist, a: Word, b: Word) -> Word:
    """Elementwise maximum: ``gt`` then a LUT3 mux per bit."""
    lo, hi = max(a.lo, b.lo), max(a.hi, b.hi)
    if a.lo >= b.hi:
        return a
    if b.lo >= a.hi:
        return b
    return _mux(nl, gt(nl, a, b), a, b, lo, hi)


def select_word(nl: Netlist, c: Word, a: Word, b: Word, lo: int, hi: int) -> Word:
    """``a if c < 0 else b``, in the range ``[lo, hi]`` (the op's): one LUT3 multiplexer
    per result bit on the sign of ``c`` (no LUT when the range of ``c`` decides)."""
    if c.lo >= 0:
        return b
    if c.hi < 0:
        return a
    return _mux(nl, c.bit(nl, c.width - 1), a, b, lo, hi)


def _mux(nl: Netlist, g: int, a: Word, b: Word, lo: int, hi: int) -> Word:
    """``a if g else b`` in ``[lo, hi]``: one LUT3 per result bit."""
    if lo == hi:
        return const_word(nl, lo)
    n, _ = width_for(lo, hi)
    m = max(n, a.width, b.width)
    ab, bb = a.ext(nl, m), b.ext(nl, m)
    # inputs (a_i, b_i, g): g ? a : b
    out = [nl.lut([ab[i], bb[i], g], 0b1010_1100) for i in range(n)]
    return make_word(out, lo, hi)


def argmax_word(nl: Netlist, xs: list[Word]) -> Word:
    """Index of the largest of ``xs``, the lowest on ties: a left fold that moves on
    only when an element is strictly greater."""
    best, idx = xs[0], const_word(nl, 0)
    for i, x in enumerate(xs[1:], start=1):
        g = gt(nl, x, best)
        lo_b, hi_b = min(best.lo, x.lo), max(best.hi, x.hi)
        best = _mux(nl, g, x, best, lo_b, hi_b)
        idx = _mux(nl, g, const_word(nl, i), idx, 0, i)
    return idx
