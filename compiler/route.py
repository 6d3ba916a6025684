"""Exact-latency negotiated-congestion routing (PathFinder over a time-extended graph).

Resources are the output registers ``R(x, y, d)`` of the cells (DESIGN §1). In a
streaming program a register carries one *stream*: one signal at one token-relative
cycle ``tau`` (it holds that signal of token ``n`` during cycle ``n + tau``). A
register ``R(c, d)`` at ``tau`` may hold

* a pass-through: the same net on one input side of ``c`` at ``tau - 1``
  (the input on side ``s`` of ``c`` is ``R(neighbour(c, s), opposite(s))``, or the
  edge input port on the border), or
* the value of a LUT of the cluster placed on ``c`` (computed at ``tau``).

A net is one driver (LUT or input bit) with sinks: a cluster needing the driver's
stream ``k`` tokens back on some input side at ``T - 1`` (so at ``tau = T - 1 + k``),
or an edge output port register at ``tau = offset + k``. Every sink is reached by a
path of *exactly* ``tau_sink - tau_root`` steps (padding uses detours of 2 cycles);
branches of one net share registers only at equal ``tau``. The search for one sink
is a layered dynamic programme over cycles (vectorised with numpy over a bounding
box of the source and the sink), seeded by the net's tree so far.

Token inputs and outputs have free offsets (DESIGN §3, I/O map): an input port net
may enter up to ``2 * feed_slack`` cycles before its scheduled offset and an output bit
may leave up to ``2 * out_slack`` cycles after it, so their routes can detour freely;
the offsets chosen are written back into the placement.

Congestion is negotiated as in PathFinder: register cost ``(base + history) * (1 +
present * other_users)``; after each iteration overused registers gain history and
the present factor grows, up to ``pres_max``; every net is ripped up and rerouted
(``reroute_all``) or only those on overused registers. A register in an otherwise
empty cell costs extra, so routes pack into used cells.
"""

from __future__ import annotations

import logging
import time as _time
from dataclasses import dataclass, field

import numpy as np

from compiler.errors import RouteError
from compiler.placement import Placement
from compiler.schedule import retime, settle_offsets
from fabric.arch import BUS_SIDE, OPPOSITE, SIDE_DELTA

INF = np.float64(1e18)
_log = logging.getLogger(__name__)
#: source marker of a register computed by a LUT of its cell
COMPUTE = -1


@dataclass
class NetRoute:
    """The routed tree of one net.

    ``nodes[reg] = (tau, src)``: register ``reg`` (:meth:`fabric.arch.Arch.reg`)
    holds the net at cycle ``tau``; ``src`` is the input side of its cell it copies,
    or :data:`COMPUTE` for a register computed by the driver LUT.
    ``terminals[(kind, idx, k)]`` is the input side of the sink cluster's cell the
    stream arrives on (``kind == "c"``), or the output register (``kind == "o"``).
    """

    driver: int
    nodes: dict[int, tuple[int, int]] = field(default_factory=dict)
    terminals: dict[tuple[str, int, int], int] = field(default_factory=dict)


@dataclass
class Routes:
    """All nets of a placement, plus routing statistics."""

    width: int
    height: int
    nets: dict[int, NetRoute]
    iterations: int = 0
    seconds: float = 0.0
    longest: int = 0

    def registers_used(self) -> int:
        """Number of output registers carrying a signal."""
        return sum(len(n.nodes) for n in self.nets.values())


@dataclass
class _Sink:
    kind: str
    idx: int
    k: int
    cell: tuple[int, int]
    tau: int
    reg: int = -1          # output register for kind "o"


@dataclass
class _Net:
    driver: int
    root_cell: tuple[int, int]
    root_tau: int
    port_side: int          # side of root_cell the input port enters, or -1 for a LUT
    sinks: list[_Sink]


