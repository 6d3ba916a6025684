"""What a bitstream spends its cells on, read from the configurations alone.

Every cell output is classified from its truth table: *idle* (constant 0, the reset
value), *constant* (any other constant), *copy* (a pass-through of one input side) or
*compute* (anything else). A cell is *compute* if any output computes, *route-only*
if it only copies or drives constants, *idle* if all four outputs are constant 0.
This works on any bitstream, hand-placed, macro-built or placed and routed, so the
figures of different flows are comparable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from cells.truth import TABLE_MASK, copy_table
from fabric.bitstream import Bitstream, atomic_write_bytes

IDLE, ROUTE, COMPUTE = 0, 1, 2
_COPIES = frozenset(copy_table(side) for side in range(4))
_COLOURS = {IDLE: (245, 245, 245), ROUTE: (110, 160, 230), COMPUTE: (230, 90, 50)}


@dataclass(frozen=True)
class Usage:
    """Cell counts of one bitstream (units: cells; ``copies`` and ``luts`` count outputs)."""

    width: int
    height: int
    compute: int
    route_only: int
    idle: int
    luts: int
    copies: int
    kinds: np.ndarray

    @property
    def used(self) -> int:
        """Cells that are not idle."""
        return self.compute + self.route_only

    @property
    def route_only_share(self) -> float:
        """Share of used cells that only move bits (0..1)."""
        return self.route_only / self.used if self.used else 0.0

    @property
    def route_overhead(self) -> float:
        """Used cells per cell that computes something other than a copy."""
        return self.used / self.compute if self.compute else float("inf")

    def text(self) -> str:
        """A few human-readable lines."""
        cells = self.width * self.height
        return (f"fabric {self.width}x{self.height} = {cells} cells: {self.compute} compute, "
                f"{self.route_only} route-only ({100 * self.route_only_share:.0f}% of used), "
                f"{self.idle} idle; {self.luts} computing LUT outputs, {self.copies} copies")


def usage(bitstream: Bitstream) -> Usage:
    """Classify every cell of ``bitstream`` (see the module docstring)."""
    cfg = bitstream.configs
    h, w = cfg.shape
    # (H, W, 4) truth tables, classified all at once.
    tables = np.stack([(cfg >> np.uint64(16 * d)) & np.uint64(TABLE_MASK) for d in range(4)],
                      axis=-1)
    copy = np.isin(tables, np.array(sorted(_COPIES), dtype=np.uint64))
    constant = (tables == 0) | (tables == TABLE_MASK)
    computes = ~(copy | constant)
    kinds = np.full((h, w), IDLE, dtype=np.uint8)
    kinds[(tables != 0).any(axis=-1)] = ROUTE
    kinds[computes.any(axis=-1)] = COMPUTE
    return Usage(w, h, int((kinds == COMPUTE).sum()), int((kinds == ROUTE).sum()),
                 int((kinds == IDLE).sum()), int(computes.sum()), int(copy.sum()), kinds)


def heatmap_png(u: Usage, path: str | os.PathLike[str], scale: int | None = None) -> None:
    """Write a PNG of the grid (compute red, route-only blue, idle grey), ``scale``
    pixels per cell (default: about 800 pixels on the long side), atomically."""
    if scale is None:
        scale = max(1, min(16, 800 // max(u.width, u.height)))
    from io import BytesIO

    from PIL import Image

    rgb = np.zeros((u.height, u.width, 3), dtype=np.uint8)
    for kind, colour in _COLOURS.items():
        rgb[u.kinds == kind] = colour
    img = Image.fromarray(rgb, "RGB").resize((u.width * scale, u.height * scale),
                                             Image.Resampling.NEAREST)
    buf = BytesIO()
    img.save(buf, format="PNG", optimize=True)
    atomic_write_bytes(path, buf.getvalue())
