"""The eight symmetries of the square applied to a compiled program.

The cell is the same on every side (DESIGN §1: four inputs, four registered outputs,
any function), and a hop costs one cycle in every direction. So turning or mirroring a
rectangle of configured cells gives a program that computes the same thing with the
same timing: every path keeps its number of hops, so every I/O-map offset and the
latency stay as they are; only the cells move, each table's address bits and output
sides are permuted, and every edge port moves to the transformed side.

A symmetry is an index ``0..7``: ``k = 4 * mirror + turns``, i.e. optionally mirror
east-west (``x -> W-1-x``), then turn ``turns`` quarter turns clockwise. The
composer (:mod:`compiler.compose`) uses this to point a block's ports at the blocks it
talks to.
"""

from __future__ import annotations

import numpy as np

from fabric.arch import BUS_SIDE, SIDE_DELTA, arch_of
from fabric.bitstream import Bitstream
from fabric.iomap import IOMap, PortBit

__all__ = ["SYMMETRIES", "map_side", "transform", "transform_cell", "transform_iomap",
           "transformed_shape"]

#: the eight symmetry indices
SYMMETRIES: tuple[int, ...] = tuple(range(8))
_BUS_OF = {(side, bus.endswith("_in")): bus for bus, side in BUS_SIDE.items()}


def _check(k: int) -> None:
    if k not in SYMMETRIES:
        raise ValueError(f"symmetry must be one of 0..7, got {k!r}")


def _vec(k: int, dx: int, dy: int) -> tuple[int, int]:
    """The direction ``(dx, dy)`` after symmetry ``k`` (y grows southwards)."""
    if k >= 4:
        dx = -dx
    for _ in range(k % 4):
        dx, dy = -dy, dx          # a clockwise quarter turn on screen axes
    return dx, dy


def map_side(k: int, side: int) -> int:
    """The side that ``side`` becomes under symmetry ``k``."""
    _check(k)
    return SIDE_DELTA.index(_vec(k, *SIDE_DELTA[side]))


def transformed_shape(k: int, width: int, height: int) -> tuple[int, int]:
    """``(width, height)`` of a ``width`` x ``height`` rectangle after symmetry ``k``."""
    _check(k)
    return (height, width) if k % 2 else (width, height)


def transform_cell(k: int, width: int, height: int, x: int, y: int) -> tuple[int, int]:
    """Where cell ``(x, y)`` of a ``width`` x ``height`` rectangle goes under ``k``."""
    _check(k)
    if k >= 4:
        x = width - 1 - x
    for _ in range(k % 4):
        x, y = height - 1 - y, x
        width, height = height, width
    return x, y


def _permute_tables(k: int, tables: np.ndarray) -> np.ndarray:
    """16-bit truth tables (any array) whose address bits are permuted by symmetry
    ``k``: address bit ``s`` (input side ``s``) becomes bit ``map_side(k, s)``."""
    perm = [map_side(k, s) for s in range(4)]
    out = np.zeros_like(tables)
    for a in range(16):
        b = sum(1 << perm[s] for s in range(4) if (a >> s) & 1)
        out |= ((tables >> np.uint64(a)) & np.uint64(1)) << np.uint64(b)
    return out


def _port(k: int, width: int, height: int, pb: PortBit) -> PortBit:
    arch = arch_of(width, height)
    side = BUS_SIDE[pb.port]
    x, y = arch.port_cell(pb.port, pb.index)
    nx, ny = transform_cell(k, width, height, x, y)
    nside = map_side(k, side)
    bus = _BUS_OF[(nside, pb.port.endswith("_in"))]
    index = ny if bus.startswith(("west", "east")) else nx
    return PortBit(bus, index, pb.offset)


def transform_iomap(iomap: IOMap, width: int, height: int, k: int) -> IOMap:
    """The I/O map of a ``width`` x ``height`` program under symmetry ``k``: every port
    bit on its new bus and index, offsets and everything else unchanged."""
    _check(k)
    return IOMap({wd: tuple(_port(k, width, height, pb) for pb in bits)
                  for wd, bits in iomap.inputs.items()},
                 {wd: tuple(_port(k, width, height, pb) for pb in bits)
                  for wd, bits in iomap.outputs.items()},
                 iomap.latency, iomap.signed, iomap.widths)


def transform(bs: Bitstream, k: int) -> Bitstream:
    """``bs`` under symmetry ``k`` (see the module docstring): same words, offsets,
    latency, signedness and widths; the cells, their tables and the edge ports moved.
    ``transform(transform(bs, k), inverse)`` gives ``bs`` back byte for byte."""
    _check(k)
    h, w = bs.height, bs.width
    cfg = bs.configs.astype(np.uint64)
    perm = [map_side(k, s) for s in range(4)]
    out = np.zeros_like(cfg)
    for d in range(4):
        tab = (cfg >> np.uint64(16 * d)) & np.uint64(0xFFFF)
        out |= _permute_tables(k, tab) << np.uint64(16 * perm[d])
    if k >= 4:
        out = out[:, ::-1]
    out = np.ascontiguousarray(np.rot90(out, -(k % 4)))
    iomap = None if bs.iomap is None else transform_iomap(bs.iomap, w, h, k)
    return Bitstream(out, iomap)