class Router:
    """PathFinder router for one :class:`~compiler.placement.Placement`."""

    def __init__(self, pl: Placement, *, max_iters: int = 150, open_cost: float = 1.0,
                 hist_fac: float = 1.0, pres_fac: float = 0.6, pres_growth: float = 1.6,
                 pres_max: float = 50.0, stall: int = 10, relax_floor: int = 12,
                 reroute_all: bool = True, time_limit: float | None = None,
                 feed_slack: int = 8, out_slack: int = 4) -> None:
        self.pl = pl
        self.arch = pl.arch
        self.w, self.h = pl.width, pl.height
        self.max_iters = max_iters
        #: iterations without progress before :meth:`_relax` retimes
        self._stall = stall
        #: rip up every net each iteration (classic PathFinder) or only those on
        #: overused registers
        self.reroute_all = reroute_all
        #: wall-clock seconds after which :meth:`run` gives up (``None``: no limit)
        self.time_limit = time_limit
        self.open_cost = open_cost
        self.hist_fac = hist_fac
        self.pres_fac = pres_fac
        self.pres_growth = pres_growth
        #: ceiling of the present-congestion factor (history keeps growing past it); an
        #: unbounded factor freezes the negotiation within a few dozen iterations
        self.pres_max = pres_max
        #: no retiming once the best score (shared registers + 10 per unroutable sink)
        #: is at or below this: a retime reroutes everything and loses a near-solution
        self.relax_floor = relax_floor
        #: an input port net may enter up to ``2 * feed_slack`` cycles earlier than the
        #: schedule says (its offset is free), so its routes may take detours
        self.feed_slack = feed_slack
        #: an output bit may leave up to ``2 * out_slack`` cycles later than the
        #: schedule says (its offset is free too)
        self.out_slack = out_slack
        #: root cycle each input port net was routed from (its I/O-map offset)
        self.port_root: dict[int, int] = {}
        #: cycle each output bit's register was reached at (its offset + k)
        self.out_tau: dict[int, int] = {}
        #: users and congestion history of every register, indexed like register ids
        self.occ = np.zeros(self.arch.reg_shape, dtype=np.int32)
        self.hist = np.zeros(self.arch.reg_shape, dtype=np.float64)
        self.compute = np.zeros((self.h, self.w), dtype=bool)
        for c in pl.cell:
            self.compute[c[1], c[0]] = True
        self.nets = self._build_nets()
        self.routes: dict[int, NetRoute] = {}
        self.in_extra: dict[int, int] = {}

    # ------------------------------------------------------------------ set-up
    def _build_nets(self) -> list[_Net]:
        pl = self.pl
        p = pl.packed
        nets = []
        for d in sorted(p.sinks):
            if d in p.cluster_of:
                cell = pl.cell[p.cluster_of[d]]
                tau0 = pl.time[p.cluster_of[d]]
                pside = -1
            else:
                port, idx = pl.in_port[d]
                cell = self.arch.port_cell(port, idx)
                tau0 = pl.in_time[d]
                pside = BUS_SIDE[port]
            sinks = []
            for kind, idx, k in p.sinks[d]:
                if kind == "c":
                    sinks.append(_Sink(kind, idx, k, pl.cell[idx], pl.time[idx] - 1 + k))
                else:
                    port, pi = pl.out_port[idx]
                    oc = self.arch.port_cell(port, pi)
                    reg = self.arch.port_reg(port, pi)
                    sinks.append(_Sink(kind, idx, k, oc, pl.out_time[idx] + k, reg))
            sinks.sort(key=lambda s: (s.tau, abs(s.cell[0] - cell[0]) + abs(s.cell[1] - cell[1]),
                                      s.kind, s.idx, s.k))
            for s in sinks:
                if s.tau < tau0:
                    raise RouteError(f"internal: sink {s} of driver {d} needs cycle {s.tau} "
                                     f"before the driver exists ({tau0})")
            nets.append(_Net(d, cell, tau0, pside, sinks))
        nets.sort(key=lambda n: (n.root_tau, n.driver))
        return nets

    # ------------------------------------------------------------------ occupancy
    def _claim(self, reg: int, delta: int) -> None:
        x, y, d = self.arch.reg_loc(reg)
        self.occ[y, x, d] += delta

    def _ripup(self, net: _Net) -> None:
        r = self.routes.pop(net.driver, None)
        if r is None:
            return
        for reg in r.nodes:
            self._claim(reg, -1)

    # ------------------------------------------------------------------ search
    def _search(self, net: _Net, route: NetRoute, sink: _Sink, margin: int,
                forbid: dict[int, int], pres: float, root_lo: int, root_hi: int
                ) -> tuple[list[tuple[int, int, int]], int, int, int] | None:
        """Cheapest exact-length path from the net's tree to ``sink``.

        An input port net may enter at any cycle in ``root_lo .. root_hi`` (a LUT net,
        or a port net whose entry is fixed, has ``root_lo == root_hi``); an output sink
        may be reached at any even number of cycles up to ``2 * out_slack`` after its
        scheduled one (the cheapest wins, ties to the earliest). Returns ``(path,
        terminal, root, end)``: path registers ``(reg, tau, src)`` to add, the terminal
        (input side at the sink cell, or the output register), the cycle the root emits
        at and the cycle the sink is reached at; ``None`` when no path exists inside the
        box.
        """
        arch = self.arch
        rx, ry = net.root_cell
        sx, sy = sink.cell
        x0 = max(0, min(rx, sx) - margin)
        x1 = min(self.w - 1, max(rx, sx) + margin)
        y0 = max(0, min(ry, sy) - margin)
        y1 = min(self.h - 1, max(ry, sy) + margin)
        hh, ww = y1 - y0 + 1, x1 - x0 + 1
        occ = self.occ[y0:y1 + 1, x0:x1 + 1]
        used = occ.sum(axis=2) > 0
        used |= self.compute[y0:y1 + 1, x0:x1 + 1]
        base = 1.0 + self.open_cost * (~used)
        cost = (base[:, :, None] + self.hist[y0:y1 + 1, x0:x1 + 1]) * (1.0 + pres * occ)
        none = -(1 << 40)
        tt = np.full((hh, ww, 4), none, dtype=np.int64)
        for reg, (tau, _) in route.nodes.items():
            x, y, d = arch.reg_loc(reg)
            if x0 <= x <= x1 and y0 <= y <= y1:
                tt[y - y0, x - x0, d] = tau
        pin_tau = tt.copy()
        for reg, tau in forbid.items():
            x, y, d = arch.reg_loc(reg)
            if x0 <= x <= x1 and y0 <= y <= y1 and pin_tau[y - y0, x - x0, d] == none:
                pin_tau[y - y0, x - x0, d] = tau
        pin = pin_tau != none
        tau0 = root_lo
        tau_s = sink.tau
        tau_end = tau_s + (2 * self.out_slack if sink.kind == "o" else 0)
        o_best: tuple[float, int] | None = None
        if sink.kind == "o":
            ox, oy, od = arch.reg_loc(sink.reg)
            ox, oy = ox - x0, oy - y0
        inward = _inward_slices(hh, ww)
        side_layers: list[np.ndarray] = []
        inj_layers: list[np.ndarray] = []
        # layer tau0
        inj_val = np.full((hh, ww, 4), INF)
        if net.port_side < 0:
            inj_val[ry - y0, rx - x0, :] = cost[ry - y0, rx - x0, :]
        inj_val[tt == tau0] = 0.0
        C = inj_val.copy()
        C[pin & (pin_tau != tau0)] = INF
        inj = (C < INF) & (inj_val <= C)
        tau = tau0
        A = np.empty((hh, ww, 4))
        while True:
            inj_layers.append(inj)
            if sink.kind == "o" and tau >= tau_s and (tau - tau_s) % 2 == 0:
                v = float(C[oy, ox, od]) + 0.01 * (tau - tau_s)
                if C[oy, ox, od] < INF and (o_best is None or v < o_best[0]):
                    o_best = (v, tau)
                if tau == tau_end:
                    break
            A = np.full((hh, ww, 4), INF)
            for dst, src, side, back in inward:   # input side s <- neighbour's OPPOSITE[s]
                A[dst + (side,)] = C[src + (back,)]
            if net.port_side >= 0 and root_lo <= tau <= root_hi:
                A[ry - y0, rx - x0, net.port_side] = 0.0
            amin = A.min(axis=2)
            side_layers.append(A)        # arrival costs per side; argmin on backtrack
            if sink.kind == "c" and tau == tau_s:
                break
            C = amin[:, :, None] + cost
            tau += 1
            inj_val = np.where(tt == tau, 0.0, INF)
            inj = inj_val <= C
            C = np.minimum(C, inj_val)
            C[pin & (pin_tau != tau)] = INF
        # pick the terminal
        if sink.kind == "c":
            cy, cx = sy - y0, sx - x0
            s = int(np.argmin(side_layers[-1][cy, cx]))
            if A[cy, cx, s] >= INF:
                return None
            terminal = s
            nb = arch.neighbour((sx, sy), s)
            if nb is None:
                return [], terminal, tau_s, tau_s  # straight from the edge input port
            cur = (nb[0], nb[1], OPPOSITE[s])
        else:
            cur = arch.reg_loc(sink.reg)
            terminal = sink.reg
            if o_best is None:
                return None
            tau_s = o_best[1]
        path: list[tuple[int, int, int]] = []
        t = tau_s
        root = root_lo
        while True:
            x, y, d = cur
            li = t - tau0
            reg = arch.reg(x, y, d)
            if inj_layers[li][y - y0, x - x0, d]:
                if tt[y - y0, x - x0, d] != t:
                    path.append((reg, t, COMPUTE))
                break
            s = int(np.argmin(side_layers[li - 1][y - y0, x - x0]))
            path.append((reg, t, s))
            nb = arch.neighbour((x, y), s)
            if nb is None:
                root = t - 1              # came from the edge input port
                break
            cur = (nb[0], nb[1], OPPOSITE[s])
            t -= 1
        return path, terminal, root, tau_s

    def _route_net(self, net: _Net, pres: float) -> int:
        """Route every sink of ``net``; return the number of sinks that failed."""
        route = NetRoute(net.driver)
        self.routes[net.driver] = route
        failed = 0
        diag = self.w + self.h
        root_hi = net.root_tau
        root_lo = root_hi - 2 * self.feed_slack if net.port_side >= 0 else root_hi
        for sink in net.sinks:
            dist = (abs(sink.cell[0] - net.root_cell[0])
                    + abs(sink.cell[1] - net.root_cell[1]))
            slack = max(0, sink.tau - root_lo - dist)
            margin = 1 + slack // 2
            forbid: dict[int, int] = {}
            res = None
            for _attempt in range(40):
                res = self._search(net, route, sink, margin, forbid, pres, root_lo, root_hi)
                if res is None:
                    if margin >= diag:
                        break
                    margin *= 2
                    continue
                path = res[0]
                seen: dict[int, int] = {}
                dup: dict[int, int] = {}
                for reg, tau, _s in path:
                    if reg in seen and seen[reg] != tau:
                        dup[reg] = min(tau, seen[reg])
                    seen[reg] = tau
                if not dup:
                    break
                forbid.update(dup)
                res = None
            if res is None:
                failed += 1
                continue
            path, terminal, root, end = res
            root_lo = root_hi = root          # the first routed sink fixes the entry
            if net.port_side >= 0:
                self.port_root[net.driver] = root
            for reg, tau, s in path:
                if reg not in route.nodes:
                    route.nodes[reg] = (tau, s)
                    self._claim(reg, +1)
            route.terminals[(sink.kind, sink.idx, sink.k)] = terminal
            if sink.kind == "o":
                self.out_tau[sink.idx] = end
        return failed

    def _sink_path(self, route: NetRoute, sink: _Sink) -> list[int]:
        """Registers of the tree path that feeds ``sink`` (terminal back to the root)."""
        term = route.terminals.get((sink.kind, sink.idx, sink.k))
        if term is None:
            return []
        arch = self.arch
        if sink.kind == "c":
            feeder = arch.feeder(sink.cell[0], sink.cell[1], term)
            if feeder is None:
                return []
            reg = feeder
        else:
            reg = term
        out = []
        while reg in route.nodes and reg not in out:
            out.append(reg)
            _tau, src = route.nodes[reg]
            if src == COMPUTE:
                break
            x, y, _d = arch.reg_loc(reg)
            feeder = arch.feeder(x, y, src)
            if feeder is None:
                break
            reg = feeder
        return out

    def _relax(self) -> int:
        """Retime: give sinks stuck on shared registers 2 more cycles.

        For every overused register, all nets but the first keep their route and the
        sinks of the others whose paths use it are delayed by 2 cycles (a cluster sink
        delays its cluster, and every later cluster and output that then lacks time is
        pushed too). Returns the number of clusters and outputs moved.
        """
        pl = self.pl
        users: dict[int, list[int]] = {}
        for drv, r in self.routes.items():
            for reg in r.nodes:
                users.setdefault(reg, []).append(drv)
        hot = {reg for reg, us in users.items() if len(us) > 1}
        bump_c: set[int] = set()
        bump_o: set[int] = set()
        through: dict[int, list[tuple[int, int, str, int]]] = {}
        for net in self.nets:
            r = self.routes.get(net.driver)
            if r is None:
                continue
            for sink in net.sinks:
                for reg in self._sink_path(r, sink):
                    if reg in hot:
                        if sink.kind == "o":
                            item = (0, 0, "o", sink.idx)
                        elif net.port_side >= 0:
                            item = (1, 0, "i", net.driver)
                        else:
                            item = (2, -pl.time[sink.idx], "c", sink.idx)
                        through.setdefault(reg, []).append(item)
        bump_i: set[int] = set()
        for reg in sorted(through):
            cands = sorted(set(through[reg]))
            _, _, kind, idx = cands[0]
            {"c": bump_c, "o": bump_o, "i": bump_i}[kind].add(idx)
        for d in bump_i:
            self.in_extra[d] = self.in_extra.get(d, 0) + 1
        retime(pl, bump_c, bump_o, self.in_extra)
        for net in self.nets:
            self._ripup(net)
        self.nets = self._build_nets()
        return len(bump_c) + len(bump_o)

    def _settle_port_roots(self) -> None:
        """Hand the cycle each input port net was routed from, and each output's, to
        :func:`compiler.schedule.settle_offsets`, and shift the routes by the same
        amount."""
        in_off: dict[int, int] = {}
        out_off: dict[int, int] = {}
        for net in self.nets:
            if net.port_side >= 0 and net.driver in self.port_root:
                net.root_tau = self.port_root[net.driver]
                in_off[net.driver] = net.root_tau
            for s in net.sinks:
                if s.kind == "o" and s.idx in self.out_tau:
                    s.tau = self.out_tau[s.idx]
                    out_off[s.idx] = s.tau - s.k
        shift = settle_offsets(self.pl, in_off, out_off)
        if shift == 0:
            return
        for net in self.nets:
            net.root_tau -= shift
            for s in net.sinks:
                s.tau -= shift
        for r in self.routes.values():
            r.nodes = {reg: (tau - shift, src) for reg, (tau, src) in r.nodes.items()}

    def _check_time(self, start: float, where: str) -> None:
        """Raise :class:`RouteError` once ``time_limit`` seconds have passed."""
        if self.time_limit is not None and _time.perf_counter() - start > self.time_limit:
            raise RouteError(f"routing did not converge within {self.time_limit:.1f} s "
                             f"({where}) on the {self.w}x{self.h} fabric; give it more room")

    def run(self) -> Routes:
        """Negotiate until no register is shared; raise :class:`RouteError` if it fails.

        When the overuse has not improved for ``stall`` iterations, and is still above
        ``relax_floor``, the schedule is relaxed by :meth:`_relax` (retiming: 2 more
        cycles for the sinks stuck on shared registers). Gives up after ``max_iters``
        iterations or ``time_limit`` seconds.
        """
        start = _time.perf_counter()
        pres = self.pres_fac
        todo = list(self.nets)
        it = 0
        over = failed = 0
        best = None
        since = 0
        stall = self._stall
        for it in range(1, self.max_iters + 1):
            failed = 0
            for net in todo:
                self._ripup(net)
                failed += self._route_net(net, pres)
                self._check_time(start, f"iteration {it}")
            overused = self.occ > 1
            over = int(overused.sum())
            if over == 0 and failed == 0:
                break
            self.hist += self.hist_fac * overused * (self.occ - 1)
            pres = min(self.pres_max, pres * self.pres_growth)
            score = over + 10 * failed
            _log.debug("iteration %d: %d registers shared, %d sinks unroutable, pressure %.2f",
                       it, over, failed, pres)
            if best is None or score < best:
                best, since = score, 0
            else:
                since += 1
            if since >= stall and it < self.max_iters and best > self.relax_floor:
                self._relax()
                best, since = None, 0
                pres = max(self.pres_fac, pres / 8)
                todo = list(self.nets)
                continue
            hot = set(np.flatnonzero(overused.reshape(-1)).tolist())
            if self.reroute_all:
                todo = list(self.nets)
            else:
                todo = [n for n in self.nets
                        if n.driver not in self.routes
                        or any(r in hot for r in self.routes[n.driver].nodes)
                        or len(self.routes[n.driver].terminals) < len(n.sinks)]
            self._check_time(start, f"{it} iterations: {over} registers still shared, "
                                    f"{failed} sinks unroutable")
        else:
            raise RouteError(
                f"routing did not converge after {self.max_iters} iterations: {over} "
                f"registers still shared, {failed} sinks unroutable on the "
                f"{self.w}x{self.h} fabric; give it more room")
        self._settle_port_roots()
        longest = 0
        for net in self.nets:
            for s in net.sinks:
                longest = max(longest, s.tau - net.root_tau + (1 if s.kind == "c" else 0))
        return Routes(self.w, self.h, dict(sorted(self.routes.items())), it,
                      _time.perf_counter() - start, longest)


def _inward_slices(hh: int, ww: int
                   ) -> list[tuple[tuple[slice, slice], tuple[slice, slice], int, int]]:
    """For a ``(hh, ww)`` box: ``(dst, src, side, back)`` such that input ``side`` of the
    cells ``dst`` reads register ``back = OPPOSITE[side]`` of the cells ``src`` (their
    neighbours on that side); cells whose neighbour is outside the box are left out."""
    out = []
    for side, (dx, dy) in enumerate(SIDE_DELTA):
        dst = (slice(max(0, -dy), hh - max(0, dy)), slice(max(0, -dx), ww - max(0, dx)))
        src = (slice(max(0, dy), hh - max(0, -dy)), slice(max(0, dx), ww - max(0, -dx)))
        out.append((dst, src, side, OPPOSITE[side]))
    return out


def route(placement: Placement, **options: float | int | bool | None) -> Routes:
    """Route every net of ``placement`` with exact latencies (ARCHITECTURE §8): the
    placement carries the packed netlist; ``options`` are :class:`Router`'s keyword
    arguments. Deterministic (no seed: the router makes no random choice)."""
    return Router(placement, **options).run()  # type: ignore[arg-type]
