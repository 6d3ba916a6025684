"""Arithmetic lowering library: words of netlist signals and the blocks that build them.

Modules: :mod:`.words` (bit vectors with exact ranges), :mod:`.sums` (bit heaps,
counters, ripple pass), :mod:`.adders`, :mod:`.multiply` (CSD / nibble tables,
Baugh–Wooley, dot, matrix-vector), :mod:`.compare` (comparators, max),
:mod:`.rounding` (rshift, sat/wrap), :mod:`.tables` (LUT4 trees), :mod:`.delay`
(delay lines with ``first`` gating).
"""

from compiler.arith.adders import add_word, sub_word, sum_words
from compiler.arith.compare import argmax_word, gt, gt_const, lt_const, max_word, select_word
from compiler.arith.delay import FirstGate, delay_word
from compiler.arith.multiply import (
    add_const_mul,
    add_var_mul,
    const_mul_word,
    csd,
    dot_word,
    linear_words,
    var_mul_word,
)
from compiler.arith.rounding import fit_word, rshift_word, shift_down
from compiler.arith.sums import BitHeap, full_adder
from compiler.arith.tables import lut_any, table_word
from compiler.arith.words import Word, const_word, input_word, make_word

__all__ = [
    "BitHeap",
    "FirstGate",
    "Word",
    "add_const_mul",
    "add_var_mul",
    "add_word",
    "const_mul_word",
    "const_word",
    "csd",
    "delay_word",
    "dot_word",
    "fit_word",
    "full_adder",
    "gt",
    "gt_const",
    "input_word",
    "linear_words",
    "lt_const",
    "lut_any",
    "make_word",
    "argmax_word",
    "max_word",
    "select_word",
    "rshift_word",
    "shift_down",
    "sub_word",
    "sum_words",
    "table_word",
    "var_mul_word",
]
