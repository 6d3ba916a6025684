"""Placement and scheduling: clusters to cells, token bits to edge ports, cycles to all.

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
cell) and ``hops``
must have its parity (DESIGN §3): :func:`schedule` guarantees both, the router then
builds routes of exactly that length.

Placement is a greedy list placement in topological order ("wavefront"): each
cluster goes to the free cell, near its already placed drivers, that minimises the
cycles its input routes take (including padding) plus a small penalty on lag
``t - x - y`` (keeps data moving east/south, DESIGN §3) and on crowding.
Deterministic for a fixed seed: all choices break ties by coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import permutations

import numpy as np

from compiler.errors import FitError
from compiler.pack import Cluster, MLut, Packed
from fabric.arch import BUS_SIDE, Arch, Cell, Port, arch_of, backward_hops, manhattan

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
        x, y = c
        ds = []
        if "west_in" in self.in_edges:
            ds.append(x)
        if "north_in" in self.in_edges:
            ds.append(y)
        if "east_in" in self.in_edges:
            ds.append(self.w - 1 - x)
        if "south_in" in self.in_edges:
            ds.append(self.h - 1 - y)
        return min(ds) + 1

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


def schedule(pl: Placement, slack: int = 0) -> None:
    """Assign every cycle of ``pl`` (clusters, input and output offsets), in place.

    Clusters are scheduled as soon as possible given the placement, each input on
    its own side (:func:`assign_sides`, so a LUT whose inputs all come from one
    quadrant waits for the detours to its far sides), plus ``slack`` extra cycles
    (rounded to even) per cluster for the router to negotiate with. Input offsets
    are as late as possible (each input bit's offset is the tightest of its
    readers); clusters whose every reader has slack are pushed later when that
    shortens more routes than it lengthens. Times are then normalised (smallest
    input offset 0), output offsets made non-negative (by whole detours of 2
    cycles), and constant outputs put at the latency.
    """
    p = pl.packed
    arch = pl.arch
    nclu = len(p.clusters)
    in_ids = sorted(pl.in_port)
    slack -= slack & 1

    def in_cell(d: int) -> Cell:
        return arch.port_cell(*pl.in_port[d])

    in0 = {}
    for d in in_ids:
        c = in_cell(d)
        in0[d] = Arch.time_of(p.phase.get(d, 0), c) & 1
    pl.time = [0] * nclu
    t = pl.time
    for c in p.clusters:
        tt, _ = pl.plan(c.index, in0)
        if tt is None:
            raise AssertionError("cluster without inputs")
        t[c.index] = tt + slack

    # push clusters later where every reader has slack and readers outnumber inputs
    readers: dict[int, list[int]] = {}
    for c in p.clusters:
        for d, _k in c.inputs:
            if d in p.cluster_of:
                readers.setdefault(p.cluster_of[d], []).append(c.index)
    out_readers: set[int] = {p.cluster_of[o.ref[0]] for o in p.outputs
                             if o.ref is not None and o.ref[0] in p.cluster_of}
    for _ in range(2):
        for c in reversed(p.clusters):
            ci = c.index
            rd = sorted(set(readers.get(ci, [])))
            if not rd or ci in out_readers or len(rd) <= len(c.inputs):
                continue
            for _step in range(8):
                t[ci] += 2
                if any((pl.plan(v, in0)[0] or 0) > t[v] for v in rd):
                    t[ci] -= 2
                    break

    _retime_relays(pl, in0, slack)
    t = pl.time
    it: dict[int, int] = {}
    for c in p.clusters:
        _, sides = pl.plan(c.index, in0)
        for (d, k), sd in zip(c.inputs, sides, strict=True):
            if d in p.cluster_of:
                continue
            hops = arch.side_hops(in_cell(d), BUS_SIDE[pl.in_port[d][0]], pl.cell[c.index], sd)
            assert hops is not None
            v = t[c.index] + k - hops - slack
            it[d] = min(it.get(d, v), v)
    for d in in_ids:
        it.setdefault(d, in0[d])
    ot: list[int] = []
    for i, o in enumerate(p.outputs):
        if o.ref is None:
            ot.append(0)
            continue
        d, k = o.ref
        if d in p.cluster_of:
            cell, is_port, ts = pl.cell[p.cluster_of[d]], False, t[p.cluster_of[d]]
        else:
            cell, is_port, ts = in_cell(d), True, it[d]
        oc = arch.port_cell(*pl.out_port[i])
        ot.append(ts + Arch.min_hops(cell, is_port, oc, True) - k - 1 + slack)
    pl.time, pl.in_time, pl.out_time = t, it, ot
    pl.shift_times()
    for i, o in enumerate(p.outputs):
        v = pl.out_time[i]
        if o.ref is not None and v < 0:
            pl.out_time[i] = v + (-v + (v & 1))
    pl.park_constant_outputs()


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


def _assign_outputs(pl: Placement, auto: bool) -> list[Port]:
    """Nearest free edge output port for every output bit (east/south first)."""
    w, h = pl.width, pl.height
    arch = pl.arch
    p = pl.packed
    main = ["east_out", "south_out"]
    rest = ["west_out", "north_out"]
    free: list[Port] = arch.ports(main + rest)
    free_set = set(free)
    res: list[Port | None] = [None] * len(p.outputs)
    order = []
    for i, o in enumerate(p.outputs):
        if o.ref is None:
            continue
        d = o.ref[0]
        if d in p.cluster_of:
            cell = pl.cell[p.cluster_of[d]]
        else:
            cell = arch.port_cell(*pl.in_port[d])
        order.append((min(w - 1 - cell[0], h - 1 - cell[1]), i, cell))
    order.sort()
    for _, i, cell in order:
        best = None
        for port in (free if not auto else free):
            if port not in free_set:
                continue
            pc = arch.port_cell(port[0], port[1])
            pen = 0 if port[0] in main else 2 * (w + h)
            key = (manhattan(pc, cell) + 2 * backward_hops(cell, pc) + pen, port)
            if best is None or key < best[0]:
                best = (key, port)
        if best is None:
            raise FitError(f"no edge output port left for {len(p.outputs)} output bits on a "
                           f"{w}x{h} fabric")
        res[i] = best[1]
        free_set.discard(best[1])
    for i, o in enumerate(p.outputs):
        if o.ref is None:
            port = next((q for q in free if q in free_set), None)
            if port is None:
                raise FitError(f"no edge output port left for {len(p.outputs)} output bits "
                               f"on a {w}x{h} fabric")
            res[i] = port
            free_set.discard(port)
    return [r for r in res if r is not None]


def _levels(packed: Packed) -> tuple[dict[int, int], list[list[int]]]:
    """ASAP level of every cluster (1 = reads only token inputs) and the clusters of
    each level, in index order."""
    p = packed
    depth: dict[int, int] = {}
    for c in p.clusters:
        lv = 1
        for d, _k in c.inputs:
            if d in p.cluster_of:
                lv = max(lv, depth[p.cluster_of[d]] + 1)
        depth[c.index] = lv
    nlev = max(depth.values(), default=0)
    levels: list[list[int]] = [[] for _ in range(nlev + 1)]
    for ci, lv in depth.items():
        levels[lv].append(ci)
    return depth, levels


def layered_shape(packed: Packed, gap: int = 2, row_step: int = 2) -> tuple[int, int]:
    """Fabric size that :func:`place_layered` needs for ``packed`` (after relays)."""
    _, levels = _levels(packed)
    nlev = len(levels) - 1
    rows = max([row_step * len(lv) + 1 for lv in levels]
               + [row_step * len(packed.inputs) // 2 + 2, len(packed.outputs) // 2 + 2, 3])
    rows += row_step + 1          # room for detours (delay lines, fan-out trees)
    width = 1 + (gap + 1) * nlev + gap + 1
    while width + rows < len(packed.outputs) + 2:
        width += 1
    return width, rows


def place_layered(packed: Packed, fabric_shape: object = None, seed: int = 0, *,
                  gap: int = 2, row_step: int = 2, slack: int = 2,
                  relays: bool = True, feeds: bool = False) -> Placement:
    """Levelised band placement ("layered drawing"), routable by spacing.

    Level ``l`` (ASAP depth of the cluster) occupies column ``(gap + 1) * l``; columns
    in between are routing channels of ``gap`` cells. Within a level clusters sit on
    every ``row_step``-th row, ordered by the barycentre of their drivers' rows so
    that nets run mostly east (DESIGN §3: east/south hops keep the lag). With
    ``relays`` nets that skip levels are split by identity LUTs (:func:`add_relays`,
    Sugiyama's dummy nodes), so every route crosses one channel. Token inputs enter
    on the west edge, two rows apart where the height allows (north edge for the
    rest); outputs leave on the east/south edges. The schedule (:func:`schedule`)
    adds ``slack`` cycles per cluster for the router and spreads relay delays.

    Without ``fabric_shape`` the fabric is :func:`layered_shape`; with it the layout
    must fit (else :class:`FitError`). Deterministic: no random choice is made
    (``seed`` is recorded only).
    """
    p = add_relays(packed, inputs=not feeds) if relays else packed
    need_w, need_h = layered_shape(p, gap, row_step)
    if fabric_shape is None:
        width, height = need_w, need_h
    else:
        width, height = _as_shape(fabric_shape)
        ncl = len(p.clusters)
        if ncl > width * height:
            raise FitError(f"the program needs at least {ncl} cells (one per LUT cluster) "
                           f"but the fabric has {width}x{height} = {width * height}",
                           needed=ncl, available=width * height)
        if width < need_w or height < need_h:
            raise FitError(f"the layered layout needs a {need_w}x{need_h} fabric, the "
                           f"fabric is {width}x{height}", needed=need_w * need_h,
                           available=width * height)
    _, levels = _levels(p)
    in_port: dict[int, Port] = {}
    ins = [d for _, _, d in p.inputs]
    live = [d for d in ins if p.sinks.get(d)]
    dead = [d for d in ins if not p.sinks.get(d)]
    step = max(1, min(2, (height - 1) // max(1, len(live))))
    rows = list(range(1, height - 1, step)) if height >= 3 else list(range(height))
    rows += [y for y in range(height) if y not in rows]
    for i, d in enumerate(live):
        if i < len(rows):
            in_port[d] = ("west_in", rows[i])
        else:
            j = i - len(rows)
            if j >= width:
                raise FitError(f"no edge input port left for {len(ins)} input bits on a "
                               f"{width}x{height} fabric")
            in_port[d] = ("north_in", j)
    row_of: dict[int, float] = {d: float(arch_of(width, height).port_cell(*in_port[d])[1])
                                for d in live}
    cell: list[Cell] = [(-1, -1)] * len(p.clusters)
    slots = list(range(1, height - 1, row_step)) if height >= 3 else list(range(height))
    for lv in range(1, len(levels)):
        members = levels[lv]
        if len(members) > len(slots):
            raise FitError(f"level {lv} has {len(members)} clusters but only {len(slots)} "
                           f"rows on a {width}x{height} fabric",
                           needed=len(members) * row_step, available=height)
        bary = {}
        for ci in members:
            ys = [row_of[d] for d, _ in p.clusters[ci].inputs if d in row_of]
            bary[ci] = sum(ys) / len(ys) if ys else 0.0
        order = sorted(members, key=lambda ci: (bary[ci], ci))
        # monotone slot assignment close to the barycentres
        n, m = len(order), len(slots)
        idx: list[int] = []
        for i, ci in enumerate(order):
            want = min(range(m), key=lambda s: (abs(slots[s] - bary[ci]), s))
            lo = idx[-1] + 1 if idx else 0
            hi = m - (n - i)
            idx.append(min(max(want, lo), hi))
        x = (gap + 1) * lv
        for ci, s in zip(order, idx, strict=True):
            cell[ci] = (x, slots[s])
            for lut in p.clusters[ci].luts:
                row_of[lut] = float(slots[s])
    if feeds:
        p, in_port = split_feeds(p, cell, width, height)
        ins = [d for _, _, d in p.inputs]
        dead = [d for d in ins if d not in in_port]
    pl = Placement(width, height, p, cell, [0] * len(p.clusters), in_port, {}, [], [], seed)
    _finish_ports(pl, in_port, dead, len(ins), slack)
    pl.stats["layered"] = 1.0
    return pl


def _finish_ports(pl: Placement, in_port: dict, dead: list, n_inputs: int,
                  slack: int) -> None:
    """Give unread input bits the first free edge input ports (every declared input
    bit has a port), assign output ports and schedule with ``slack`` cycles."""
    used = set(in_port.values())
    free_in = [q for q in pl.arch.ports(("west_in", "north_in", "south_in", "east_in"))
               if q not in used]
    for d in dead:
        if not free_in:
            raise FitError(f"no edge input port left for {n_inputs} input bits on a "
                           f"{pl.width}x{pl.height} fabric")
        pl.in_port[d] = free_in.pop(0)
    pl.out_port = _assign_outputs(pl, True)
    schedule(pl, slack)


def add_relays(packed: Packed, inputs: bool = True) -> Packed:
    """Split every net that skips levels (Sugiyama's dummy nodes).

    A driver at level ``l`` (inputs: level 0) read by a cluster at level ``m > l + 1``
    gets a chain of identity LUTs ("relays", one cluster each) at levels ``l+1 ..
    m-1``; a reader at level ``m`` then reads the relay at level ``m - 1`` (same
    ``k``: a relay is the same stream). Outputs keep reading their driver. Returns a
    new :class:`Packed` (clusters renumbered in level order, ``relays`` set); the
    netlist function is unchanged.
    """
    p = packed
    depth, _ = _levels(p)
    lvl: dict[int, int] = {d: 0 for _, _, d in p.inputs}
    in_ids = set(lvl)
    for c in p.clusters:
        for lut in c.luts:
            lvl[lut] = depth[c.index]
    next_id = max([*lvl, *p.luts, 0]) + 1
    luts = dict(p.luts)
    relays: set[int] = set()
    chain: dict[tuple[int, int], int] = {}     # (driver, level) -> relay id at level
    rlevel: dict[int, int] = {}
    root: dict[int, int] = {}                  # relay -> original driver

    def at_level(d: int, m: int) -> int:
        """The stream of ``d`` as seen from level ``m`` (a relay at ``m - 1``)."""
        nonlocal next_id
        if lvl[d] >= m - 1 or (not inputs and d in in_ids):
            return d
        key = (d, m - 1)
        if key not in chain:
            src = at_level(d, m - 1)
            r = next_id
            next_id += 1
            luts[r] = MLut(r, ((src, 0),), 0b10)
            relays.add(r)
            root[r] = d
            rlevel[r] = m - 1
            lvl[r] = m - 1
            chain[key] = r
        return chain[key]

    new_inputs: list[tuple[tuple[int, int], ...]] = []
    for c in p.clusters:
        m = depth[c.index]
        refs = tuple(sorted((at_level(d, m), k) for d, k in c.inputs))
        new_inputs.append(refs)
    # each MLut's inputs stay in their order, aligned with its table (input i = bit i)
    for c in p.clusters:
        m = depth[c.index]
        for lut in c.luts:
            old = p.luts[lut]
            luts[lut] = MLut(lut, tuple((at_level(d, m), k) for d, k in old.inputs), old.table)
    groups: list[tuple[int, tuple[int, ...], tuple[tuple[int, int], ...]]] = []
    for c, refs in zip(p.clusters, new_inputs, strict=True):
        groups.append((depth[c.index], c.luts, refs))
    for r in sorted(relays):
        groups.append((rlevel[r], (r,), luts[r].inputs))
    groups.sort(key=lambda g: (g[0], g[1]))
    clusters = [Cluster(i, luts_, refs) for i, (_, luts_, refs) in enumerate(groups)]
    cluster_of = {lut: c.index for c in clusters for lut in c.luts}
    order = [lut for c in clusters for lut in c.luts]
    out = Packed(inputs=p.inputs, input_widths=p.input_widths, luts=luts, order=order,
                 clusters=clusters, cluster_of=cluster_of, outputs=p.outputs,
                 n_netlist_luts=p.n_netlist_luts, relays=relays)
    last: dict[int, int] = {}
    for c in p.clusters:
        for d, _k in c.inputs:
            last[d] = max(last.get(d, 0), depth[c.index])
    #: relay -> links left to the deepest reader of its chain (incl. its input link)
    out.relay_links = {r: last[root[r]] - rlevel[r] + 1 for r in relays}
    return out


def _retime_relays(pl: Placement, in_times: dict[int, int], cap: int) -> None:
    """Spread the slack of relay chains: each relay as late as its readers allow
    (ALAP, backward) but, going forward, only its share of the chain's remaining
    slack (at least ``cap``) after its own input is ready, so no single hop of a
    long net carries all the delay. Falls back to the previous times if any
    cluster would become infeasible."""
    p = pl.packed
    if not p.relays:
        return
    t = pl.time
    saved = list(t)
    readers: dict[int, list[int]] = {}
    for c in p.clusters:
        for d, _k in c.inputs:
            if d in p.cluster_of:
                readers.setdefault(p.cluster_of[d], []).append(c.index)
    rel = [c.index for c in p.clusters if c.luts[0] in p.relays]

    def ok(ci: int) -> bool:
        return all((pl.plan(v, in_times)[0] or 0) <= t[v] for v in set(readers.get(ci, [])))

    alap: dict[int, int] = {}
    for ci in reversed(rel):
        base = t[ci]
        lo, step = 0, 2
        while step <= 256:                 # exponential then binary search (even steps)
            t[ci] = base + lo + step
            if ok(ci):
                lo += step
                step *= 2
            else:
                break
        while step > 2:
            step //= 2
            t[ci] = base + lo + step
            if ok(ci):
                lo += step
        t[ci] = base + lo
        alap[ci] = t[ci]
    links = p.relay_links
    for ci in rel:
        asap, _ = pl.plan(ci, in_times)
        assert asap is not None
        asap = max(asap, saved[ci])
        share = (alap[ci] - asap) // max(1, links.get(p.clusters[ci].luts[0], 1))
        t[ci] = min(alap[ci], asap + max(cap, share - (share & 1)))
    if any((pl.plan(c.index, in_times)[0] or 0) > t[c.index] for c in p.clusters):
        pl.time = saved


def max_cut(packed: Packed) -> int:
    """Most drivers live across one level boundary (a lower bound on the rows that a
    west-to-east layout needs: each cell has one east-going register)."""
    depth, levels = _levels(packed)
    lvl = {d: 0 for _, _, d in packed.inputs}
    for c in packed.clusters:
        for lut in c.luts:
            lvl[lut] = depth[c.index]
    last: dict[int, int] = {}
    for c in packed.clusters:
        for d, _k in c.inputs:
            last[d] = max(last.get(d, 0), depth[c.index])
    cut = [0] * (len(levels) + 1)
    for d, m in last.items():
        for b in range(lvl[d], m):
            cut[b] += 1
    return max(cut, default=0)


def place_dominance(packed: Packed, fabric_shape: object = None, seed: int = 0, *,
                    col_step: int = 2, row_step: int = 2, band: int | None = None,
                    slack: int = 0, spread: float = 2.0) -> Placement:
    """Dominance placement: every net runs east and south only (DESIGN §3 lag law).

    Token inputs enter on the west edge, one per row from the top. Level ``l`` (ASAP
    depth) gets a band of ``band`` site columns (sites every ``col_step`` columns
    and ``row_step`` rows); a cluster takes the free site of its band on the
    highest row at or below all its drivers' rows. A driver is then always north-west
    of its readers, so a monotone route keeps the lag ``t - x - y``: the schedule
    needs no detours except 2 cycles for a cluster's third and fourth input (they
    enter from the east/south side) and the ``slack`` it adds for the router.
    Outputs leave on the east/south edges.

    Without ``fabric_shape`` the fabric is as large as the layout (plus spare rows
    and columns); with it the layout must fit (else :class:`FitError`). The first
    input row pitch spreads the inputs over ``spread`` times :func:`max_cut` rows.
    Deterministic (``seed`` is only recorded).
    """
    p = packed
    ncl = len(p.clusters)
    if fabric_shape is not None:
        fw, fh = _as_shape(fabric_shape)
        if ncl > fw * fh:
            raise FitError(f"the program needs at least {ncl} cells (one per LUT cluster) "
                           f"but the fabric has {fw}x{fh} = {fw * fh}",
                           needed=ncl, available=fw * fh)
    _, levels = _levels(p)
    ins = [d for _, _, d in p.inputs]
    live = [d for d in ins if p.sinks.get(d)]
    dead = [d for d in ins if not p.sinks.get(d)]
    biggest = max((len(lv) for lv in levels), default=1)
    in_step = max(1, -(-int(spread * max_cut(p)) // max(1, len(live))))
    row_of = {d: i * in_step for i, d in enumerate(live)}
    max_row = max(in_step * (len(live) - 1), 0)
    if band is None:
        band = max(1, -(-biggest // max(2, (max_row + 4) // row_step)))
    cell: list[Cell] = [(-1, -1)] * ncl
    x0 = col_step
    for lv in range(1, len(levels)):
        taken: set[Cell] = set()
        need: dict[int, int] = {}
        for ci in levels[lv]:
            need[ci] = max((row_of[d] for d, _ in p.clusters[ci].inputs if d in row_of),
                           default=0)
        for ci in sorted(levels[lv], key=lambda c: (need[c], c)):
            y = -(-need[ci] // row_step) * row_step
            while True:
                free = [x0 + col_step * j for j in range(band)
                        if (x0 + col_step * j, y) not in taken]
                if free:
                    break
                y += row_step
            c = (free[0], y)
            taken.add(c)
            cell[ci] = c
            max_row = max(max_row, y)
            for lut in p.clusters[ci].luts:
                row_of[lut] = y
        x0 += col_step * band
    width = x0 + 1
    height = max_row + row_step + 2
    while width + height < len(p.outputs) + 2:
        width += 1
        height += 1
    if fabric_shape is not None:
        if fw < width or fh < height:
            raise FitError(f"the dominance layout needs a {width}x{height} fabric, the "
                           f"fabric is {fw}x{fh}", needed=width * height,
                           available=fw * fh)
        width, height = fw, fh
    in_port = {d: ("west_in", row_of[d]) for d in live}
    pl = Placement(width, height, p, cell, [0] * ncl, in_port, {}, [], [], seed)
    _finish_ports(pl, in_port, dead, len(ins), slack)
    pl.stats["dominance"] = 1.0
    return pl


def feed_name(word: str, j: int) -> str:
    """I/O-map word of the ``j``-th extra feed of input word ``word`` (``x`` ->
    ``x@fj``; ``x@1`` -> ``x@1.fj``): :func:`fabric.iomap.base_word` still gives the
    token word."""
    return f"{word}.f{j}" if "@" in word else f"{word}@f{j}"


def split_feeds(packed: Packed, cell: list[Cell], width: int, height: int,
                max_ports: int | None = None) -> tuple[Packed, dict[int, Port]]:
    """Give every reader of a token input bit its own feed of that bit (extra input
    words ``x@TAG``, :func:`feed_name`), entering on the edge port nearest to it.

    A reader at ``(x, y)`` takes ``north_in[x]`` or ``west_in[y]`` (straight routes
    along its column or row; the offset of a feed is free, so its lag costs nothing),
    else the nearest free port of any edge. A reader on the column or row of a feed
    of the same bit shares it (the route branches off the straight line). The edge
    ports are budgeted: at most ``max_ports`` input port bits (default: all of them,
    keeping one per unread bit and one per padding bit of the feed words); when they
    run out readers share the nearest existing feed. Returns the new
    :class:`Packed` (the function is unchanged) and the port of every live input
    driver (the first feed of each bit keeps the original driver and word).
    """
    p = packed
    total = 2 * (width + height)
    budget = total if max_ports is None else min(total, max_ports)
    ins = [d for _, _, d in p.inputs]
    live = [d for d in ins if p.sinks.get(d)]
    budget -= len(ins) - len(live)
    wb = {d: (w, b) for w, b, d in p.inputs}
    readers: dict[int, list[int]] = {}
    for d in live:
        readers[d] = sorted({i for kind, i, _ in p.sinks[d] if kind == "c"})
    arch = arch_of(width, height)
    free: set[Port] = set(arch.ports(("west_in", "north_in", "east_in", "south_in")))

    def port_cost(port: Port, c: Cell) -> tuple[int, Port]:
        pc = arch.port_cell(port[0], port[1])
        straight = (port[0] == "north_in" and pc[0] == c[0]) or (
            port[0] == "west_in" and pc[1] == c[1])
        return (manhattan(pc, c) + (0 if straight else 2), port)

    # feeds[d]: list of (port, [readers]); the order of pairs: nearest readers first
    feeds: dict[int, list[tuple[Port, list[int]]]] = {d: [] for d in live}
    pairs = sorted((cell[ci][0] + cell[ci][1], ci, d) for d in live for ci in readers[d])
    out_only = [d for d in live if not readers[d]]
    used = 0
    for d in out_only:                 # a bit read only by outputs keeps one port
        port = min(free, key=lambda q: port_cost(q, (width - 1, height - 1)))
        free.discard(port)
        feeds[d].append((port, []))
        used += 1
    # padding: feed word j needs ports for all its lower bits; count them as we go
    nfeeds: dict[tuple[str, int], int] = {}
    width_of: dict[str, int] = {}
    for _, ci, d in pairs:
        c = cell[ci]
        share = None
        for f in feeds[d]:
            pc = arch.port_cell(f[0][0], f[0][1])
            if (f[0][0] == "north_in" and pc[0] == c[0]) or (
                    f[0][0] == "west_in" and pc[1] == c[1]):
                share = f
                break
        if share is None and free:
            w, b = wb[d]
            j = nfeeds.get((w, b), 0)
            fw = feed_name(w, j) if j else w
            pad = max(0, b - width_of.get(fw, 0)) if j else 0
            if used + 1 + pad <= budget:
                port = min(free, key=lambda q: port_cost(q, c))
                free.discard(port)
                feeds[d].append((port, [ci]))
                nfeeds[(w, b)] = j + 1
                width_of[fw] = max(width_of.get(fw, 0), b + 1)
                used += 1 + pad
                continue
        if share is None:
            if not feeds[d]:
                raise FitError(f"no edge input port left for the input bits on a "
                               f"{width}x{height} fabric")
            share = min(feeds[d], key=lambda f: (manhattan(
                arch.port_cell(f[0][0], f[0][1]), c), f[0]))
        share[1].append(ci)
    # new drivers
    next_id = max([*ins, *p.luts, 0]) + 1
    new_inputs = list(p.inputs)
    in_port: dict[int, Port] = {}
    remap: dict[tuple[int, int], int] = {}          # (driver, cluster) -> feed driver
    for d in live:
        w, b = wb[d]
        for j, (port, rds) in enumerate(feeds[d]):
            if j == 0:
                nd = d
            else:
                nd = next_id
                next_id += 1
                new_inputs.append((feed_name(w, j), b, nd))
            in_port[nd] = port
            for ci in rds:
                remap[(d, ci)] = nd
    luts = dict(p.luts)
    clusters = []
    for c in p.clusters:
        refs = tuple(sorted((remap.get((d, c.index), d), k) for d, k in c.inputs))
        clusters.append(Cluster(c.index, c.luts, refs))
        for lut in c.luts:
            old = luts[lut]
            luts[lut] = MLut(lut, tuple((remap.get((d, c.index), d), k) for d, k in old.inputs),
                             old.table)
    widths = dict(p.input_widths)
    for w, b, _ in new_inputs:
        widths[w] = max(widths.get(w, 0), b + 1)
    out = Packed(inputs=new_inputs, input_widths=widths, luts=luts, order=list(p.order),
                 clusters=clusters, cluster_of=dict(p.cluster_of), outputs=p.outputs,
                 n_netlist_luts=p.n_netlist_luts, relays=set(p.relays),
                 relay_links=dict(p.relay_links))
    return out, in_port
