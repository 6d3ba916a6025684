"""The schedule module owns the cycles: input offsets, the router's retime and its
chosen port offsets (DESIGN §3 timing laws)."""

from __future__ import annotations

import numpy as np
import pytest
from lg_backend_gen import random_netlist

from compiler.pack import pack
from compiler.place_layered import place_layered
from compiler.schedule import (
    earliest_output_offset,
    latest_input_offsets,
    retime,
    settle_offsets,
)
from fabric.arch import BUS_SIDE


def _placed(seed: int, slack: int = 2):
    nl = random_netlist(np.random.default_rng(seed), n_luts=10)
    return place_layered(pack(nl), None, slack=slack)


def _input_slack(pl) -> dict[int, list[int]]:
    """Per input driver read by a cluster: cycles to spare on each reader's route."""
    p = pl.packed
    out: dict[int, list[int]] = {}
    for c in p.clusters:
        _, sides = pl.plan(c.index, None)
        for (d, k), s in zip(c.inputs, sides, strict=True):
            if d in p.cluster_of:
                continue
            port, idx = pl.in_port[d]
            hops = pl.arch.side_hops(pl.arch.port_cell(port, idx), BUS_SIDE[port],
                                     pl.cell[c.index], s)
            out.setdefault(d, []).append(pl.time[c.index] + k - pl.in_time[d] - hops)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_latest_input_offsets_leave_no_slack_on_the_tightest_reader(seed: int) -> None:
    pl = _placed(seed)
    latest = latest_input_offsets(pl, None)
    pl.in_time.update(latest)
    for d, slack in _input_slack(pl).items():
        assert min(slack) == 0, d
    assert set(latest) == set(_input_slack(pl))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_retime_delays_what_was_asked_and_keeps_every_edge_feasible(seed: int) -> None:
    pl = _placed(seed, slack=0)             # no slack: a delay must push the readers
    p = pl.packed
    # the cluster with the most cluster readers (they must be pushed along)
    readers = {c.index: [r.index for r in p.clusters
                         if any(p.cluster_of.get(d) == c.index for d, _ in r.inputs)]
               for c in p.clusters}
    ci = max(readers, key=lambda c: (len(readers[c]), c))
    assert readers[ci]
    # its cycle relative to its cluster drivers is shift-invariant
    drivers = [p.cluster_of[d] for d, _ in p.clusters[ci].inputs if d in p.cluster_of]
    before = [pl.time[ci] - pl.time[u] for u in drivers]
    retime(pl, {ci}, set(), {})
    live = [pl.in_time[d] for d in pl.in_port if p.sinks.get(d)]
    assert min(live) == 0
    assert [pl.time[ci] - pl.time[u] for u in drivers] == [b + 2 for b in before]
    for c in p.clusters:                    # every cluster input still arrives in time
        need, _ = pl.plan(c.index, pl.in_time)
        assert need is None or need <= pl.time[c.index]
        assert (need is None or (pl.time[c.index] - need) % 2 == 0)
    for slack in _input_slack(pl).values():
        assert min(slack) >= 0


def test_settle_offsets_takes_the_router_offsets_and_normalises() -> None:
    pl = _placed(1)
    p = pl.packed
    live = [d for d in pl.in_port if p.sinks.get(d)]
    d0 = live[0]
    t_c = list(pl.time)
    new_in = {d: pl.in_time[d] + 10 for d in live}
    new_in[d0] -= 4
    shift = settle_offsets(pl, new_in, {})
    assert shift == min(new_in.values())
    assert min(pl.in_time[d] for d in live) == 0
    assert pl.time == [t - shift for t in t_c]
    assert pl.in_time[d0] == new_in[d0] - shift


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_outputs_leave_after_their_shortest_route(seed: int) -> None:
    """An output reads its driver over at least the Manhattan distance (+1 out of the
    port register's cell) and an even number of detour cycles more."""
    pl = _placed(seed, slack=0)
    for i, o in enumerate(pl.packed.outputs):
        if o.ref is None:
            continue
        cell, is_port, ts = pl.driver_loc(o.ref[0])
        oc = pl.arch.port_cell(*pl.out_port[i])
        dist = abs(cell[0] - oc[0]) + abs(cell[1] - oc[1]) + int(is_port) + 1
        hops = pl.out_time[i] + 1 - ts + o.ref[1]
        assert earliest_output_offset(pl, i) == ts + dist - o.ref[1] - 1
        assert hops >= dist and (hops - dist) % 2 == 0
