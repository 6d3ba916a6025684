"""Flow floorplan: each block turned and placed where its inputs arrive soonest.

Blocks are taken in dataflow order. For every way to build a block (its instance, or
an equivalent one with reordered ports, :mod:`compiler.compose.variants`) and each of
the eight symmetries of the square (:mod:`fabric.dihedral`), the planner computes, for
every free origin in a window around its producers, the earliest start cycle

    T(X, Y) = max over block-driven input bits e of  tau_e + |p_e - (X, Y) - q_e|_1 - o_e

(``tau_e``: cycle the producer's channel cell first holds the bit, ``p_e`` that cell,
``q_e`` the block's facing channel cell relative to its origin, ``o_e`` the input
offset). Every input bit is then carried for ``T + o_e - tau_e`` cycles, one channel
register per cycle, so ``sum_e (T + o_e - tau_e)`` estimates the channel cells the
block costs (wire plus delay balancing); the placement with the least such cost wins.
Because a hop costs one cycle whatever its direction, this prefers layouts whose port
lags line up: a producer's outputs that leave later sit farther from the consumer's
inputs that are wanted later, and the bits need no detours.

A block with no block-driven input goes where it grows the layout least. Each block
keeps ``gap`` free cells around it, and on the sides where its inputs arrive as many
more as the wires crossing there need (the most bits whose span covers one row or
column), so that the channel router has the tracks to turn them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from compiler.compose.blocks import Block, carried_bit, facing
from compiler.compose.floorplan import Floorplan
from compiler.compose.split import Instance, Split
from fabric.arch import BUS_SIDE
from fabric.bitstream import Bitstream
from fabric.dihedral import SYMMETRIES, transform, transform_iomap, transformed_shape
from fabric.iomap import IOMap, base_word

__all__ = ["Layout", "flow_floorplan"]

#: cells searched beyond the producers' ports in each direction
_REACH = 24


@dataclass
class Layout:
    """The flow floorplan: instances as chosen, their blocks turned, the floorplan,
    each block's symmetry and its estimated start cycle."""

    split: Split
    blocks: list[Block]
    floorplan: Floorplan
    symmetry: list[int]
    start: list[int]


@dataclass
class _Placed:
    block: Block
    x: int
    y: int
    start: int
    rect: tuple[int, int, int, int]      # inclusive, with clearances


@dataclass(frozen=True)
class _View:
    """A candidate's ports under one symmetry (its cells are moved only once chosen)."""

    iomap: IOMap
    width: int
    height: int


def _port_view(bs: Bitstream, k: int) -> _View:
    w, h = transformed_shape(k, bs.width, bs.height)
    return _View(transform_iomap(bs.iomap, bs.width, bs.height, k), w, h)


