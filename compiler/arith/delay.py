"""Delay lines with DESIGN §5 ``first`` gating.

``Delay(x, k)`` is ``x`` of token ``t-k``, or 0 when ``t < k`` or any token in
``t-k+1 .. t`` has ``first`` set. Lowering: every bit is a raw netlist delay of
``k`` tokens, ANDed with ``~g_k`` where ``g_k(t) = OR_{j<k} first(t-j)``. ``g_k`` is
built once per ``k`` and shared by every delayed bit: for ``k <= 4`` one LUT over
delayed copies of ``first``, above that an OR of up to four delayed ``g`` of the
parts (``O(log k)`` LUTs). Since the first token of a stream has ``first`` set,
``t < k`` is covered too, and the gate does not depend on what the fabric's
pipeline held before the stream began. Cost: one LUT2 per delayed bit plus the
shared gate; delayed registers are routing (k cycles = k hops).
"""

from __future__ import annotations

from compiler.arith.words import Word, make_word
from compiler.netlist import Netlist

__all__ = ["FirstGate", "delay_word"]

AND_NOT = 0b0010  # inputs (d, g): d & ~g


class FirstGate:
    """Cache of the window-OR gates ``g_k`` of one netlist's ``first`` signal."""

    def __init__(self, nl: Netlist, first: int) -> None:
        self.nl = nl
        self.first = first
        self._g: dict[int, int] = {}

    def gate(self, k: int) -> int:
        """``OR`` of ``first`` over the last ``k`` tokens (including the current)."""
        if k < 1:
            raise ValueError(f"gate window must be >= 1, got {k}")
        if k in self._g:
            return self._g[k]
        nl = self.nl
        if k <= 4:
            ins = [nl.delay(self.first, j) for j in range(k)]
        else:
            q, r = divmod(k, 4)
            sizes = [q + (1 if i < r else 0) for i in range(4)]
            ins, off = [], 0
            for sz in sizes:
                ins.append(nl.delay(self.gate(sz), off))
                off += sz
        g = nl.lut(ins, ((1 << (1 << len(ins))) - 1) & ~1)
        self._g[k] = g
        return g


def delay_word(nl: Netlist, x: Word, k: int, gates: FirstGate) -> Word:
    """``Delay(x, k)`` of one word (range widened to include 0)."""
    lo, hi = min(x.lo, 0), max(x.hi, 0)
    if k == 0:
        return x
    if x.lo == x.hi == 0:
        return x
    g = gates.gate(k)
    bits = [nl.lut([nl.delay(b, k), g], AND_NOT) for b in x.bits]
    return make_word(bits, lo, hi)
