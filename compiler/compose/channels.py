"""Exact-latency channel router: nets between block ports through the free cells.

Resources are the output registers ``R(x, y, d)`` of the cells that no block occupies
(DESIGN §1). A net's value first sits on input side ``side`` of cell ``cell`` one cycle
before ``tau1`` (a block's output register, or an edge input port); from there each
register it occupies copies one input side of its cell, one cycle per hop. Every sink
is a register that must hold the value at exactly cycle ``tau`` (a block's input port
is the register of the channel cell facing it; a program output is the edge output
register): the path to it has exactly ``tau - tau1`` hops, padded by detours where
the sink is far in time and near in space. Branches of one net share registers only at
equal cycles. Congestion is negotiated as in PathFinder (history and present cost).

The search for one sink is a dynamic programme over cycles, vectorised with numpy
over a bounding box of the net's tree and the sink.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from fabric.arch import OPPOSITE, SIDE_DELTA

INF = np.float64(1e18)
#: registers still shared after ``max_iters`` rounds below which the negotiation gets
#: as many rounds again: a few collisions left are cheaper to negotiate away than the
#: stitcher's answer (retime every reader, or widen the channels)
NEAR_SHARED = 12
Reg = tuple[int, int, int]


class ChannelRouteError(RuntimeError):
    """Nets that could not be routed: unreachable sinks, or nets still congested."""

    def __init__(self, message: str, sinks: list[tuple[int, int]] | None = None,
                 shared_nets: list[int] | None = None,
                 shared_regs: list[Reg] | None = None) -> None:
        super().__init__(message)
        #: (net, sink) pairs that no path of the wanted length reaches
        self.sinks = sinks or []
        #: nets still sharing a register when the negotiation gave up
        self.shared_nets = shared_nets or []
        #: the registers they share, ``(x, y, d)``, once per net beyond the first
        self.shared_regs = shared_regs or []


@dataclass
class Sink:
    """A register ``reg = (x, y, d)`` that must hold the net at cycle ``tau``."""

    reg: Reg
    tau: int
    tag: str = ""
    #: any cycle up to ``tau`` will do (a program output: its offset is free); the
    #: router takes the cheapest and records it in the net's tree
    free: bool = False


@dataclass
class Net:
    """One source and its sinks (see the module docstring)."""

    name: str
    cell: tuple[int, int]
    side: int
    tau1: int
    sinks: list[Sink]
    #: routed tree: register -> (cycle, input side it copies)
    nodes: dict[Reg, tuple[int, int]] = field(default_factory=dict)


class ChannelRouter:
    """PathFinder over the free registers of a ``width`` x ``height`` fabric.

    ``blocked[y, x]``: the cell belongs to a block (none of its registers routes).
    ``reserved``: registers taken by constants. ``hist``: the history costs of an earlier
    negotiation on the same floorplan (the stitcher's retiming rounds keep what they
    learnt about where nets collide). ``max_iters`` negotiation rounds before
    giving up with the nets still sharing registers: 12, because the stitcher's answer
    (2 more cycles for those nets, or wider channels where they share) resolves a stuck
    negotiation faster than more rounds do (on 40-op random graphs: the same cells in
    2-3x less time than with 30)."""

    def __init__(self, width: int, height: int, blocked: np.ndarray, reserved: set[Reg],
                 *, max_iters: int = 12, pres_fac: float = 1.0, pres_growth: float = 2.0,
                 pres_max: float = 50.0, hist_fac: float = 4.0,
                 deadline: float | None = None,
                 progress: Callable[[str], None] | None = None,
                 hist: np.ndarray | None = None) -> None:
        self.w, self.h = width, height
        self.usable = np.repeat(~blocked[:, :, None], 4, axis=2)
        for x, y, d in reserved:
            self.usable[y, x, d] = False
        self.occ = np.zeros((height, width, 4), dtype=np.int32)
        self.hist = (np.zeros((height, width, 4), dtype=np.float64) if hist is None
                     else hist.copy())
        self.max_iters = max_iters
        self.pres_fac, self.pres_growth, self.pres_max = pres_fac, pres_growth, pres_max
        self.hist_fac = hist_fac
        self.deadline = deadline
        self.progress = progress
        self.iterations = 0
        #: below this many nets every iteration reroutes them all
        self.reroute_all_below = 400

    # ------------------------------------------------------------------ one sink
    def _search(self, net: Net, sink: Sink, pres: float, forbid: set[Reg],
                grow: int) -> list[tuple[Reg, int, int]] | None:
        """Cheapest path of exact length from the net's tree to ``sink``: a list of
        ``(reg, tau, src_side)`` new registers, or ``None`` when none exists in the box."""
        t0, t1 = net.tau1, sink.tau
        if t1 < t0:
            return None
        cells = [net.cell, (sink.reg[0], sink.reg[1])]
        cells += [(r[0], r[1]) for r in net.nodes]
        manh = abs(sink.reg[0] - net.cell[0]) + abs(sink.reg[1] - net.cell[1])
        m = 3 + grow + max(0, (t1 - t0 - manh)) // 4
        x0 = max(0, min(c[0] for c in cells) - m)
        x1 = min(self.w - 1, max(c[0] for c in cells) + m)
        y0 = max(0, min(c[1] for c in cells) - m)
        y1 = min(self.h - 1, max(c[1] for c in cells) + m)
        bw, bh = x1 - x0 + 1, y1 - y0 + 1
        occ = self.occ[y0:y1 + 1, x0:x1 + 1]
        cost = (1.0 + self.hist[y0:y1 + 1, x0:x1 + 1]) * (1.0 + pres * occ)
        cost = np.where(self.usable[y0:y1 + 1, x0:x1 + 1], cost, INF)
        seeds: dict[int, list[tuple[int, int, int]]] = {}
        for (x, y, d), (tau, _s) in net.nodes.items():
            if x0 <= x <= x1 and y0 <= y <= y1:
                cost[y - y0, x - x0, d] = INF
                if t0 <= tau <= t1:
                    seeds.setdefault(tau, []).append((y - y0, x - x0, d))
        for x, y, d in forbid:
            if x0 <= x <= x1 and y0 <= y <= y1:
                cost[y - y0, x - x0, d] = INF
        cx, cy = net.cell[0] - x0, net.cell[1] - y0
        sx, sy, sd = sink.reg[0] - x0, sink.reg[1] - y0, sink.reg[2]
        # sink registers are kept out of every other route; this one is the target
        if sink.reg not in forbid:
            cost[sy, sx, sd] = ((1.0 + self.hist[sink.reg[1], sink.reg[0], sd])
                                * (1.0 + pres * self.occ[sink.reg[1], sink.reg[0], sd]))
        A = np.full((bh, bw, 4), INF)
        A[cy, cx, :] = cost[cy, cx, :]
        for yy, xx, dd in seeds.get(t0, ()):
            A[yy, xx, dd] = 0.0
        args: list[np.ndarray] = []
        reach = [(float(A[sy, sx, sd]), t0)] if A[sy, sx, sd] < INF else []
        seed_masks: list[set[tuple[int, int, int]]] = [set(seeds.get(t0, ()))]
        inn = np.full((4, bh, bw), INF)
        for t in range(t0 + 1, t1 + 1):
            inn.fill(INF)
            inn[0, 1:, :] = A[:-1, :, 2]
            inn[1, :, :-1] = A[:, 1:, 3]
            inn[2, :-1, :] = A[1:, :, 0]
            inn[3, :, 1:] = A[:, :-1, 1]
            # no u-turns in the search (output d never copies input d): it does not
            # remember which registers a path holds, and bouncing back and forth would
            # hold one register twice; padding adds single bounces, checking their
            # registers. So output d takes the cheapest of the three other input sides
            # (ties: lowest side).
            i0, i1, i2, i3 = inn
            le01, le23 = i0 <= i1, i2 <= i3
            m01, a01 = np.where(le01, i0, i1), np.where(le01, 0, 1)
            m23, a23 = np.where(le23, i2, i3), np.where(le23, 2, 3)
            arg = np.empty((bh, bw, 4), dtype=np.int8)
            best = np.empty((bh, bw, 4))
            for d, (p, ap, q, aq) in enumerate(((i1, 1, m23, a23), (i0, 0, m23, a23),
                                                (m01, a01, i3, 3), (m01, a01, i2, 2))):
                # the lower side wins a tie, as a stable sort would pick it
                pick = (p < q) | ((p == q) & (ap < aq))
                best[:, :, d] = np.where(pick, p, q)
                arg[:, :, d] = np.where(pick, ap, aq)
            A = best + cost
            sm = set(seeds.get(t, ()))
            for yy, xx, dd in sm:
                A[yy, xx, dd] = 0.0
            args.append(arg)
            seed_masks.append(sm)
            if A[sy, sx, sd] < INF and (sink.free or (t1 - t) % 2 == 0):
                reach.append((float(A[sy, sx, sd]), t))
        if sink.free:
            if not reach:
                return None
            _c, t_end = min((c + 0.01 * (t - t0), t) for c, t in reach)
            return self._backtrack(args, seed_masks, t0, t_end, (sx, sy, sd), (cx, cy),
                                   net.side, x0, y0)
        # a path of any feasible length, padded by detour bumps to the exact one: the
        # cheapest first, counting each padding cycle as one free register
        for _c, t_end in sorted((c + (t1 - t), t) for c, t in reach):
            path = self._backtrack(args, seed_masks, t0, t_end, (sx, sy, sd), (cx, cy),
                                   net.side, x0, y0)
            regs = [p[0] for p in path]
            if len(set(regs)) != len(regs):
                continue
            if t_end == t1:
                return path
            padded = self._pad(net, path, t1 - t_end, pres)
            if padded is not None:
                return padded
        return None

    @staticmethod
    def _backtrack(args: list[np.ndarray], seed_masks: list[set[tuple[int, int, int]]],
                   t0: int, t_end: int, sink: tuple[int, int, int], root: tuple[int, int],
                   root_side: int, x0: int, y0: int) -> list[tuple[Reg, int, int]]:
        path: list[tuple[Reg, int, int]] = []
        x, y, d = sink
        for t in range(t_end, t0 - 1, -1):
            if (y, x, d) in seed_masks[t - t0]:
                break
            if t == t0:
                path.append(((x + x0, y + y0, d), t, root_side))
                break
            s = int(args[t - t0 - 1][y, x, d])
            path.append(((x + x0, y + y0, d), t, s))
            dx, dy = SIDE_DELTA[s]
            x, y, d = x + dx, y + dy, OPPOSITE[s]
        return path

    def _pad(self, net: Net, path: list[tuple[Reg, int, int]], extra: int, pres: float
             ) -> list[tuple[Reg, int, int]] | None:
        """Lengthen ``path`` (sink first, as :meth:`_backtrack` gives it) by ``extra``
        (even) cycles with detour bumps: a step ``a -> b`` becomes ``a -> a' -> b' -> b``
        (``a'``, ``b'`` one or more cells aside), or ``a -> a' -> a -> b`` (a bounce:
        ``a'`` sends the bit straight back, so ``a`` holds it in a second register),
        each bump on free registers."""
        fwd = list(reversed(path))
        cells = [(r[0], r[1]) for r, _t, _s in fwd]
        first_side = fwd[0][2]
        last_dir = fwd[-1][0][2]
        tau0 = fwd[0][1]
        if len(cells) < 2:
            return None
        need = extra // 2
        out_cells = list(cells)
        for _pass in range(8):
            before = need
            out_cells, need = self._bump_pass(net, out_cells, need, pres)
            if need == 0 or need == before:
                break
        if need > 0:
            return None
        out: list[tuple[Reg, int, int]] = []
        for i, c in enumerate(out_cells):
            d = last_dir if i == len(out_cells) - 1 else self._dir(c, out_cells[i + 1])
            s = first_side if i == 0 else self._dir(c, out_cells[i - 1])
            out.append(((c[0], c[1], d), tau0 + i, s))
        regs = [g for g, _t, _s in out]
        if len(set(regs)) != len(regs):
            return None
        out.reverse()
        return out

    def _bump_pass(self, net: Net, cells: list[tuple[int, int]], need: int, pres: float
                   ) -> tuple[list[tuple[int, int]], int]:
        """One pass of detour bumps over the steps of ``cells``; returns the new cell
        sequence and the bumps (of 2 cycles) still needed. Every step's cheapest bump is
        priced (congestion cost per cycle; registers other nets use are allowed at their
        negotiated price) and the cheapest steps are bumped first."""
        taken = {self._reg_between(cells[i], cells[i + 1]) for i in range(len(cells) - 1)}
        cands = []
        for k in range(len(cells) - 1):
            a, b = cells[k], cells[k + 1]
            dxy = (b[0] - a[0], b[1] - a[1])
            for px, py in ((dxy[1], dxy[0]), (-dxy[1], -dxy[0])):
                # a bounce: out to the side cell and straight back (2 cycles, 1 cell)
                side = (a[0] + px, a[1] + py)
                regs = [self._reg_between(a, side), self._reg_between(side, a)]
                if all(self._open(net, g, taken) for g in regs):
                    cost = sum((1.0 + self.hist[g[1], g[0], g[2]])
                               * (1.0 + pres * self.occ[g[1], g[0], g[2]]) for g in regs)
                    cands.append((cost - 0.01, k, 1, px, py, [side, a], regs))
                for r in range(1, min(need, 8) + 1):
                    side_a = [(a[0] + px * i, a[1] + py * i) for i in range(1, r + 1)]
                    side_b = [(b[0] + px * i, b[1] + py * i) for i in range(r, 0, -1)]
                    seq = [a] + side_a + side_b + [b]
                    regs = [self._reg_between(seq[i], seq[i + 1]) for i in range(len(seq) - 1)]
                    if not all(self._open(net, g, taken) for g in regs):
                        break              # a wider bump crosses the same obstacle
                    cost = sum((1.0 + self.hist[g[1], g[0], g[2]])
                               * (1.0 + pres * self.occ[g[1], g[0], g[2]]) for g in regs)
                    cands.append((cost / r - 0.01 * r, k, r, px, py, side_a + side_b, regs))
        cands.sort(key=lambda c: c[:5])
        chosen: dict[int, tuple[list[tuple[int, int]], list[Reg], int]] = {}
        for _key, k, r, _px, _py, extra, regs in cands:
            if need <= 0:
                break
            if k in chosen or r > need or any(g in taken for g in regs):
                continue
            chosen[k] = (extra, regs, r)
            taken.update(regs)
            need -= r
        out_cells = list(cells)
        for k in sorted(chosen, reverse=True):
            extra, _regs, _r = chosen[k]
            out_cells[k + 1:k + 1] = extra
        return out_cells, need

    def _open(self, net: Net, reg: Reg, taken: set[Reg]) -> bool:
        x, y, d = reg
        return (0 <= x < self.w and 0 <= y < self.h and bool(self.usable[y, x, d])
                and reg not in net.nodes and reg not in taken)

    @staticmethod
    def _dir(a: tuple[int, int], b: tuple[int, int]) -> int:
        return SIDE_DELTA.index((b[0] - a[0], b[1] - a[1]))

    def _reg_between(self, a: tuple[int, int], b: tuple[int, int]) -> Reg:
        return (a[0], a[1], self._dir(a, b))

    def _route_net(self, net: Net, pres: float) -> list[tuple[int, str]]:
        """(Re)route every sink of ``net``; returns the sinks that failed."""
        self._ripup(net)
        failed = []
        for si, sink in sorted(enumerate(net.sinks), key=lambda p: (p[1].tau, p[0])):
            if sink.reg in net.nodes:
                if net.nodes[sink.reg][0] == sink.tau or sink.free:
                    continue
                failed.append((si, f"{sink.tag}: its register already carries the net "
                                   f"at another cycle"))
                continue
            forbid: set[Reg] = set()
            path = None
            grow = 0
            for _attempt in range(40):
                path = self._search(net, sink, pres, forbid, grow)
                if path is None:
                    if grow >= 12:
                        break
                    grow += 6
                    continue
                regs = [p[0] for p in path]
                dup = {r for r in regs if regs.count(r) > 1}
                if not dup:
                    break
                # the cheapest padding is one loop run twice: close its cells and
                # look again, so the padding spreads over distinct loops
                forbid |= {(x, y, d) for x, y, _ in dup for d in range(4)}
                forbid.discard(sink.reg)
                path = None
            if path is None:
                failed.append((si, f"{sink.tag}: no path of exactly {sink.tau - net.tau1} "
                                   f"hops from {net.cell}"))
                continue
            for reg, tau, s in path:
                net.nodes[reg] = (tau, s)
                self.occ[reg[1], reg[0], reg[2]] += 1
        return failed

    def _ripup(self, net: Net) -> None:
        for x, y, d in net.nodes:
            self.occ[y, x, d] -= 1
        net.nodes = {}

    def run(self, nets: list[Net]) -> None:
        """Route ``nets`` (filling ``net.nodes``) until no register is shared, or raise
        :class:`ChannelRouteError` naming what failed."""
        for n in nets:
            for sk in n.sinks:
                x, y, d = sk.reg
                self.usable[y, x, d] = False
        pres = self.pres_fac
        todo = list(range(len(nets)))
        limit = self.max_iters
        it = -1
        while it + 1 < limit:
            it += 1
            self.iterations = it + 1
            failures: list[tuple[int, int, str]] = []
            for ni in todo:
                for si, why in self._route_net(nets[ni], pres):
                    failures.append((ni, si, why))
                if self.deadline is not None and time.perf_counter() > self.deadline:
                    raise ChannelRouteError("the time budget ran out while routing the "
                                            "channels")
            if failures:
                ni, si, why = failures[0]
                raise ChannelRouteError(
                    f"{len(failures)} sink(s) cannot be reached on time; first: net "
                    f"{nets[ni].name} -> {why}", [(a, b) for a, b, _ in failures])
            over = self.occ > 1
            n_over = int(over.sum())
            if self.progress is not None:
                self.progress(f"  channel routing iteration {it + 1}: {n_over} shared "
                              f"registers")
            if n_over == 0:
                return
            if it + 1 == limit and n_over <= NEAR_SHARED and limit < 2 * self.max_iters:
                limit += self.max_iters   # a few registers from done: negotiate on
            self.hist += over * (self.occ - 1) * self.hist_fac
            pres = min(pres * self.pres_growth, self.pres_max)
            # classic PathFinder rips up every net while there are few; on big programs
            # only the nets on shared registers
            todo = [i for i, n in enumerate(nets)
                    if len(nets) <= self.reroute_all_below
                    or any(over[y, x, d] for x, y, d in n.nodes)]
        over = self.occ > 1
        shared = [i for i, n in enumerate(nets) if any(over[y, x, d] for x, y, d in n.nodes)]
        # each shared register once per net beyond the first that holds it
        regs = [(int(x), int(y), int(d)) for y, x, d in zip(*np.nonzero(over), strict=True)
                for _ in range(int(self.occ[y, x, d]) - 1)]
        raise ChannelRouteError(f"channel routing did not converge in {it + 1} "
                                f"iterations ({int(over.sum())} registers still shared)",
                                shared_nets=shared, shared_regs=regs)
