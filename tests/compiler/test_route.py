"""Routes: exact lengths, one stream per register, legal hops."""

from __future__ import annotations

import numpy as np
import pytest
from lg_backend_gen import random_netlist

from compiler.flow import compile_netlist
from compiler.macros.multiply import build_multiply
from compiler.placement import Placement
from compiler.route import COMPUTE, Routes
from fabric.arch import OPPOSITE, SIDE_DELTA


@pytest.mark.parametrize("seed", [0, 2, 6])
def test_routes_are_exact_and_exclusive(seed: int) -> None:
    nl = random_netlist(np.random.default_rng(seed), n_luts=6)
    res = compile_netlist(nl)
    _check_routes(res.placement, res.routes)


def test_input_offsets_are_where_the_router_entered() -> None:
    """Input port nets enter at the cycle the router picked (up to ``2 * feed_slack``
    before the schedule's); the placement's offsets follow, the earliest live one is 0."""
    lay = build_multiply(4, 4, 8)
    _check_routes(lay.placement, lay.routes)
    pl = lay.placement
    live = [pl.in_time[d] for d in pl.in_port if pl.packed.sinks.get(d)]
    assert min(live) == 0


def _check_routes(pl: Placement, routes: Routes) -> None:
    w, h = pl.width, pl.height
    owner: dict[int, int] = {}
    for drv, net in routes.nets.items():
        for reg, (tau, src) in net.nodes.items():
            assert reg not in owner, "register shared by two nets"
            owner[reg] = drv
            c = reg >> 2
            x, y = c % w, c // w
            if src == COMPUTE:
                cl = pl.packed.cluster_of[drv]
                assert pl.cell[cl] == (x, y) and pl.time[cl] == tau
                continue
            dx, dy = SIDE_DELTA[src]
            nx, ny = x + dx, y + dy
            if 0 <= nx < w and 0 <= ny < h:
                prev = 4 * (ny * w + nx) + OPPOSITE[src]
                assert net.nodes[prev][0] == tau - 1, "a hop must take exactly one cycle"
            else:
                assert pl.in_time[drv] == tau - 1, "edge port feeds the border cell"
        assert len(net.terminals) == len(pl.packed.sinks[drv])
