"""Run a bitstream on a larger fabric: pad it east and south with pass-through cells.

A program compiled for a ``W x H`` logical fabric runs unchanged in the north-west
corner of a ``W' x H'`` one, except that its east and south edge ports are now inside
the grid. :func:`pad_bitstream` fills the new columns of every row that uses an east
port, and the new rows of every column that uses a south port, with copies that carry
the bits to the new edge (``out_E = in_W`` eastwards for ``east_out``, ``out_W =
in_E`` westwards for ``east_in``, and likewise ``out_S``/``out_N`` for the south), so
each such bit takes ``W' - W`` (or ``H' - H``) more cycles. The I/O map's offsets
follow, and are then shifted so that the smallest input offset is 0 again.

Why: the demo streams several small programs through Verilator; padded to one common
size they share one model, built once, instead of one build per program.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from cells.truth import E, N, S, W, copy_table, make_config, split_config
from fabric.bitstream import Bitstream, BitstreamError
from fabric.iomap import IOMap, PortBit


def pad_bitstream(bs: Bitstream, width: int, height: int) -> Bitstream:
    """``bs`` on a ``width`` x ``height`` logical fabric (at least its own size), with
    the same behaviour on every mapped port bit at the new offsets (cycles)."""
    if bs.iomap is None:
        raise BitstreamError("only a bitstream with an I/O map can be padded")
    if width < bs.width or height < bs.height:
        raise BitstreamError(f"cannot pad a {bs.width}x{bs.height} bitstream to a smaller "
                             f"{width}x{height} fabric")
    dx, dy = width - bs.width, height - bs.height
    tables = np.zeros((height, width, 4), dtype=np.int64)
    for y in range(bs.height):
        for x in range(bs.width):
            tables[y, x] = split_config(int(bs.configs[y, x]))
    # which register of the padding cells carries which port, and the offset change
    route = {"east_out": (E, copy_table(W), dx), "east_in": (W, copy_table(E), -dx),
             "south_out": (S, copy_table(N), dy), "south_in": (N, copy_table(S), -dy)}

    def moved(bits: tuple[PortBit, ...]) -> tuple[PortBit, ...]:
        out = []
        for pb in bits:
            if pb.port in route:
                side, table, delta = route[pb.port]
                if pb.port.startswith("east"):
                    tables[pb.index, bs.width:, side] = table
                else:
                    tables[bs.height:, pb.index, side] = table
                pb = replace(pb, offset=pb.offset + delta)
            out.append(pb)
        return tuple(out)

    inputs = {w: moved(bits) for w, bits in bs.iomap.inputs.items()}
    outputs = {w: moved(bits) for w, bits in bs.iomap.outputs.items()}
    shift = -min(pb.offset for bits in inputs.values() for pb in bits)

    def shifted(words: dict[str, tuple[PortBit, ...]]) -> dict[str, tuple[PortBit, ...]]:
        return {w: tuple(replace(pb, offset=pb.offset + shift) for pb in bits)
                for w, bits in words.items()}

    outputs = shifted(outputs)
    latency = max((pb.offset for bits in outputs.values() for pb in bits), default=0)
    iomap = IOMap(shifted(inputs), outputs, latency, bs.iomap.signed, dict(bs.iomap.widths))
    configs = np.zeros((height, width), dtype=np.uint64)
    for y in range(height):
        for x in range(width):
            if tables[y, x].any():
                configs[y, x] = np.uint64(make_config([int(t) for t in tables[y, x]]))
    return Bitstream(configs, iomap)
