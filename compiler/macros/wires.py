"""Pure wiring as a macro: a program whose outputs are its input bits, renamed.

A part of a row of fabrics can be wiring only: the outputs of a program gathered from
the fabrics that made them (an elementwise op taken apart element by element,
:mod:`compiler.compose.elements`, leaves its result as a concat of one value per
fabric). Composed, every such bit would be a net the channel router pads to a free
edge port. Laid out here it is one cell per bit and one cycle: input bit ``r`` (words
in the given order, bits ascending) enters ``west_in[r]`` at offset 0, its cell copies
it east, and it leaves on ``east_out[r]`` at offset 1::

    west_in[r] -> [copy W->E] -> east_out[r]

A ``1 x n`` fabric for ``n`` input bits; an input bit no output reads keeps an idle
cell (its word is declared whole, as every input word is).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from cells.truth import E, W, copy_table, make_config
from fabric.bitstream import Bitstream
from fabric.iomap import IOMap, PortBit

__all__ = ["WiresLayoutError", "wires_bitstream"]


class WiresLayoutError(ValueError):
    """A wiring the column does not take (an input bit read twice, an unknown bit)."""


def wires_bitstream(inputs: Mapping[str, int], outputs: Mapping[str, Sequence[tuple[str, int]]],
                    signed: frozenset[str] = frozenset()) -> Bitstream:
    """The wiring column (module docstring): ``inputs`` maps each input word to its bits,
    ``outputs`` each output word to the input bit ``(word, bit)`` of each of its bits
    (least significant first); ``signed`` names the signed words. Raises
    :class:`WiresLayoutError` for an output bit that reads no input bit, or an input
    bit read by more than one output bit."""
    row: dict[tuple[str, int], int] = {}
    for word, bits in inputs.items():
        for b in range(bits):
            row[(word, b)] = len(row)
    if not row:
        raise WiresLayoutError("no input bits to wire")
    used: dict[tuple[str, int], str] = {}
    outs: dict[str, tuple[PortBit, ...]] = {}
    for word, srcs in outputs.items():
        bits = []
        for b, src in enumerate(srcs):
            if src not in row:
                raise WiresLayoutError(f"output {word} bit {b} reads {src}, not an input bit")
            if src in used:
                raise WiresLayoutError(f"input bit {src} is read by {used[src]} and by "
                                       f"output {word} bit {b}")
            used[src] = f"output {word} bit {b}"
            bits.append(PortBit("east_out", row[src], 1))
        outs[word] = tuple(bits)
    configs = np.zeros((len(row), 1), dtype=np.uint64)
    tables = [0, 0, 0, 0]
    tables[E] = copy_table(W)
    copy = np.uint64(make_config(tables))
    for src in used:
        configs[row[src], 0] = copy
    ins = {word: tuple(PortBit("west_in", row[(word, b)], 0) for b in range(bits))
           for word, bits in inputs.items()}
    iomap = IOMap(ins, outs, 1, frozenset(signed))
    iomap.validate(1, len(row))
    return Bitstream(configs, iomap)
