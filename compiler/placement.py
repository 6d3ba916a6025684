"""The placement: clusters on cells, token bits on edge ports, and a cycle for each.

Model (DESIGN §1-§3, ARCHITECTURE §1). A cluster (see :mod:`compiler.pack`) sits in
one cell ``(x, y)`` and computes at cycle ``t`` (token-relative: its output registers
hold the value of token ``n`` during cycle ``n + t``); its inputs must be on distinct
input sides of the cell at ``t - 1``. An input bit on an edge port at offset ``o``
behaves like a register just outside the fabric at time ``o``; an output bit at
offset ``o`` is the border cell's outward register at time ``o``.

For every edge ``driver -(k tokens)-> sink`` the route has ``hops = T_sink - t_driver
+ k`` cell-to-cell steps, where ``T_sink`` is the sink cluster's cycle (or an output's
offset + 1). :meth:`fabric.arch.Arch.min_hops` is the least possible value (Manhattan
distance through the entry/exit cells; 2 for a cluster reading a cluster in its own
cell) and ``hops`` must have its parity (DESIGN §3): :func:`compiler.schedule.schedule`
guarantees both, the router then builds routes of exactly that length.
:func:`assign_sides` gives each input of a cluster its own side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import permutations

from compiler.errors import FitError
from compiler.pack import Packed
from fabric.arch import BUS_SIDE, Arch, Cell, Port, arch_of

#: one input of a cluster for :func:`assign_sides`: (ready, src cell, port side);
#: ``ready = t_driver - k`` or ``None`` for an input whose time is still free
Req = tuple[int | None, Cell, int]


def assign_sides(reqs: list[Req], cell: Cell, arch: Arch
                 ) -> tuple[int | None, tuple[int, ...]] | None:
    """Earliest compute cycle of a cluster on ``cell`` and the input side of each input.

    Every input needs its own side (DESIGN §1); input ``i`` on side ``s`` is ready at
    ``ready_i + side_hops``. Returns ``(T, sides)`` minimising ``T`` (then the total
    route length), ``T = None`` when no input has a fixed time, or ``None`` when the
    cell has too few usable sides.
    """
    n = len(reqs)
    table = [[arch.side_hops(src, ps, cell, s) for s in range(4)] for _, src, ps in reqs]
    best: tuple[tuple[int, int], int | None, tuple[int, ...]] | None = None
    for perm in permutations(range(4), n):
        tmax: int | None = None
        tot = 0
        ok = True
        for i, s in enumerate(perm):
            hp = table[i][s]
            if hp is None:
                ok = False
                break
            tot += hp
            r = reqs[i][0]
            if r is not None:
                tmax = r + hp if tmax is None else max(tmax, r + hp)
        if not ok:
            continue
        key = (tmax if tmax is not None else -(1 << 30), tot)
        if best is None or key < best[0]:
            best = (key, tmax, perm)
    if best is None:
        return None
    return best[1], best[2]


@dataclass
class Placement:
    """Where and when everything happens.

    ``cell[c]``/``time[c]``: cell and compute cycle of cluster ``c``.
    ``in_port[d]``/``in_time[d]``: edge port and offset of input driver ``d``.
    ``arch`` is the fabric's :class:`~fabric.arch.Arch` (ports, sides, distances).
    ``out_port[i]``/``out_time[i]``: edge port and offset of output bit ``i`` (of
    ``packed.outputs``). Times are normalised: the smallest input offset is 0.
    """

    width: int
    height: int
    packed: Packed
    cell: list[Cell]
    time: list[int]
    in_port: dict[int, Port]
    in_time: dict[int, int]
    out_port: list[Port]
    out_time: list[int]
    seed: int = 0
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def arch(self) -> Arch:
        """The :class:`~fabric.arch.Arch` of the ``width`` x ``height`` fabric."""
        return arch_of(self.width, self.height)

    @property
    def latency(self) -> int:
        """Largest output offset (cycles), 0 without outputs."""
        return max(self.out_time, default=0)

    def driver_loc(self, d: int) -> tuple[Cell, bool, int]:
        """(cell, is_port, time) of a driver (cluster LUT or input bit)."""
        p = self.packed
        if d in p.cluster_of:
            c = p.cluster_of[d]
            return self.cell[c], False, self.time[c]
        port, idx = self.in_port[d]
        return self.arch.port_cell(port, idx), True, self.in_time[d]

    def shift_times(self) -> int:
        """Shift every cycle (clusters, inputs, outputs) so that the earliest offset of
        an input bit that something reads is 0 (without any, the earliest cluster);
        unread input bits get offset 0. Returns the shift subtracted (cycles)."""
        p = self.packed
        live = [self.in_time[d] for d in self.in_port if p.sinks.get(d)]
        shift = min(live) if live else min(self.time, default=0)
        self.time = [t - shift for t in self.time]
        self.in_time = {d: (t - shift if p.sinks.get(d) else 0)
                        for d, t in self.in_time.items()}
        self.out_time = [t - shift for t in self.out_time]
        return shift

    def park_constant_outputs(self) -> None:
        """Give every constant output bit the latency: the largest offset of an output
        that a driver feeds (at least 1)."""
        p = self.packed
        top = max((self.out_time[i] for i, o in enumerate(p.outputs) if o.ref is not None),
                  default=1)
        for i, o in enumerate(p.outputs):
            if o.ref is None:
                self.out_time[i] = max(top, 1)

    def sink_loc(self, kind: str, idx: int) -> tuple[Cell, bool, int]:
        """(cell, is_port, T) of a sink: cluster (T = its cycle) or output (offset+1)."""
        if kind == "c":
            return self.cell[idx], False, self.time[idx]
        port, pi = self.out_port[idx]
        return self.arch.port_cell(port, pi), True, self.out_time[idx] + 1

    def reqs(self, ci: int, in_times: dict[int, int] | None) -> list[Req]:
        """:data:`Req` list of cluster ``ci``'s inputs; input bits are ready at
        ``in_times[d] - k`` (or free when ``in_times`` is ``None``)."""
        out: list[Req] = []
        for d, k in self.packed.clusters[ci].inputs:
            if d in self.packed.cluster_of:
                u = self.packed.cluster_of[d]
                out.append((self.time[u] - k, self.cell[u], -1))
            else:
                port, idx = self.in_port[d]
                pc = self.arch.port_cell(port, idx)
                r = None if in_times is None else in_times[d] - k
                out.append((r, pc, BUS_SIDE[port]))
        return out

    def plan(self, ci: int, in_times: dict[int, int] | None
             ) -> tuple[int | None, tuple[int, ...]]:
        """:func:`assign_sides` for cluster ``ci`` on its cell (raises if impossible)."""
        res = assign_sides(self.reqs(ci, in_times), self.cell[ci], self.arch)
        if res is None:
            raise FitError(f"cluster {ci} on {self.cell[ci]} has too few input sides")
        return res


def _as_shape(shape: object) -> tuple[int, int]:
    if shape is None:
        raise ValueError("fabric shape required")
    if hasattr(shape, "width") and hasattr(shape, "height"):
        return int(shape.width), int(shape.height)  # type: ignore[attr-defined]
    w, h = shape  # type: ignore[misc]
    return int(w), int(h)
