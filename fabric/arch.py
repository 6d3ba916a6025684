"""The fabric's architecture as data: sides, edge buses, registers and timing laws.

Every stage that reasons about where a bit is and when (compiler placement, routing,
emission, macros) and both simulators read the fabric from here, so that the laws of
DESIGN §1-§3 are written down once:

* **sides** ``N, E, S, W`` (the LUT address order of :mod:`cells.truth`), the
  ``(dx, dy)`` step to the neighbour on each side (y grows southwards) and the
  opposite side; the input on side ``s`` of a cell is the register of its neighbour
  on side ``s`` that faces back (``OPPOSITE[s]``);
* **edge buses**: the eight names, their widths (H bits west/east, W bits
  north/south), the fabric side each is on, and the border cell that port bit
  ``bus[i]`` feeds (``*_in``) or reads (``*_out``);
* **registers**: each cell has :attr:`Arch.REGS_PER_CELL` output registers, one per
  side; register id ``4 * (y * W + x) + d`` is the flat index of an
  ``(H, W, 4)`` array (:attr:`Arch.reg_shape`), which is how the router stores them;
* **distance laws**: :meth:`Arch.min_hops` (least route length between two cells or
  ports) and :meth:`Arch.side_hops` (least route length into a given input side);
* **the lag law** (DESIGN §3): a signal at cell ``(x, y)`` in cycle ``t`` has lag
  ``t - (x + y)``; a hop east or south keeps it, a hop west or north adds 2, so
  ``lag mod 2`` (the phase) never changes along a path.

:class:`Arch` is built from the fabric shape alone (``Arch(width, height)``); a cell
variant would be described by what this module returns, not by the stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from cells.truth import E, N, S, W

__all__ = ["Arch", "BUSES", "BUS_SIDE", "Cell", "E", "INPUT_BUSES", "N", "OPPOSITE",
           "OUTPUT_BUSES", "Port", "S", "SIDES", "SIDE_DELTA", "W", "arch_of",
           "backward_hops", "bus_width", "hop_lag", "manhattan"]

Cell = tuple[int, int]
#: one edge port bit: (bus name, bit index)
Port = tuple[str, int]

#: the four sides in LUT address order (bit ``d`` of the address is input side ``d``)
SIDES: tuple[int, ...] = (N, E, S, W)
#: side facing each side
OPPOSITE: tuple[int, ...] = (S, W, N, E)
#: ``(dx, dy)`` of the neighbour on each side; y grows southwards
SIDE_DELTA: tuple[tuple[int, int], ...] = ((0, -1), (1, 0), (0, 1), (-1, 0))

#: edge input buses, in the order the simulators and the RTL list them
INPUT_BUSES: tuple[str, ...] = ("west_in", "east_in", "north_in", "south_in")
#: edge output buses, same order
OUTPUT_BUSES: tuple[str, ...] = ("west_out", "east_out", "north_out", "south_out")
BUSES: tuple[str, ...] = INPUT_BUSES + OUTPUT_BUSES
#: the fabric side each bus is on: an ``*_in`` bit enters its border cell on that
#: input side, an ``*_out`` bit is the border cell's output register of that side
BUS_SIDE: dict[str, int] = {"west_in": W, "east_in": E, "north_in": N, "south_in": S,
                            "west_out": W, "east_out": E, "north_out": N, "south_out": S}


def bus_width(bus: str, width: int, height: int) -> int:
    """Bits of edge bus ``bus`` on a ``width`` x ``height`` logical fabric: H for
    west/east, W for north/south. Raises ``ValueError`` naming an unknown bus."""
    side = BUS_SIDE.get(bus)
    if side is None:
        raise ValueError(f"unknown bus {bus!r}; buses are {BUSES}")
    return height if side in (E, W) else width


def manhattan(a: Cell, b: Cell) -> int:
    """Manhattan distance in cells."""
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


def backward_hops(src: Cell, dst: Cell) -> int:
    """Hops west or north on the way from ``src`` to ``dst``: each costs 2 cycles of
    lag (DESIGN §3)."""
    return max(0, src[0] - dst[0]) + max(0, src[1] - dst[1])


def hop_lag(side: int) -> int:
    """Change of lag (cycles) of one hop towards ``side``: 0 east/south, 2 west/north."""
    dx, dy = SIDE_DELTA[side]
    return 1 - dx - dy


@dataclass(frozen=True)
class Arch:
    """The logical fabric of ``width`` x ``height`` cells as seen by the compiler and
    the simulators (laws in the module docstring). Cells are ``(x, y)``, x west→east,
    y north→south; times are cycles."""

    width: int
    height: int
    #: output registers per cell, one per side
    REGS_PER_CELL: ClassVar[int] = 4

    # ------------------------------------------------------------------ cells
    def in_grid(self, cell: Cell) -> bool:
        """True when ``cell`` is on the fabric."""
        return 0 <= cell[0] < self.width and 0 <= cell[1] < self.height

    def neighbour(self, cell: Cell, side: int) -> Cell | None:
        """The cell next to ``cell`` on ``side``, or ``None`` past the edge."""
        dx, dy = SIDE_DELTA[side]
        nb = (cell[0] + dx, cell[1] + dy)
        return nb if self.in_grid(nb) else None

    def neighbours(self, cell: Cell) -> list[Cell]:
        """The in-grid neighbours of ``cell``, in side order N, E, S, W."""
        out = []
        for side in SIDES:
            nb = self.neighbour(cell, side)
            if nb is not None:
                out.append(nb)
        return out

    # ------------------------------------------------------------------ registers
    @property
    def reg_shape(self) -> tuple[int, int, int]:
        """Shape ``(H, W, 4)`` of a per-register array; register ids are its flat indices."""
        return (self.height, self.width, self.REGS_PER_CELL)

    @property
    def n_regs(self) -> int:
        """Number of output registers of the fabric."""
        return self.REGS_PER_CELL * self.width * self.height

    def reg(self, x: int, y: int, side: int) -> int:
        """Id of the output register of cell ``(x, y)`` on ``side``."""
        return self.REGS_PER_CELL * (y * self.width + x) + side

    def reg_loc(self, reg: int) -> tuple[int, int, int]:
        """``(x, y, side)`` of register id ``reg`` (inverse of :meth:`reg`)."""
        c, side = divmod(reg, self.REGS_PER_CELL)
        y, x = divmod(c, self.width)
        return x, y, side

    def feeder(self, x: int, y: int, side: int) -> int | None:
        """Register that input ``side`` of cell ``(x, y)`` reads, or ``None`` when that
        input is an edge input port (past the edge)."""
        nb = self.neighbour((x, y), side)
        return None if nb is None else self.reg(nb[0], nb[1], OPPOSITE[side])

    # ------------------------------------------------------------------ edge ports
    def bus_width(self, bus: str) -> int:
        """Bits of edge bus ``bus`` (:func:`bus_width`)."""
        return bus_width(bus, self.width, self.height)

    def port_cell(self, bus: str, index: int) -> Cell:
        """The border cell that port bit ``bus[index]`` feeds (``*_in``) or reads
        (``*_out``)."""
        side = BUS_SIDE[bus]
        if side == W:
            return (0, index)
        if side == E:
            return (self.width - 1, index)
        if side == N:
            return (index, 0)
        return (index, self.height - 1)

    def port_reg(self, bus: str, index: int) -> int:
        """Register id that output port bit ``bus[index]`` shows."""
        x, y = self.port_cell(bus, index)
        return self.reg(x, y, BUS_SIDE[bus])

    def ports(self, buses: tuple[str, ...] | list[str]) -> list[Port]:
        """Every port bit of ``buses``, bus by bus in the given order, bits ascending."""
        return [(b, i) for b in buses for i in range(self.bus_width(b))]

    # ------------------------------------------------------------------ distance laws
    @staticmethod
    def min_hops(src: Cell, src_is_port: bool, dst: Cell, dst_is_port: bool) -> int:
        """Least number of cell-to-cell steps of a route from a driver at ``src`` (or
        the entry cell of its input port) to a sink at ``dst`` (or the cell of its
        output port): the Manhattan distance, plus one step for each port; 2 for a
        cluster reading a cluster in its own cell (out to a neighbour and back)."""
        d = manhattan(src, dst) + int(src_is_port) + int(dst_is_port)
        return 2 if d == 0 else d

    def side_hops(self, src: Cell, port_side: int, cell: Cell, side: int) -> int | None:
        """Least route length (cycles from driver to sink compute) into ``cell`` on
        input ``side``.

        ``src`` is the driver's cell, or the entry cell of its edge input port, in
        which case ``port_side`` is the side the port enters on (``-1`` for a LUT
        driver). ``None`` when the side leads off the fabric (unless the port enters
        right there). The route ends in the neighbour's register facing ``cell`` one
        cycle before the sink computes, hence ``dist(src, neighbour) + 1`` (+ 1 for the
        port's own hop).
        """
        nb = self.neighbour(cell, side)
        if nb is None:
            return 1 if port_side == side and src == cell else None
        return manhattan(src, nb) + 1 + int(port_side >= 0)

    # ------------------------------------------------------------------ the lag law
    @staticmethod
    def lag(t: int, cell: Cell) -> int:
        """Lag ``t - (x + y)`` of a signal at ``cell`` in cycle ``t`` (DESIGN §3)."""
        return t - (cell[0] + cell[1])

    @staticmethod
    def time_of(lag: int, cell: Cell) -> int:
        """Cycle at which a signal of lag ``lag`` is at ``cell`` (inverse of :meth:`lag`)."""
        return lag + cell[0] + cell[1]

    @staticmethod
    def phase(t: int, cell: Cell) -> int:
        """Parity class ``(t - (x + y)) mod 2``: constant along any path (DESIGN §3)."""
        return (t - (cell[0] + cell[1])) & 1


@lru_cache(maxsize=64)
def arch_of(width: int, height: int) -> Arch:
    """The (shared, immutable) :class:`Arch` of a ``width`` x ``height`` fabric."""
    return Arch(width, height)
