"""A word multiplexer on a sign bit, laid out as one row of cells.

``y = a if c < 0 else b`` (:meth:`compiler.ir.Graph.select`) for a one-bit signed ``c``
(its sign) and two ``m``-bit words: cell ``k`` reads ``a_k`` from the north, ``b_k``
from the south and ``c`` from the west, sends its choice north and ``c`` on east::

    north_in:  a0     a1     a2    ...   (bit k at offset k)
    row 0:   c-> [M0] -> [M1] -> [M2] -> ...   north_out: y_k at offset k + 1
    south_in:  b0     b1     b2    ...

``c`` enters ``west_in[0]`` at offset 0 and reaches cell ``k`` in cycle ``k``, with the
operand bits (east hops keep the lag, DESIGN §3). ``m`` cells, latency ``m`` cycles. A
maximum is a ripple subtraction (its sign) followed by this row.
"""

from __future__ import annotations

import numpy as np

from cells.truth import E, N, W, copy_table, make_config, table_of
from fabric.bitstream import Bitstream
from fabric.iomap import IOMap, PortBit

__all__ = ["SelectLayoutError", "control_row", "select_bitstream"]


class SelectLayoutError(ValueError):
    """Widths the select row does not take."""


def select_bitstream(m: int, *, c_name: str = "c", a_name: str = "a", b_name: str = "b",
                     y_name: str = "y", signed_out: bool = True) -> Bitstream:
    """The select row (module docstring) for ``m``-bit ``a``, ``b`` and ``y`` and a
    one-bit ``c`` whose bit is the sign. Raises :class:`SelectLayoutError` for
    ``m < 1``."""
    if m < 1:
        raise SelectLayoutError(f"width must be >= 1, got m={m}")
    configs = control_row(m, N, table_of(lambda nn, e, s, w: nn if w else s))
    iomap = IOMap(
        inputs={c_name: (PortBit("west_in", 0, 0),),
                a_name: tuple(PortBit("north_in", k, k) for k in range(m)),
                b_name: tuple(PortBit("south_in", k, k) for k in range(m))},
        outputs={y_name: tuple(PortBit("north_out", k, k + 1) for k in range(m))},
        latency=m,
        signed=frozenset({y_name}) if signed_out else frozenset())
    iomap.validate(m, 1)
    return Bitstream(configs, iomap)


def control_row(m: int, side: int, table: int) -> np.ndarray:
    """The ``1 x m`` configurations of a row that carries a control bit east from
    ``west_in[0]`` (every cell copies its west input east) while each cell drives
    ``table`` on ``side``: the select row, and the gated delay row."""
    configs = np.zeros((1, m), dtype=np.uint64)
    for k in range(m):
        tables = [0, 0, 0, 0]
        tables[side] = table
        if k < m - 1:
            tables[E] = copy_table(W)
        configs[0, k] = np.uint64(make_config(tables))
    return configs
