"""compiler.compose.channels: exact-length paths through free cells, no register shared."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.compose.channels import ChannelRouteError, ChannelRouter, Net, Sink
from fabric.arch import OPPOSITE, SIDE_DELTA


def check_routes(nets: list[Net], blocked: np.ndarray) -> None:
    """Independent check of routed nets: every register copies, one cycle earlier, a
    neighbour register of the same net (or the net's source side in its first cell),
    every sink holds the net at its cycle, no register carries two nets or one net at
    two cycles, no route enters a blocked cell."""
    owner: dict[tuple[int, int, int], str] = {}
    for net in nets:
        for (x, y, d), (tau, s) in net.nodes.items():
            assert not blocked[y, x], f"{net.name} routes through blocked cell {(x, y)}"
            assert (x, y, d) not in owner, f"{(x, y, d)} carries {owner[(x, y, d)]} too"
            owner[(x, y, d)] = net.name
            if (x, y) == net.cell and tau == net.tau1:
                assert s == net.side
                continue
            dx, dy = SIDE_DELTA[s]
            prev = (x + dx, y + dy, OPPOSITE[s])
            assert prev in net.nodes, f"{net.name}: {(x, y, d)} copies an empty side"
            assert net.nodes[prev][0] == tau - 1, f"{net.name}: {(x, y, d)} is off by a cycle"
        for sk in net.sinks:
            assert net.nodes.get(sk.reg, (None,))[0] == sk.tau, f"{net.name} misses {sk}"


def test_padding_to_an_exact_late_cycle() -> None:
    blocked = np.zeros((12, 12), dtype=bool)
    blocked[4:8, 4:8] = True
    net = Net("n", (1, 1), 3, 0, [Sink((10, 10, 1), 40, "late sink")])
    ChannelRouter(12, 12, blocked, set()).run([net])
    check_routes([net], blocked)
    assert len(net.nodes) == 41            # one register per cycle, none used twice


def test_wrong_parity_is_refused_with_the_sink_named() -> None:
    blocked = np.zeros((8, 8), dtype=bool)
    net = Net("n", (0, 0), 3, 0, [Sink((3, 0, 1), 4, "odd sink")])  # 3 hops away, 4 cycles
    with pytest.raises(ChannelRouteError, match="odd sink"):
        ChannelRouter(8, 8, blocked, set()).run([net])


def test_too_early_is_refused() -> None:
    blocked = np.zeros((8, 8), dtype=bool)
    net = Net("n", (0, 0), 3, 0, [Sink((6, 0, 1), 4, "early sink")])
    with pytest.raises(ChannelRouteError, match="no path of exactly 4 hops"):
        ChannelRouter(8, 8, blocked, set()).run([net])


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), n_nets=st.integers(1, 6))
def test_random_nets_route_legally(seed: int, n_nets: int) -> None:
    rng = np.random.default_rng(seed)
    w = h = 16
    blocked = np.zeros((h, w), dtype=bool)
    blocked[6:10, 6:10] = True
    used: set[tuple[int, int, int]] = set()
    nets = []
    for k in range(n_nets):
        while True:
            a = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            b = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            if not blocked[a[1], a[0]] and not blocked[b[1], b[0]] and a != b:
                break
        d = int(rng.integers(0, 4))
        if (b[0], b[1], d) in used:
            continue
        used.add((b[0], b[1], d))
        manh = abs(a[0] - b[0]) + abs(a[1] - b[1])
        tau = manh + 8 + 2 * int(rng.integers(0, 6))
        nets.append(Net(f"n{k}", a, int(rng.integers(0, 4)), 0, [Sink((b[0], b[1], d), tau,
                                                                       f"sink {k}")]))
    ChannelRouter(w, h, blocked, set(), max_iters=60).run(nets)
    check_routes(nets, blocked)
