"""Floorplan: where each block's rectangle goes, with free channels between them.

Blocks are placed in dataflow order on shelves (rows of blocks, west to east, shelves
north to south), every rectangle surrounded by at least ``margin`` free cells (also
towards the fabric's edges), so every edge port of every block faces a free channel
cell and every channel is ``2 * margin`` cells wide. The shelf width is about the
square root of the total area, but at least the widest block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Floorplan:
    """Block origins ``pos[i] = (x, y)`` (north-west cell) on a ``width`` x ``height``
    fabric (cells)."""

    width: int
    height: int
    pos: list[tuple[int, int]]


def shelf_floorplan(sizes: list[tuple[int, int]], margin: int,
                    aspect: float = 1.0) -> Floorplan:
    """Place rectangles ``sizes[i] = (w, h)`` in order on shelves (see module doc).

    ``aspect`` scales the target shelf width (> 1: wider, flatter fabrics)."""
    if margin < 1:
        raise ValueError(f"margin must be >= 1 cell, got {margin}")
    if not sizes:
        return Floorplan(2 * margin + 1, 2 * margin + 1, [])
    area = sum((w + margin) * (h + margin) for w, h in sizes)
    target = max(max(w for w, _ in sizes), int(math.sqrt(area) * aspect))
    pos: list[tuple[int, int]] = []
    x = y = margin
    shelf_h = 0
    right = 0
    for w, h in sizes:
        if x > margin and x + w > margin + target:
            y += shelf_h + margin
            x = margin
            shelf_h = 0
        pos.append((x, y))
        right = max(right, x + w)
        x += w + margin
        shelf_h = max(shelf_h, h)
    return Floorplan(right + margin, y + shelf_h + margin, pos)


def widened(fp: Floorplan, sizes: list[tuple[int, int]], cols: dict[int, int],
            rows: dict[int, int]) -> Floorplan:
    """``fp`` with ``cols[c]`` free columns inserted before column ``c`` and ``rows[r]``
    free rows before row ``r`` (cells): every block whose origin lies at or beyond an
    insertion moves by its width. Blocks only move apart (a block that spans an
    insertion stays; one beyond it moves away from it), so no two overlap."""
    pos = []
    for x, y in fp.pos:
        pos.append((x + sum(k for c, k in cols.items() if c <= x),
                    y + sum(k for r, k in rows.items() if r <= y)))
    width = fp.width + sum(cols.values())
    height = fp.height + sum(rows.values())
    for (x, y), (w, h) in zip(pos, sizes, strict=True):
        width, height = max(width, x + w + 1), max(height, y + h + 1)
    return Floorplan(width, height, pos)