class _Planner:
    def __init__(self, split: Split, options: list[list[tuple[Instance, Block]]], gap: int
                 ) -> None:
        self.split, self.options, self.gap = split, options, gap
        self.placed: list[_Placed] = []
        #: instance -> its output words that program outputs read
        self.out_srcs: dict[int, set[str]] = {}
        for srcs in split.outputs.values():
            for src in srcs:
                if src[0] == "blk":
                    self.out_srcs.setdefault(src[1], set()).add(src[2])
        self.insts: list[Instance] = []
        self.sym: list[int] = []

    # ------------------------------------------------------------------ edges
    def _edges(self, inst: Instance, blk: Block, view):
        """Block-driven live inputs of a candidate: (q_x, q_y, side, offset, p_x, p_y,
        tau) per bit, with ``view`` the candidate's turned I/O map."""
        out = []
        for word, bits in view.iomap.inputs.items():
            base = base_word(word)
            for b, pb in enumerate(bits):
                if not blk.live[word][b]:
                    continue
                src = inst.bindings[base][b]
                if src[0] != "blk":
                    continue
                src_p = self.placed[src[1]]
                src = carried_bit(src_p.block, src)
                if src[0] != "blk" or (src[2], src[3]) in src_p.block.constant:
                    continue
                opb = src_p.block.bitstream.iomap.outputs[src[2]][src[3]]
                px, py, _s = facing(src_p.block.width, src_p.block.height, opb)
                qx, qy, side = facing(view.width, view.height, pb)
                out.append((qx, qy, side, pb.offset, src_p.x + px, src_p.y + py,
                            src_p.start + opb.offset + 1))
        return out

    # ------------------------------------------------------------------ search
    def _window(self, w: int, h: int, edges) -> tuple[int, int, int, int]:
        if edges:
            xs = [e[4] - e[0] for e in edges]
            ys = [e[5] - e[1] for e in edges]
            # room for the clearance the wires may need (at most one track each)
            r = _REACH + self.gap + len(edges)
            return (min(xs) - r - w, min(ys) - r - h, max(xs) + r, max(ys) + r)
        if not self.placed:
            return (0, 0, 0, 0)
        x0 = min(p.rect[0] for p in self.placed)
        y0 = min(p.rect[1] for p in self.placed)
        x1 = max(p.rect[2] for p in self.placed)
        y1 = max(p.rect[3] for p in self.placed)
        g = 2 * self.gap
        return (x0 - w - g, y0 - h - g, x1 + g, y1 + g)

    def _free(self, win, w: int, h: int, clear: tuple[int, int, int, int]) -> np.ndarray:
        """``ok[Y, X]`` over the window: a block at that origin, with its clearances,
        overlaps no placed block with its own."""
        x0, y0, x1, y1 = win
        cn, ce, cs, cw = clear
        nx, ny = x1 - x0 + 1, y1 - y0 + 1
        # occupancy on a canvas covering every origin's expanded rectangle
        ox, oy = x0 - cw, y0 - cn
        cw_, ch_ = nx + cw + ce + w, ny + cn + cs + h
        occ = np.zeros((ch_ + 1, cw_ + 1), dtype=np.int32)
        raw = np.zeros_like(occ)
        for p in self.placed:
            rx0, ry0, rx1, ry1 = p.rect
            bx0, by0 = p.x, p.y
            bx1, by1 = p.x + p.block.width - 1, p.y + p.block.height - 1
            for arr, (a0, b0, a1, b1) in ((occ, (rx0, ry0, rx1, ry1)),
                                          (raw, (bx0, by0, bx1, by1))):
                a0, a1 = max(a0 - ox, 0), min(a1 - ox, cw_ - 1)
                b0, b1 = max(b0 - oy, 0), min(b1 - oy, ch_ - 1)
                if a0 <= a1 and b0 <= b1:
                    arr[b0 + 1:b1 + 2, a0 + 1:a1 + 2] = 1
        ok = np.ones((ny, nx), dtype=bool)
        for arr, (lf, t, r, b) in ((raw, (cw, cn, ce, cs)), (occ, (0, 0, 0, 0))):
            s = arr.cumsum(0).cumsum(1)
            # rectangle of origin (X, Y): canvas columns X-x0+cw-lf .. +w-1+lf+r
            ax = np.arange(nx) + cw - lf
            ay = np.arange(ny) + cn - t
            bx = ax + w + lf + r
            by = ay + h + t + b
            tot = (s[by[:, None], bx[None, :]] - s[ay[:, None], bx[None, :]]
                   - s[by[:, None], ax[None, :]] + s[ay[:, None], ax[None, :]])
            ok &= tot == 0
        return ok

    def _score(self, win, w: int, h: int, edges, clear, edge_bits=(0, 0, 0, 0)
               ) -> tuple[float, int, int, int] | None:
        """(cost, X, Y, start) of the best free origin in the window, or None."""
        x0, y0, x1, y1 = win
        ok = self._free(win, w, h, clear)
        if not ok.any():
            return None
        X = np.arange(x0, x1 + 1)
        Y = np.arange(y0, y1 + 1)
        if edges:
            T = np.full((len(Y), len(X)), -(1 << 40), dtype=np.int64)
            for qx, qy, side, o, px, py, tau in edges:
                dy = np.abs(py - qy - Y)[:, None]
                dx = np.abs(px - qx - X)[None, :]
                t = tau - o + dy + dx
                # a source beyond the block's far side: the wire goes around it
                if side in (0, 2):
                    beyond = (py > Y + qy) if side == 0 else (py < Y + qy)
                    t = t + (beyond * (2 * min(qx + 1, w - qx)))[:, None]
                else:
                    beyond = (px < X + qx) if side == 1 else (px > X + qx)
                    t = t + (beyond * (2 * min(qy + 1, h - qy)))[None, :]
                T = np.maximum(T, t)
            cost = (T * len(edges) + sum(o for _q, _r, _s, o, *_ in edges)).astype(np.float64)
        else:
            T = np.zeros((len(Y), len(X)), dtype=np.int64)
            cost = np.zeros((len(Y), len(X)))
        if self.placed:
            # tie-break: the smallest growth of the layout's bounding box (clearances
            # included)
            rx0 = min(p.rect[0] for p in self.placed)
            ry0 = min(p.rect[1] for p in self.placed)
            rx1 = max(p.rect[2] for p in self.placed)
            ry1 = max(p.rect[3] for p in self.placed)
            gx = (np.maximum(rx1, X + w - 1) - np.minimum(rx0, X))[None, :]
            gy = (np.maximum(ry1, Y + h - 1) - np.minimum(ry0, Y))[:, None]
            cost = cost + 0.01 * (gx + gy) * (1 if edges else 100)
            # token feeds and program outputs run to the fabric's edge on their side:
            # each bit costs about its distance to the layout's edge that way (the
            # blocks themselves, not their clearances, make that edge)
            n, e, s_, w_ = edge_bits
            by0 = min(p.y for p in self.placed)
            by1 = max(p.y + p.block.height - 1 for p in self.placed)
            bx0 = min(p.x for p in self.placed)
            bx1 = max(p.x + p.block.width - 1 for p in self.placed)
            if n:
                cost = cost + n * np.maximum(Y - by0, 0)[:, None]
            if s_:
                cost = cost + s_ * np.maximum(by1 - (Y + h - 1), 0)[:, None]
            if w_:
                cost = cost + w_ * np.maximum(X - bx0, 0)[None, :]
            if e:
                cost = cost + e * np.maximum(bx1 - (X + w - 1), 0)[None, :]
        cost = np.where(ok, cost, np.inf)
        iy, ix = np.unravel_index(int(np.argmin(cost)), cost.shape)
        return float(cost[iy, ix]), int(X[ix]), int(Y[iy]), int(T[iy, ix])

    def _clearance(self, edges, X: int, Y: int) -> tuple[int, int, int, int]:
        """Free cells kept on the N, E, S, W sides of a block at ``(X, Y)``: the gap,
        plus the most input wires crossing one row (or column) on that side."""
        spans: dict[int, list[tuple[int, int]]] = {0: [], 1: [], 2: [], 3: []}
        for qx, qy, side, _o, px, py, _tau in edges:
            if side in (1, 3):     # east or west: the wires turn along rows
                a, b = sorted((py, Y + qy))
            else:
                a, b = sorted((px, X + qx))
            spans[side].append((a, b))
        out = []
        for side in range(4):
            sp = spans[side]
            dens = 0
            if sp:
                lo = min(a for a, _ in sp)
                hi = max(b for _, b in sp)
                cover = np.zeros(hi - lo + 2, dtype=np.int64)
                for a, b in sp:
                    cover[a - lo] += 1
                    cover[b - lo + 1] -= 1
                dens = int(cover.cumsum().max())
            out.append(self.gap + dens)
        return out[0], out[1], out[2], out[3]

    def _edge_bits(self, i: int, inst: Instance, blk: Block, view) -> tuple[int, ...]:
        """Live token-fed input bits and program-output bits on each side (N, E, S, W)
        of a candidate (``view``: its turned I/O map)."""
        count = [0, 0, 0, 0]
        for word, bits in view.iomap.inputs.items():
            base = base_word(word)
            for b, pb in enumerate(bits):
                if blk.live[word][b] and inst.bindings[base][b][0] == "in":
                    count[BUS_SIDE[pb.port]] += 1
        for src in self.out_srcs.get(i, ()):
            if src in view.iomap.outputs:
                for pb in view.iomap.outputs[src]:
                    count[BUS_SIDE[pb.port]] += 1
        return tuple(count)

    @staticmethod
    def _outputs_back(view, edges) -> float:
        """Cells an output costs when it leaves on a side where block-driven inputs
        arrive: it has to get around the block or through the incoming wires (about
        the block's half perimeter per bit)."""
        in_sides = {e[2] for e in edges}
        if not in_sides:
            return 0.0
        n = sum(1 for bits in view.iomap.outputs.values() for pb in bits
                if BUS_SIDE[pb.port] in in_sides)
        return float(n * (view.width + view.height))

    def place(self, i: int) -> None:
        best = None
        base = (self.gap,) * 4
        for inst, blk in self.options[i]:
            for k in SYMMETRIES:
                view = _port_view(blk.bitstream, k)
                edges = self._edges(inst, blk, view)
                w, h = view.width, view.height
                win = self._window(w, h, edges)
                eb = self._edge_bits(i, inst, blk, view)
                got = self._score(win, w, h, edges, base, eb)
                if got is None:
                    continue
                clear = self._clearance(edges, got[1], got[2])
                if clear != base:
                    got = self._score(win, w, h, edges, clear, eb)
                    if got is None:
                        continue
                    clear = self._clearance(edges, got[1], got[2])
                key = (got[0] + self._outputs_back(view, edges), k)
                if best is None or key < best[0]:
                    best = (key, inst, blk, k, got, clear)
        if best is None:
            raise AssertionError(f"block {self.split.instances[i].name}: no free origin "
                                 f"in its window")
        _key, inst, blk, k, (_c, X, Y, T), (cn, ce, cs, cw) = best
        turned = replace(blk, bitstream=transform(blk.bitstream, k)) if k else blk
        rect = (X - cw, Y - cn, X + turned.width - 1 + ce, Y + turned.height - 1 + cs)
        self.placed.append(_Placed(turned, X, Y, T, rect))
        self.insts.append(inst)
        self.sym.append(k)


