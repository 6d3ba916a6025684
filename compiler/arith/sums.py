"""Bit heaps: multi-operand sums reduced with LUT counters (the arithmetic core).

Every sum-like op (add, sub, multi-operand sum, constant and variable multiply,
dot products, matrix-vector products, rounding) is lowered by dropping weighted
bits into a :class:`BitHeap` and reducing it once:

* a bit of negative weight ``-2**e`` (a signed word's MSB, a subtracted bit) enters
  inverted, with ``-2**e`` added to the heap's integer constant (``-b = ~b - 1``),
  so sign extension never costs a bit;
* the constant (biases, rounding ``2**(s-1)``, sign-extension corrections) is added
  in the final carry-propagate pass, where a column's counter LUTs absorb it;
* phase 1 compresses every column to height <= 2 with full adders (sum + carry: two
  3-input LUTs on the *same* inputs, so one cell), taking the three earliest-arriving
  bits first (timing-driven: little delay padding);
* phase 2 is a ripple pass of column counters: column ``c`` adds its <= 2 heap
  bits, the carries from ``c-1`` and ``c-2`` and its constant bit (<= 4 inputs) and
  emits its result bit plus carries; each counter's outputs share their inputs.

Arithmetic is modulo ``2**n`` with ``n`` from the exact result range, so bits above
the range are never built. Cost: about two LUTs per heap bit eliminated.
Latency (ASAP levels): compression depth plus one level per result column.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

from compiler.arith.words import Word, make_word, not_
from compiler.ir import width_for
from compiler.netlist import Netlist

__all__ = ["BitHeap", "counter_tables", "full_adder"]

FA_SUM = 0x96
FA_CARRY = 0xE8


def counter_tables(m: int, k: int) -> list[int]:
    """Truth tables of the binary digits of ``popcount(inputs) + k`` over ``m`` inputs."""
    nbits = (m + k).bit_length()
    tabs = [0] * nbits
    for j in range(1 << m):
        v = bin(j).count("1") + k
        for b in range(nbits):
            if (v >> b) & 1:
                tabs[b] |= 1 << j
    return tabs


def full_adder(nl: Netlist, a: int, b: int, c: int) -> tuple[int, int]:
    """``(sum, carry)`` of three bits: two LUT3s on the same inputs (one cell)."""
    return nl.lut([a, b, c], FA_SUM), nl.lut([a, b, c], FA_CARRY)


class BitHeap:
    """A multiset of weighted bits plus an integer constant, reduced by :meth:`reduce`."""

    def __init__(self, nl: Netlist) -> None:
        self.nl = nl
        self.cols: dict[int, list[int]] = defaultdict(list)
        self.const = 0

    def __len__(self) -> int:
        return sum(len(c) for c in self.cols.values())

    def add_const(self, c: int) -> None:
        """Add the integer ``c``."""
        self.const += int(c)

    def add_bit(self, sig: int, exp: int, sign: int = 1) -> None:
        """Add ``sign * 2**exp * sig`` (``sign`` is +1 or -1)."""
        if exp < 0:
            raise ValueError(f"bit heap exponent must be >= 0, got {exp}")
        cv = self.nl.const_value(sig)
        if cv is not None:
            self.const += sign * cv << exp
            return
        if sign > 0:
            self.cols[exp].append(sig)
        else:
            self.cols[exp].append(not_(self.nl, sig))
            self.const -= 1 << exp

    def add_and(self, a: int, b: int, exp: int, sign: int = 1) -> None:
        """Add ``sign * 2**exp * (a & b)`` with one LUT (NAND for negative weight)."""
        if sign > 0:
            self.add_bit(self.nl.lut([a, b], 0b1000), exp)
        else:
            self.add_bit(self.nl.lut([a, b], 0b0111), exp)
            self.const -= 1 << exp

    def add_word(self, w: Word, sign: int = 1, shift: int = 0) -> None:
        """Add ``sign * 2**shift * w``."""
        for s, e, sg in w.weights():
            self.add_bit(s, e + shift, sg * sign)

    def reduce(self, lo: int, hi: int) -> Word:
        """The heap's value as a minimal-width word; ``[lo, hi]`` must bound it."""
        nl = self.nl
        n, _ = width_for(lo, hi)
        if n == 0:
            return make_word([], lo, hi)
        K = self.const % (1 << n)
        depth = nl.depth
        cols: list[list[int]] = [[] for _ in range(n + 2)]
        for e, bits in self.cols.items():
            if e < n:
                cols[e].extend(bits)
        # phase 1: full adders, earliest bits first, down to height 2
        for c in range(n):
            col = sorted(cols[c], key=depth)
            while len(col) > 2:
                a, b, d = col[:3]
                del col[:3]
                s, cy = full_adder(nl, a, b, d)
                bisect.insort(col, s, key=depth)
                if c + 1 < n:
                    cols[c + 1].append(cy)
            cols[c] = col
        # phase 2: ripple of column counters with the constant folded in
        out: list[int] = []
        kcarry = 0
        for c in range(n):
            ins = sorted(cols[c], key=depth)
            while len(ins) > 4:  # cannot happen after phase 1; kept for safety
                a, b, d = ins[:3]
                del ins[:3]
                s, cy = full_adder(nl, a, b, d)
                bisect.insort(ins, s, key=depth)
                if c + 1 < n:
                    cols[c + 1].append(cy)
            kt = ((K >> c) & 1) + kcarry
            k = kt & 1
            kcarry = kt >> 1
            m = len(ins)
            if m == 0:
                out.append(nl.const(k))
                continue
            if m == 1:
                if k == 0:
                    out.append(ins[0])
                else:
                    out.append(not_(nl, ins[0]))
                    if c + 1 < n:
                        cols[c + 1].append(ins[0])
                continue
            for j, tab in enumerate(counter_tables(m, k)):
                if c + j >= n:
                    break
                sig = nl.lut(ins, tab)
                if j == 0:
                    out.append(sig)
                else:
                    cols[c + j].append(sig)
        return make_word(out, lo, hi)
