"""Scheduling: every cycle of a placement (clusters, input and output offsets).

This module owns the cycles of a :class:`~compiler.placement.Placement` whose cells
and ports are fixed: :func:`schedule` assigns them (ASAP with per-input sides, inputs
as late as their readers allow, :func:`latest_input_offsets`); :func:`_retime_relays`
spreads the slack of relay chains; :func:`retime` delays what the router asks for
(clusters and outputs stuck on shared registers); :func:`settle_offsets` takes the
port offsets the router chose. Each ends with the times normalised (the earliest live
input offset is 0).
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
    it = {d: v - slack for d, v in latest_input_offsets(pl, in0).items()}
    for d in in_ids:
        it.setdefault(d, in0[d])
    pl.time, pl.in_time = t, it
    pl.out_time = [0 if o.ref is None else earliest_output_offset(pl, i) + slack
                   for i, o in enumerate(p.outputs)]
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


def earliest_output_offset(pl: Placement, i: int) -> int:
    """Earliest offset (cycles) of output bit ``i`` (it must read a driver): the
    driver's cycle plus the shortest route to the output port's register, less the
    ``k`` tokens it reads back (DESIGN §3)."""
    d, k = pl.packed.outputs[i].ref  # type: ignore[misc]
    cell, is_port, ts = pl.driver_loc(d)
    oc = pl.arch.port_cell(*pl.out_port[i])
    return ts + Arch.min_hops(cell, is_port, oc, True) - k - 1


def latest_input_offsets(pl: Placement, in_times: dict[int, int] | None) -> dict[int, int]:
    """Latest offset (cycles) of every input bit that a cluster reads such that each
    cluster reader still gets it in time over the shortest route into the side
    :meth:`~compiler.placement.Placement.plan` gives it (``in_times``: as for ``plan``).
    Keys in order of first reader."""
    p = pl.packed
    arch = pl.arch
    need: dict[int, int] = {}
    for c in p.clusters:
        _, sides = pl.plan(c.index, in_times)
        for (d, k), sd in zip(c.inputs, sides, strict=True):
            if d in p.cluster_of:
                continue
            port, idx = pl.in_port[d]
            hops = arch.side_hops(arch.port_cell(port, idx), BUS_SIDE[port], pl.cell[c.index],
                                  sd)
            assert hops is not None
            v = pl.time[c.index] + k - hops
            need[d] = min(need.get(d, v), v)
    return need


def retime(pl: Placement, bump_c: set[int], bump_o: set[int], in_extra: dict[int, int]
           ) -> None:
    """Delay clusters ``bump_c`` and output bits ``bump_o`` by 2 cycles (the router's
    request), then push every cluster and output that lacks time by whole detours of
    2 cycles, put each input bit as late as its readers allow minus ``2 * in_extra[d]``
    cycles of extra slack, normalise, and park constant outputs. In place."""
    p = pl.packed
    arch = pl.arch
    for ci in bump_c:
        pl.time[ci] += 2
    for oi in bump_o:
        pl.out_time[oi] += 2
    # keep every edge feasible (inputs are free here: they are re-timed below)
    for c in p.clusters:
        need, _ = pl.plan(c.index, None)
        if need is not None and need > pl.time[c.index]:
            pl.time[c.index] += (need - pl.time[c.index] + 1) // 2 * 2
    # inputs as late as their readers allow (minus the extra slack they were given)
    need_in = latest_input_offsets(pl, None)
    for d in sorted(pl.in_port):
        pc = arch.port_cell(*pl.in_port[d])
        need = need_in.get(d)
        for kind, idx, k in p.sinks.get(d, []):
            if kind == "o":
                cell, _, ts = pl.sink_loc(kind, idx)
                v = ts + k - Arch.min_hops(pc, True, cell, True)
                need = v if need is None else min(need, v)
        if need is not None:
            pl.in_time[d] = need - 2 * in_extra.get(d, 0)
    pl.shift_times()
    for i, o in enumerate(p.outputs):
        if o.ref is None:
            continue
        need = earliest_output_offset(pl, i)
        if need > pl.out_time[i]:
            pl.out_time[i] += (need - pl.out_time[i] + 1) // 2 * 2
    pl.park_constant_outputs()


def settle_offsets(pl: Placement, in_offsets: dict[int, int], out_offsets: dict[int, int]
                   ) -> int:
    """Take the offsets the router chose: input driver ``d`` enters at
    ``in_offsets[d]``, output bit ``i`` leaves at ``out_offsets[i]`` (cycles; then
    constant outputs are parked at the new latency). Shift every time so the earliest
    live input is 0 again; return the shift subtracted (cycles)."""
    for d, t in in_offsets.items():
        pl.in_time[d] = t
    for i, t in out_offsets.items():
        pl.out_time[i] = t
    if out_offsets:
        pl.park_constant_outputs()
    return pl.shift_times()
