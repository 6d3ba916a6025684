"""Scheduling: every cycle of a placement (clusters, input and output offsets).

:func:`schedule` assigns the cycles of a :class:`~compiler.placement.Placement` whose
cells and ports are fixed (ASAP with per-input sides, inputs as late as their readers
allow); :func:`_retime_relays` spreads the slack of relay chains.
"""

from __future__ import annotations

from compiler.placement import Placement
from fabric.arch import BUS_SIDE, Arch, Cell


def schedule(pl: Placement, slack: int = 0) -> None:
    """Assign every cycle of ``pl`` (clusters, input and output offsets), in place.

    Clusters are scheduled as soon as possible given the placement, each input on
    its own side (:func:`compiler.placement.assign_sides`, so a LUT whose inputs all come from one
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
