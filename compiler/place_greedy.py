"""Greedy wavefront placement on a fabric of given size (:func:`place`).

Placement is a greedy list placement in topological order ("wavefront"): each
cluster goes to the free cell, near its already placed drivers, that minimises the
cycles its input routes take (including padding) plus a small penalty on lag
``t - x - y`` (keeps data moving east/south, DESIGN §3) and on crowding.
Deterministic for a fixed seed: all choices break ties by coordinates.
"""

from __future__ import annotations

import numpy as np

from compiler.errors import FitError
from compiler.pack import Packed
from compiler.placement import Placement, Req, _as_shape, assign_sides
from compiler.ports import _assign_outputs
from compiler.schedule import schedule
from fabric.arch import BUS_SIDE, Arch, Cell, E, Port, W, arch_of, backward_hops, manhattan


class _Placer:
    """Greedy wavefront list placement on a ``width`` x ``height`` canvas."""

    def __init__(self, packed: Packed, width: int, height: int, seed: int,
                 in_edges: tuple[str, ...], lag_weight: float = 0.5,
                 crowd_weight: float = 0.3, spacing: int = 1) -> None:
        self.p = packed
        self.w, self.h = width, height
        self.arch = arch_of(width, height)
        self.rng = np.random.default_rng(seed)
        self.in_edges = in_edges
        self.lag_weight = lag_weight
        self.crowd_weight = crowd_weight
        self.occ = np.zeros((height, width), dtype=bool)
        #: expected output registers each cell must give: its own LUTs plus one per
        #: input of a neighbouring cluster (spread over that cluster's sides)
        self.demand = np.zeros((height, width), dtype=np.float64)
        self.cap = 2.0
        self.spacing = spacing
        #: keep the border ring free for edge-port traffic (when the fabric allows)
        self.inset = width >= 3 and height >= 3 and len(packed.clusters) * spacing ** 2 <= (
            width - 2) * (height - 2) // 2
        # border registers facing out are only good for outputs
        self.demand[0, :] += 1
        self.demand[-1, :] += 1
        self.demand[:, 0] += 1
        self.demand[:, -1] += 1
        self.cell: list[Cell] = [(-1, -1)] * len(packed.clusters)
        self.time: list[int] = [0] * len(packed.clusters)
        self.in_port: dict[int, Port] = {}
        self.in_need: dict[int, int] = {}     # input driver -> earliest time needed
        self.in_sinks: dict[int, int] = {}
        self.free_in: set[Port] = set()
        self.free_in.update(self.arch.ports(in_edges))
        self.border_order = sorted(((x, y) for y in range(height) for x in range(width)),
                                   key=lambda c: (min(c), c[0] + c[1], c[1]))
        self.border_ptr = 0
        self.jitter = self.rng.random(len(packed.clusters)) * 1e-3

    # -- geometry
    def neighbours_in_grid(self, c: Cell) -> int:
        x, y = c
        return (x > 0) + (x < self.w - 1) + (y > 0) + (y < self.h - 1)

    def crowd(self, c: Cell) -> int:
        return sum(1 for x, y in self.arch.neighbours(c) if self.occ[y, x])

    def nearest_free_port(self, c: Cell) -> Port | None:
        best = None
        for port in sorted(self.free_in):
            pc = self.arch.port_cell(port[0], port[1])
            key = (manhattan(pc, c) + 2 * backward_hops(pc, c) + 3 * self.demand[pc[1], pc[0]],
                   port)
            if best is None or key < best[0]:
                best = (key, port)
        return None if best is None else best[1]

    def port_dist(self, c: Cell) -> int:
        """Route length from the nearest allowed input edge straight to ``c`` (cycles)."""
        def straight(bus: str) -> Cell:      # the port bit on c's row or column
            return self.arch.port_cell(bus, c[1] if BUS_SIDE[bus] in (E, W) else c[0])

        return min(manhattan(straight(e), c) for e in self.in_edges) + 1

    # -- candidates
    def nbrs(self, c: Cell) -> list[Cell]:
        return self.arch.neighbours(c)

    def legal(self, c: Cell, n_luts: int, n_in: int) -> bool:
        """Free, enough in-grid sides, and no cell asked for more than ``cap``
        registers."""
        if self.occ[c[1], c[0]]:
            return False
        if self.inset and not (0 < c[0] < self.w - 1 and 0 < c[1] < self.h - 1):
            return False
        if self.spacing > 1 and (c[0] % self.spacing != 1 or c[1] % self.spacing != 1):
            return False
        nb = self.nbrs(c)
        if len(nb) < n_in:
            return False
        if self.demand[c[1], c[0]] + n_luts > self.cap:
            return False
        share = n_in / len(nb)
        return all(self.demand[y, x] + share <= self.cap for x, y in nb)

    def commit(self, c: Cell, n_luts: int, n_in: int) -> None:
        self.occ[c[1], c[0]] = True
        self.demand[c[1], c[0]] += n_luts
        nb = self.nbrs(c)
        for x, y in nb:
            self.demand[y, x] += n_in / len(nb)

    def candidates(self, anchors: list[Cell], n_luts: int, n_in: int) -> list[Cell]:
        if not anchors:
            out = []
            i = self.border_ptr
            while i < len(self.border_order) and len(out) < 12:
                c = self.border_order[i]
                if self.legal(c, n_luts, n_in):
                    out.append(c)
                elif not out and self.occ[c[1], c[0]]:
                    self.border_ptr = i + 1
                i += 1
            if out:
                return out
            anchors = [(0, 0)]
        r = 2
        limit = self.w + self.h
        while True:
            found: set[Cell] = set()
            for ax, ay in anchors:
                for dx in range(-r, r + 1):
                    rem = r - abs(dx)
                    x = ax + dx
                    if not 0 <= x < self.w:
                        continue
                    for y in range(max(0, ay - rem), min(self.h - 1, ay + rem) + 1):
                        if (x, y) not in found and self.legal((x, y), n_luts, n_in):
                            found.add((x, y))
            if len(found) >= 6 or r > limit:
                return sorted(found)
            r *= 2

    def place_all(self) -> None:
        p = self.p
        for c in p.clusters:
            ins = c.inputs
            lut_preds = [(p.cluster_of[d], k) for d, k in ins if d in p.cluster_of]
            in_preds = [(d, k) for d, k in ins if d not in p.cluster_of]
            anchors = [self.cell[u] for u, _ in lut_preds]
            for d, _ in in_preds:
                if d in self.in_port:
                    anchors.append(self.arch.port_cell(*self.in_port[d]))
            anchors = sorted(set(anchors))
            cands = self.candidates(anchors, len(c.luts), len(ins))
            if not cands:
                raise FitError(
                    f"placement: no free cell for cluster {c.index} of "
                    f"{len(p.clusters)}; the program needs at least {len(p.clusters)} cells "
                    f"and the fabric has {self.w * self.h}",
                    needed=len(p.clusters), available=self.w * self.h)
            phase = p.phase[c.luts[0]]
            best = None
            for cell in cands:
                cost, t = self.evaluate(cell, phase, lut_preds, in_preds, len(ins))
                if cost is None:
                    continue
                key = (cost + self.jitter[c.index], cell)
                if best is None or key < best[0]:
                    best = (key, cell, t)
            if best is None:
                raise FitError(
                    f"placement: no cell with room left for cluster {c.index} of "
                    f"{len(p.clusters)}; the fabric {self.w}x{self.h} is too small",
                    needed=len(p.clusters), available=self.w * self.h)
            _, cell, t = best
            self.cell[c.index] = cell
            self.time[c.index] = t
            self.commit(cell, len(c.luts), len(ins))
            for d, k in in_preds:
                if d not in self.in_port:
                    port = self.nearest_free_port(cell)
                    if port is None:
                        raise FitError(f"placement: no free edge input port left for input "
                                       f"bit (driver {d}); the fabric {self.w}x{self.h} has "
                                       f"too few ports on {', '.join(self.in_edges)}")
                    self.free_in.discard(port)
                    self.in_port[d] = port
                    pc = self.arch.port_cell(port[0], port[1])
                    self.demand[pc[1], pc[0]] += 1
                need = t + k - self._port_hops(d, cell, len(ins))
                self.in_need[d] = min(self.in_need.get(d, need), need)
                self.in_sinks[d] = self.in_sinks.get(d, 0) + 1

    def _port_hops(self, d: int, cell: Cell, n_in: int) -> int:
        """Route length from input ``d``'s port to ``cell`` (best side; approximate)."""
        port, idx = self.in_port[d]
        pc = self.arch.port_cell(port, idx)
        hs = [self.arch.side_hops(pc, BUS_SIDE[port], cell, s) for s in range(4)]
        return min(h for h in hs if h is not None)

    def evaluate(self, cell: Cell, phase: int, lut_preds: list[tuple[int, int]],
                 in_preds: list[tuple[int, int]], n_inputs: int
                 ) -> tuple[float | None, int]:
        """Cost of putting a cluster on ``cell`` and its earliest cycle there."""
        x, y = cell
        reqs: list[Req] = [(self.time[u] - k, self.cell[u], -1) for u, k in lut_preds]
        for d, _k in in_preds:
            if d in self.in_port:
                port, idx = self.in_port[d]
                reqs.append((None, self.arch.port_cell(port, idx), BUS_SIDE[port]))
            else:
                reqs.append((None, cell, -1))
        plan = assign_sides(reqs, cell, self.arch)
        if plan is None:
            return None, 0
        t, sides = plan
        if t is None:
            base = Arch.time_of(1, cell)
            t = base + ((phase - Arch.lag(base, cell)) & 1)
        cost = 0.0
        for u, k in lut_preds:
            cost += t - self.time[u] + k
        for j, (d, k) in enumerate(in_preds):
            if d in self.in_port:
                port, idx = self.in_port[d]
                pc = self.arch.port_cell(port, idx)
                hops = self.arch.side_hops(pc, BUS_SIDE[port], cell, sides[len(lut_preds) + j])
                assert hops is not None
                need = t + k - hops
                have = self.in_need[d]
                if need >= have:
                    cost += hops + (need - have) * 0.5
                else:
                    cost += hops + (have - need) * self.in_sinks[d] * 0.5
            else:
                cost += self.port_dist(cell)
        cost += self.lag_weight * Arch.lag(t, cell)
        cost += self.crowd_weight * self.crowd(cell)
        return cost, t


