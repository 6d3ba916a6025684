"""Pure-Python truth model of the lutgrid cell (DESIGN.md §1).

This module is the single written-down statement of the LUT semantics. The
Amaranth cell (:mod:`cells.cell`) and the numpy fabric simulator are both
tested against it.

Sides are numbered ``N=0, E=1, S=2, W=3`` (their geometry — neighbours, opposite
sides, edge buses — is in :mod:`fabric.arch`). The LUT address is
``a = in_N | in_E << 1 | in_S << 2 | in_W << 3``; bits ``16*d .. 16*d+15`` of the
64-bit configuration are the truth table of side ``d``'s output, and on every
rising clock edge ``out_d <= (cfg >> (16*d + a)) & 1``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

N, E, S, W = 0, 1, 2, 3
SIDES: tuple[str, ...] = ("N", "E", "S", "W")
CONFIG_BITS = 64
TABLE_BITS = 16
TABLE_MASK = (1 << TABLE_BITS) - 1
CONFIG_MASK = (1 << CONFIG_BITS) - 1


def lut_address(in_n: int, in_e: int, in_s: int, in_w: int) -> int:
    """Return the 4-bit LUT address of one cell's four input bits."""
    return (in_n & 1) | (in_e & 1) << 1 | (in_s & 1) << 2 | (in_w & 1) << 3


def cell_next(cfg: int, inputs: Sequence[int]) -> tuple[int, int, int, int]:
    """Return the cell's four output bits after one clock edge.

    ``inputs`` is ``(in_N, in_E, in_S, in_W)``; the result is
    ``(out_N, out_E, out_S, out_W)``, each 0 or 1.
    """
    if not 0 <= cfg <= CONFIG_MASK:
        raise ValueError(f"cell configuration {cfg:#x} does not fit in {CONFIG_BITS} bits")
    a = lut_address(*inputs)
    return tuple((cfg >> (TABLE_BITS * d + a)) & 1 for d in range(4))  # type: ignore[return-value]


def make_config(tables: Sequence[int]) -> int:
    """Pack four 16-bit truth tables ``(N, E, S, W)`` into a 64-bit configuration."""
    if len(tables) != 4:
        raise ValueError(f"a cell has 4 truth tables, got {len(tables)}")
    cfg = 0
    for d, table in enumerate(tables):
        if not 0 <= table <= TABLE_MASK:
            raise ValueError(f"truth table of side {SIDES[d]} ({table:#x}) is not 16 bits")
        cfg |= table << (TABLE_BITS * d)
    return cfg


def split_config(cfg: int) -> tuple[int, int, int, int]:
    """Unpack a 64-bit configuration into its four truth tables ``(N, E, S, W)``."""
    return tuple((cfg >> (TABLE_BITS * d)) & TABLE_MASK for d in range(4))  # type: ignore[return-value]


def table_of(func: Callable[[int, int, int, int], int]) -> int:
    """Tabulate ``func(in_N, in_E, in_S, in_W) -> bit`` as a 16-bit truth table."""
    table = 0
    for a in range(16):
        if func(a & 1, (a >> 1) & 1, (a >> 2) & 1, (a >> 3) & 1) & 1:
            table |= 1 << a
    return table


def copy_table(side: int) -> int:
    """Truth table of an output that copies input ``side`` (a pass-through)."""
    return table_of(lambda *bits: bits[side])


def cell_next_array(cfgs: np.ndarray, in_n: np.ndarray, in_e: np.ndarray,
                    in_s: np.ndarray, in_w: np.ndarray) -> np.ndarray:
    """Vectorised :func:`cell_next` over many cells.

    ``cfgs`` is a ``uint64`` array; the four input arrays have its shape and hold
    0/1. Returns a ``uint8`` array of shape ``cfgs.shape + (4,)`` with the next
    ``(out_N, out_E, out_S, out_W)`` of every cell.
    """
    a = (in_n.astype(np.uint64) | in_e.astype(np.uint64) << np.uint64(1)
         | in_s.astype(np.uint64) << np.uint64(2) | in_w.astype(np.uint64) << np.uint64(3))
    cfgs = cfgs.astype(np.uint64)
    out = np.empty(cfgs.shape + (4,), dtype=np.uint8)
    for d in range(4):
        out[..., d] = (cfgs >> (np.uint64(TABLE_BITS * d) + a)) & np.uint64(1)
    return out
