"""What a word graph becomes for the stitcher: block instances and bit sources.

A bit source is ``("in", token word, bit)``, ``("blk", instance, word, bit)`` or
``("const", 0/1)``; an :class:`Elem` is one word as a list of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.ir import Graph, Value, WordType

#: a bit source: ("in", token word, bit) | ("blk", instance, word, bit) | ("const", 0/1)
Src = tuple


@dataclass
class Elem:
    """One word of a value: a source per bit (LSB first) and its signedness."""

    bits: list[Src]
    signed: bool

    def extend(self, n: int) -> list[Src]:
        """The word's bits widened (sign or zero) or cut to ``n`` bits."""
        if n <= len(self.bits):
            return self.bits[:n]
        pad = self.bits[-1] if self.signed else ("const", 0)
        return self.bits + [pad] * (n - len(self.bits))


@dataclass
class Instance:
    """One block to build: its graph, and the source of each bit of each of its input
    words (``bindings[word][b]``). ``op`` is the original op id, ``elem`` the element
    (``None`` for a whole-vector op)."""

    name: str
    op: int
    elem: int | None
    graph: Graph
    bindings: dict[str, list[Src]]


@dataclass
class Split:
    """A graph as instances (in dataflow order) and the source of every output bit."""

    instances: list[Instance]
    outputs: dict[str, list[Src]]
    output_signed: dict[str, bool]


def inst_input(g: Graph, name: str, dim: int, t: WordType, lo: tuple[int, ...],
               hi: tuple[int, ...]) -> Value:
    """Input ``name`` of ``g`` with an operand's exact ranges (``Graph.input`` only
    knows full types)."""
    assert len(lo) == dim
    return g.append("input", [], {"name": name}, lo, hi, t)
