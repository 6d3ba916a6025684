"""Two- and multi-operand addition and subtraction.

All of these are bit heaps (:mod:`compiler.arith.sums`): a two-operand add is a
ripple-carry adder of full adders (sum and carry are two LUT3s on the same three
inputs, i.e. one cell), one level per result bit. Subtraction enters the
subtrahend inverted with ``+1`` in the heap constant. Multi-operand sums compress
with full adders first (3:2, timing-driven) and end in one ripple pass.
Results have the exact width of their range; saturation/wrap is a separate
:func:`compiler.arith.rounding.fit_word` that builds nothing when the range fits.
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.arith.sums import BitHeap
from compiler.arith.words import Word, const_word
from compiler.netlist import Netlist

__all__ = ["add_word", "sub_word", "sum_words"]


def sum_words(nl: Netlist, terms: Sequence[tuple[Word, int]], const: int = 0) -> Word:
    """``const + sum(sign * w)`` over ``(w, sign)`` terms, ``sign`` in {+1, -1}."""
    lo = hi = const
    h = BitHeap(nl)
    h.add_const(const)
    for w, sg in terms:
        h.add_word(w, sg)
        lo += w.lo if sg > 0 else -w.hi
        hi += w.hi if sg > 0 else -w.lo
    if lo == hi:
        return const_word(nl, lo)
    return h.reduce(lo, hi)


def add_word(nl: Netlist, a: Word, b: Word) -> Word:
    """``a + b`` at exact width."""
    return sum_words(nl, [(a, 1), (b, 1)])


def sub_word(nl: Netlist, a: Word, b: Word) -> Word:
    """``a - b`` at exact width."""
    return sum_words(nl, [(a, 1), (b, -1)])