def place(nl_or_packed: object, fabric_shape: object = None, seed: int = 0, *,
          auto: bool = False, lag_weight: float = 0.5, crowd_weight: float = 0.3,
          margin: int = 2, spacing: int = 1) -> Placement:
    """Place and schedule a netlist (or a :class:`~compiler.pack.Packed`).

    ``fabric_shape`` is ``(width, height)`` or a :class:`fabric.geometry.FabricShape`.
    With ``auto=True`` the shape is a canvas: inputs enter on the west and north
    edges, the placed region is cropped (plus ``margin`` cells east and south for
    routing) and outputs leave on its east and south edges. Raises
    :class:`~compiler.errors.FitError` when clusters or ports do not fit.
    """
    from compiler.pack import pack

    packed = nl_or_packed if isinstance(nl_or_packed, Packed) else pack(nl_or_packed)
    width, height = _as_shape(fabric_shape)
    ncl = len(packed.clusters)
    n_in = len(packed.inputs)
    n_out = len(packed.outputs)
    if ncl > width * height:
        raise FitError(f"the program needs at least {ncl} cells (one per LUT cluster) but "
                       f"the fabric has {width}x{height} = {width * height}",
                       needed=ncl, available=width * height)
    ports = 2 * (width + height)
    if n_in > ports or n_out > ports:
        raise FitError(f"the program has {n_in} input and {n_out} output bits but a "
                       f"{width}x{height} fabric has {ports} edge ports each way")
    edges = ("west_in", "north_in") if auto or n_in <= width + height else (
        "west_in", "north_in", "east_in", "south_in")
    pl_ = _Placer(packed, width, height, seed, edges, lag_weight, crowd_weight, spacing)
    pl_.place_all()
    if auto:
        xs = [c[0] for c in pl_.cell] + [0]
        ys = [c[1] for c in pl_.cell] + [0]
        for port, idx in pl_.in_port.values():
            if port == "north_in":
                xs.append(idx)
            else:
                ys.append(idx)
        width = max(xs) + 1 + margin
        height = max(ys) + 1 + margin
        while width + height < n_out:
            width += 1
            height += 1
    # dead inputs get any free input port
    arch = arch_of(width, height)
    free_in = sorted(p for p in pl_.free_in if p[1] < arch.bus_width(p[0]))
    free_in.extend(arch.ports([e for e in ("east_in", "south_in") if e not in edges]))
    in_port = dict(pl_.in_port)
    for _, _, d in packed.inputs:
        if d not in in_port:
            if not free_in:
                raise FitError(f"no edge input port left for {n_in} input bits on a "
                               f"{width}x{height} fabric")
            in_port[d] = free_in.pop(0)
    pl = Placement(width, height, packed, pl_.cell, pl_.time, in_port, {}, [], [], seed)
    pl.out_port = _assign_outputs(pl, auto)
    schedule(pl)
    return pl
