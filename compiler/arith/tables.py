"""Lookup tables of any input width (LUT4 trees).

:func:`lut_any` builds an arbitrary boolean function of any number of signals:
constant and repeated inputs are folded first, inputs the function ignores are
dropped; up to four inputs make one LUT, more are split by Shannon expansion on
the last input into two cofactors joined by a LUT3 multiplexer. Identical
cofactors are shared by structural hashing; a cofactor pair that is equal needs
no multiplexer. A 5-input function costs <= 3 LUTs, ``n`` inputs
``<= 2**(n-4) + 2**(n-4) - 1``; depth ``n - 3``.

:func:`table_word` lowers ``Table(x, table)``: one such function per result bit.
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.arith.words import Word, const_word, make_word
from compiler.netlist import MAX_LUT_INPUTS, Netlist, tt_depends, tt_merge, tt_restrict

__all__ = ["lut_any", "table_word"]

MUX3 = 0b1100_1010  # inputs (f0, f1, sel): sel ? f1 : f0


def lut_any(nl: Netlist, inputs: Sequence[int], tt: int) -> int:
    """Signal of the function with truth table ``tt`` (bit ``j`` = f(in_i = (j>>i)&1))."""
    ins = list(inputs)
    k = len(ins)
    if not 0 <= tt < 1 << (1 << k):
        raise ValueError(f"truth table {tt:#x} does not fit {k} inputs")
    i = 0
    while i < k:  # constants
        cv = nl.const_value(ins[i])
        if cv is not None:
            tt = tt_restrict(tt, k, i, cv)
            del ins[i]
            k -= 1
        else:
            i += 1
    i = 0
    while i < k:  # repeated inputs
        dup = next((m for m in range(i + 1, k) if ins[m] == ins[i]), None)
        if dup is not None:
            tt = tt_merge(tt, k, i, dup)
            del ins[dup]
            k -= 1
        else:
            i += 1
    i = 0
    while i < k:  # ignored inputs
        if not tt_depends(tt, k, i):
            tt = tt_restrict(tt, k, i, 0)
            del ins[i]
            k -= 1
        else:
            i += 1
    if k <= MAX_LUT_INPUTS:
        return nl.lut(ins, tt)
    f0 = lut_any(nl, ins[:-1], tt_restrict(tt, k, k - 1, 0))
    f1 = lut_any(nl, ins[:-1], tt_restrict(tt, k, k - 1, 1))
    return nl.lut([f0, f1, ins[-1]], MUX3)


def table_word(nl: Netlist, index_bits: Sequence[int], table: Sequence[int], lo: int,
               hi: int) -> Word:
    """Word ``table[index]`` where ``index_bits`` (LSB first) form the unsigned index.

    ``[lo, hi]`` bounds the reachable entries; bits are built only up to its width.
    """
    if len(table) != 1 << len(index_bits):
        raise ValueError(f"table has {len(table)} entries for {len(index_bits)} index bits")
    if lo == hi:
        return const_word(nl, lo)
    from compiler.ir import width_for

    n, _ = width_for(lo, hi)
    out = []
    for b in range(n):
        tt = 0
        for j, v in enumerate(table):
            tt |= ((v >> b) & 1) << j
        out.append(lut_any(nl, index_bits, tt))
    return make_word(out, lo, hi)
