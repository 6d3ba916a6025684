"""Recognise graphs that a hand-placed macro implements better than general P&R.

Regular structures (a constant matrix-vector product is the one that matters) are laid
out by a macro generator; everything else goes through pack/place/route. A match is
exact: the macro must compute what :func:`compiler.ir.reference` computes, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compiler.ir import FIRST, Graph
from compiler.macros.linear import build_linear
from fabric.bitstream import Bitstream

#: The tap router of the linear macro is tuned for x of at most this many bits.
MAX_X_BITS = 5


@dataclass(frozen=True)
class LinearMatch:
    """A graph that is exactly ``y = sat(rshift(W @ x + b, shift), out_bits)``."""

    x_name: str
    y_name: str
    weights: np.ndarray
    bias: np.ndarray
    x_bits: int
    shift: int
    out_bits: int | None

    def build(self) -> Bitstream:
        """The macro's bitstream (with I/O map)."""
        return build_linear(self.weights, self.bias, self.x_bits, self.shift, self.out_bits,
                            x_name=self.x_name, y_name=self.y_name)


def match_linear(graph: Graph) -> LinearMatch | None:
    """``graph`` as a :class:`LinearMatch` if it is a single signed int4-weight Linear of
    one signed input of at most :data:`MAX_X_BITS` bits (saturating or full precision),
    else ``None``."""
    if len(graph.inputs) != 1 or len(graph.outputs) != 1 or len(graph.ops) != 2:
        return None
    (x_name, x), = graph.inputs.items()
    (y_name, y), = graph.outputs.items()
    if x_name == FIRST or not x.type.signed or x.type.bits > MAX_X_BITS:
        return None
    op = graph.ops[y.id]
    if op.kind != "linear" or tuple(op.args) != (x.id,) or not y.type.signed:
        return None
    weights = np.asarray(op.params["W"], dtype=np.int64)
    if weights.min() < -8 or weights.max() > 7:
        return None
    if op.params["mode"] != "sat":
        return None
    return LinearMatch(x_name, y_name, weights, np.asarray(op.params["b"], dtype=np.int64),
                       x.type.bits, int(op.params["shift"]), y.type.bits)
