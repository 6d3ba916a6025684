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


def heatmap_png(u: Usage, path: str | os.PathLike[str], title: str | None = None) -> None:
    """Write :func:`heatmap_png_bytes` to ``path`` atomically."""
    atomic_write_bytes(path, heatmap_png_bytes(u, title))


def heatmap_png_bytes(u: Usage, title: str | None = None) -> bytes:
    """A PNG of the grid: every cell coloured by its class (compute red, route-only
    blue, idle light grey), with column and row axes, a title (``title`` and the
    fabric size) and a legend giving each class's cell count. Same usage and title,
    same bytes (no time stamp or version in the file)."""
    import matplotlib

    matplotlib.use("Agg")
    from io import BytesIO

    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    names = {IDLE: "idle", ROUTE: "route-only", COMPUTE: "compute"}
    colours = [tuple(c / 255 for c in _COLOURS[k]) for k in (IDLE, ROUTE, COMPUTE)]
    counts = {IDLE: u.idle, ROUTE: u.route_only, COMPUTE: u.compute}
    aspect = u.height / u.width  # grid inches: 6 on the long side, at least 2
    grid_w, grid_h = (6.0, max(2.0, 6.0 * aspect)) if aspect <= 1 else \
        (max(2.0, 6.0 / aspect), 6.0)
    fig = Figure(figsize=(grid_w + 3.0, grid_h + 1.2), dpi=100)
    ax = fig.add_subplot()
    ax.imshow(u.kinds, cmap=ListedColormap(colours), vmin=0, vmax=2, interpolation="nearest",
              origin="upper", aspect="equal")
    ax.set_xlabel("column x (logical)")
    ax.set_ylabel("row y")
    heading = f"{title}: " if title else ""
    ax.set_title(f"{heading}{u.width} x {u.height} fabric, {u.used} of "
                 f"{u.width * u.height} cells used")
    handles = [Patch(facecolor=colours[k], edgecolor="black", linewidth=0.5,
                     label=f"{names[k]} ({counts[k]} cells)") for k in (COMPUTE, ROUTE, IDLE)]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
              frameon=False)
    buf = BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None}, bbox_inches="tight",
                pad_inches=0.1)
    return buf.getvalue()