def flow_floorplan(split: Split, options: list[list[tuple[Instance, Block]]], gap: int,
                   progress: Callable[[str], None] | None = None) -> Layout:
    """Turn and place every block (see the module docstring); ``options[i]`` lists the
    interchangeable (instance, block) pairs of instance ``i``, ``gap`` the free cells
    kept around every block (the fabric ends at the outermost of them)."""
    if gap < 1:
        raise ValueError(f"gap must be >= 1 cell, got {gap}")
    pl = _Planner(split, options, gap)
    for i in range(len(split.instances)):
        pl.place(i)
    if not pl.placed:
        return Layout(split, [], Floorplan(2 * gap + 1, 2 * gap + 1, []), [], [])
    x0 = min(p.rect[0] for p in pl.placed)
    y0 = min(p.rect[1] for p in pl.placed)
    x1 = max(p.rect[2] for p in pl.placed)
    y1 = max(p.rect[3] for p in pl.placed)
    # the clearances around the blocks are the channels; the fabric ends at them
    dx, dy = -x0, -y0
    fp = Floorplan(x1 + dx + 1, y1 + dy + 1,
                   [(p.x + dx, p.y + dy) for p in pl.placed])
    new_split = Split(pl.insts, split.outputs, split.output_signed)
    if progress is not None:
        turned = sum(1 for k in pl.sym if k)
        progress(f"flow floorplan: {len(pl.placed)} blocks on {fp.width}x{fp.height}, "
                 f"{turned} turned")
    return Layout(new_split, [p.block for p in pl.placed], fp, pl.sym,
                  [p.start for p in pl.placed])
