"""Bit vectors of netlist signals with exact value ranges (the lowering's word).

A :class:`Word` is a tuple of signals, LSB first, read as two's complement when
``signed`` else as unsigned, together with the exact range ``[lo, hi]`` its value
is known to lie in. Words are kept at the minimal width for their range
(:func:`compiler.ir.width_for`); wider views are made by :meth:`Word.ext`, whose
extra bits are copies of the sign bit (or constant 0) and cost nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from compiler.ir import width_for
from compiler.netlist import Netlist

__all__ = ["Word", "const_word", "input_word", "not_", "xor_bits"]

NOT_TABLE = 0b01


@dataclass(frozen=True)
class Word:
    """Signals ``bits`` (LSB first) of a value in ``[lo, hi]``."""

    bits: tuple[int, ...]
    signed: bool
    lo: int
    hi: int

    @property
    def width(self) -> int:
        return len(self.bits)

    def ext(self, nl: Netlist, n: int) -> list[int]:
        """The bits sign/zero-extended to ``n`` (``n >= width``)."""
        if n < len(self.bits):
            raise ValueError(f"cannot extend a {len(self.bits)}-bit word to {n} bits")
        pad = self.bits[-1] if (self.signed and self.bits) else nl.const(0)
        return list(self.bits) + [pad] * (n - len(self.bits))

    def bit(self, nl: Netlist, i: int) -> int:
        """Bit ``i`` of the infinite two's complement expansion."""
        if i < len(self.bits):
            return self.bits[i]
        return self.bits[-1] if (self.signed and self.bits) else nl.const(0)

    def weights(self) -> list[tuple[int, int, int]]:
        """``(signal, exponent, sign)``: value = sum(sign * 2**exponent * bit)."""
        n = len(self.bits)
        return [(s, i, -1 if (self.signed and i == n - 1) else 1)
                for i, s in enumerate(self.bits)]

    def is_const(self) -> bool:
        return self.lo == self.hi


def make_word(bits: Sequence[int], lo: int, hi: int) -> Word:
    """Word over the low ``width_for(lo, hi)`` bits of ``bits`` (which represent v mod 2**n)."""
    n, signed = width_for(lo, hi)
    if len(bits) < n:
        raise ValueError(f"range [{lo}, {hi}] needs {n} bits, got {len(bits)}")
    return Word(tuple(bits[:n]), signed, lo, hi)


def const_word(nl: Netlist, v: int) -> Word:
    """The constant ``v`` at minimal width."""
    n, signed = width_for(v, v)
    return Word(tuple(nl.const((v >> i) & 1) for i in range(n)), signed, v, v)


def input_word(nl: Netlist, word: str, bits: int, signed: bool) -> Word:
    """Token input word ``word`` of a declared type."""
    lo = -(1 << (bits - 1)) if signed else 0
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    return Word(tuple(nl.input(word, b) for b in range(bits)), signed, lo, hi)


def not_(nl: Netlist, s: int) -> int:
    """Inverted signal (absorbed into consuming LUTs by :meth:`Netlist.lut`)."""
    return nl.lut([s], NOT_TABLE)


def xor_bits(nl: Netlist, a: int, b: int) -> int:
    return nl.lut([a, b], 0b0110)
