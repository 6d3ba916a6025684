"""An elementwise table of a word of up to 4 bits: one 4-input LUT per output bit.

``y = table[x mod 2**b]`` (DESIGN §5 ``Table``) for one word ``x`` of ``b <= 4`` bits.
Every output bit is a function of at most four bits, which is one cell's LUT when the
four bits arrive on its four sides in the same cycle. The bits enter on ``west_in``
and run east on their own rows; output bit ``k``'s *gather* cell ``G_k`` sits on row
1 (``x0``'s row) and takes ``x0`` from the west, ``x1`` from row 0 (turned south),
``x2`` from row 2 (turned north) and ``x3`` from the east (run along row 3, up two
cells and one back west); with four index bits, columns 0..3 of two gathers::

    row 0  x1 ->  v^  >   v^      v: x1 down into G; ^: G's result on to north_out[c_k]
    row 1  x0 ->  G0  <   G1  <   G: LUT of (W=x0, N=x1, S=x2, E=x3); <: x3 back west
    row 2  x2 ->  ^   ^   ^   ^   x2 up into G (even columns), x3 up (odd columns)
    row 3  x3 ->  >   ^   >   ^   (>: a bit passing east)

Each gather reads its four bits one cycle after ``x0`` passed the previous column, so
every gather sees the same token when the rows enter at their own offsets (``x3`` 4
cycles and ``x1``, ``x2`` 1 cycle before ``x0``); output bit ``k`` leaves on
``north_out[c_k]`` 2 cycles after its gather read. ``G_k`` sits in column ``2k`` with
four input bits (the east arm needs the column after it), ``k`` with fewer. Rows a
narrower word does not need are left out. Cells: about ``b * width``.

:func:`rows_bitstream` gathers several words from one index (an ``Embed`` row): their
bits side by side as one wider table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cells.truth import E, N, S, W, copy_table, make_config, table_of
from compiler.lower import word_name
from fabric.bitstream import Bitstream
from fabric.iomap import IOMap, PortBit

__all__ = ["MAX_TABLE_BITS", "TableLayoutError", "rows_bitstream", "table_bitstream"]

#: widest index word the gather layout takes (a cell has four inputs)
MAX_TABLE_BITS = 4


class TableLayoutError(ValueError):
    """A table the gather layout cannot take (index too wide, wrong length...)."""


def table_bitstream(table: Sequence[int], in_bits: int, out_bits: int, *,
                    x_name: str = "x", y_name: str = "y", signed_out: bool = True
                    ) -> Bitstream:
    """The gather layout of ``y = table[x mod 2**in_bits]`` (module docstring):
    ``len(table) == 2**in_bits``, ``1 <= in_bits <= 4``, ``out_bits`` output bits (the
    entries' two's complement, cut to ``out_bits``). Inputs on ``west_in``, outputs on
    ``north_out``; one token per cycle, latency ``iomap.latency`` cycles. Deterministic.
    """
    if out_bits < 1:
        raise TableLayoutError(f"out_bits must be >= 1, got {out_bits}")
    return rows_bitstream([(int(v),) for v in table], in_bits, out_bits, x_name=x_name,
                          y_name=y_name, signed_out=signed_out)


def rows_bitstream(rows: Sequence[Sequence[int]], in_bits: int, bits: int, *,
                   x_name: str = "x", y_name: str = "y", signed_out: bool = True
                   ) -> Bitstream:
    """``y[j] = rows[x mod 2**in_bits][j]`` for ``d`` words of ``bits`` bits (an embedding
    lookup): one gather per bit of every word, side by side (``y`` when ``d == 1``).
    ``len(rows) == 2**in_bits``; one token per cycle. Deterministic."""
    if not 1 <= in_bits <= MAX_TABLE_BITS:
        raise TableLayoutError(f"table index of {in_bits} bits: the gather layout takes "
                               f"1..{MAX_TABLE_BITS}")
    if len(rows) != 1 << in_bits:
        raise TableLayoutError(f"table has {len(rows)} entries, a {in_bits}-bit index "
                               f"needs {1 << in_bits}")
    d = len(rows[0])
    if d < 1 or bits < 1 or any(len(r) != d for r in rows):
        raise TableLayoutError("every row needs the same number (>= 1) of words of >= 1 "
                               "bits")
    columns = [[(int(r[j]) >> k) & 1 for r in rows] for j in range(d) for k in range(bits)]
    configs, inputs, flat = _gather(columns, in_bits, x_name)
    names = [word_name(y_name, j, d) for j in range(d)]
    outputs = {n: tuple(flat[j * bits:(j + 1) * bits]) for j, n in enumerate(names)}
    iomap = IOMap(inputs, outputs, max(pb.offset for pb in flat),
                  frozenset(names) if signed_out else frozenset())
    iomap.validate(configs.shape[1], configs.shape[0])
    return Bitstream(configs, iomap)


def _gather(columns: Sequence[Sequence[int]], in_bits: int, x_name: str
            ) -> tuple[np.ndarray, dict[str, tuple[PortBit, ...]], list[PortBit]]:
    """The gather layout (module docstring) of one output bit per entry of ``columns``
    (the bit's value at every index): configurations, the index's input ports, and
    each bit's output port."""
    b, m = in_bits, len(columns)
    step = 2 if b == 4 else 1
    cols = [step * k for k in range(m)]
    last = cols[-1]
    width = last + 1 + (1 if b == 4 else 0)
    # rows: 0 carries x1 (and the results north), 1 x0 and the gathers, 2 x2, 3 x3
    height = 2 + (b >= 3) + (b >= 4)
    tabs: dict[tuple[int, int], list[int]] = {}

    def put(x: int, y: int, side: int, t: int) -> None:
        cell = tabs.setdefault((x, y), [0, 0, 0, 0])
        assert not cell[side], f"cell ({x}, {y}) side {side} driven twice"
        cell[side] = t

    for x in range(last):                      # x0 east along row 1 to the last gather
        put(x, 1, E, copy_table(W))
    if b >= 2:
        for x in range(last):
            put(x, 0, E, copy_table(W))
    if b >= 3:
        for x in range(last):
            put(x, 2, E, copy_table(W))
    if b >= 4:
        for x in range(last + 1):
            put(x, 3, E, copy_table(W))
    for k, c in enumerate(cols):
        entries = list(columns[k])

        def lut(n: int, e: int, s: int, w: int, entries: list[int] = entries) -> int:
            a = (w | n << 1 | s << 2 | e << 3) & ((1 << b) - 1)
            return entries[a]

        put(c, 1, N, table_of(lut))
        put(c, 0, N, copy_table(S))            # the result leaves north
        if b >= 2:
            put(c, 0, S, copy_table(W))        # x1 down into the gather
        if b >= 3:
            put(c, 2, N, copy_table(W))        # x2 up into the gather
        if b >= 4:
            put(c + 1, 3, N, copy_table(W))    # x3 up two cells ...
            put(c + 1, 2, N, copy_table(S))
            put(c + 1, 1, W, copy_table(S))    # ... and back west into the gather
    configs = np.zeros((height, width), dtype=np.uint64)
    for (x, y), t in tabs.items():
        configs[y, x] = np.uint64(make_config(t))
    # entry cycles: x0 at e_a, x1 and x2 one earlier, x3 four earlier (docstring)
    e_a = {1: 0, 2: 1, 3: 1, 4: 4}[b]
    enter = {0: e_a, 1: e_a - 1, 2: e_a - 1, 3: e_a - 4}
    row = {0: 1, 1: 0, 2: 2, 3: 3}
    inputs = {x_name: tuple(PortBit("west_in", row[j], enter[j]) for j in range(b))}
    return configs, inputs, [PortBit("north_out", c, e_a + c + 2) for c in cols]
