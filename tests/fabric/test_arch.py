"""The architecture layer (fabric/arch.py) against the DESIGN laws and the simulator."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cells.truth import copy_table, make_config
from fabric.arch import (
    BUS_SIDE,
    BUSES,
    INPUT_BUSES,
    OPPOSITE,
    OUTPUT_BUSES,
    SIDE_DELTA,
    Arch,
    E,
    N,
    S,
    W,
    bus_width,
    hop_lag,
)
from sim.numpy_sim import FabricSim

SHAPES = [(1, 1), (1, 4), (5, 1), (5, 3), (4, 7)]


def test_sides_and_opposites() -> None:
    assert OPPOSITE == (S, W, N, E)
    for d in range(4):
        dx, dy = SIDE_DELTA[d]
        assert SIDE_DELTA[OPPOSITE[d]] == (-dx, -dy)
    # y grows southwards, x eastwards (DESIGN §2)
    assert SIDE_DELTA[N] == (0, -1) and SIDE_DELTA[E] == (1, 0)
    assert SIDE_DELTA[S] == (0, 1) and SIDE_DELTA[W] == (-1, 0)


@pytest.mark.parametrize("shape", SHAPES)
def test_port_cells_at_the_corners(shape: tuple[int, int]) -> None:
    w, h = shape
    a = Arch(w, h)
    want = {("west_in", 0): (0, 0), ("west_in", h - 1): (0, h - 1),
            ("east_in", 0): (w - 1, 0), ("east_in", h - 1): (w - 1, h - 1),
            ("north_in", 0): (0, 0), ("north_in", w - 1): (w - 1, 0),
            ("south_in", 0): (0, h - 1), ("south_in", w - 1): (w - 1, h - 1)}
    for (bus, i), cell in want.items():
        assert a.port_cell(bus, i) == cell, (bus, i)
        out = bus.replace("_in", "_out")
        assert a.port_cell(out, i) == cell, (out, i)


@pytest.mark.parametrize("shape", SHAPES)
def test_every_port_bit_is_on_its_border(shape: tuple[int, int]) -> None:
    """Each bit of a bus is a distinct cell whose neighbour on the bus's side is off
    the fabric; widths: H west/east, W north/south."""
    w, h = shape
    a = Arch(w, h)
    for bus in BUSES:
        n = a.bus_width(bus)
        assert n == (h if bus.split("_")[0] in ("west", "east") else w)
        cells = [a.port_cell(bus, i) for i in range(n)]
        assert len(set(cells)) == n
        for c in cells:
            assert a.in_grid(c) and a.neighbour(c, BUS_SIDE[bus]) is None
    assert len(a.ports(INPUT_BUSES)) == len(a.ports(OUTPUT_BUSES)) == 2 * (w + h)
    with pytest.raises(ValueError, match="unknown bus 'up_in'"):
        bus_width("up_in", w, h)


@pytest.mark.parametrize("shape", SHAPES)
def test_register_ids_round_trip(shape: tuple[int, int]) -> None:
    a = Arch(*shape)
    ids = []
    for y in range(a.height):
        for x in range(a.width):
            for d in range(4):
                r = a.reg(x, y, d)
                assert a.reg_loc(r) == (x, y, d)
                assert r == int(np.ravel_multi_index((y, x, d), a.reg_shape))
                ids.append(r)
    assert sorted(ids) == list(range(a.n_regs))


def test_feeder_is_the_facing_register_of_the_neighbour() -> None:
    a = Arch(4, 3)
    assert a.feeder(1, 1, N) == 4 * (0 * 4 + 1) + S
    assert a.feeder(1, 1, E) == 4 * (1 * 4 + 2) + W
    assert a.feeder(1, 1, S) == 4 * (2 * 4 + 1) + N
    assert a.feeder(1, 1, W) == 4 * (1 * 4 + 0) + E
    assert a.feeder(0, 1, W) is None and a.feeder(3, 2, S) is None


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 7), st.integers(0, 7), st.integers(-5, 5),
       st.lists(st.sampled_from([N, E, S, W]), max_size=30))
def test_lag_law_on_a_path(x0: int, y0: int, t0: int, hops: list[int]) -> None:
    """DESIGN §3: one cycle per hop; east/south keep the lag, west/north add 2; the
    phase never changes."""
    cell, t = (x0, y0), t0
    lag0 = Arch.lag(t, cell)
    expect = lag0
    for side in hops:
        dx, dy = SIDE_DELTA[side]
        before = Arch.lag(t, cell)
        cell, t = (cell[0] + dx, cell[1] + dy), t + 1
        after = Arch.lag(t, cell)
        assert after - before == (0 if side in (E, S) else 2) == hop_lag(side)
        assert Arch.time_of(after, cell) == t
        expect += 0 if side in (E, S) else 2
    assert Arch.lag(t, cell) == expect
    assert Arch.phase(t, cell) == Arch.phase(t0, (x0, y0))


def _bfs(a: Arch, src: tuple[int, int]) -> dict[tuple[int, int], int]:
    dist = {src: 0}
    todo = deque([src])
    while todo:
        c = todo.popleft()
        for nb in a.neighbours(c):
            if nb not in dist:
                dist[nb] = dist[c] + 1
                todo.append(nb)
    return dist


@pytest.mark.parametrize("shape", [(4, 3), (1, 3), (3, 1)])
def test_side_hops_is_the_shortest_route_into_that_side(shape: tuple[int, int]) -> None:
    """A LUT driver at ``src`` reaches input side ``s`` of ``cell`` after stepping to
    the neighbour on ``s`` (grid BFS) and one more cycle; a side off the fabric is
    unusable; an input port adds its own hop and may enter its border cell directly."""
    a = Arch(*shape)
    cells = [(x, y) for y in range(a.height) for x in range(a.width)]
    for src in cells:
        dist = _bfs(a, src)
        for cell in cells:
            for s in range(4):
                nb = a.neighbour(cell, s)
                want = None if nb is None else dist[nb] + 1
                assert a.side_hops(src, -1, cell, s) == want
                got_port = a.side_hops(src, s, cell, s)
                if nb is None:
                    assert got_port == (1 if src == cell else None)
                else:
                    assert got_port == dist[nb] + 2
        for dst in cells:
            assert Arch.min_hops(src, False, dst, False) == (dist[dst] or 2)


@pytest.mark.parametrize("bus", INPUT_BUSES)
def test_input_port_enters_its_cell_on_its_side_in_the_simulator(bus: str) -> None:
    """The numpy simulator (its own wiring) agrees: driving ``bus[i]`` reaches input
    side ``BUS_SIDE[bus]`` of ``port_cell(bus, i)``."""
    a = Arch(4, 3)
    for i in range(a.bus_width(bus)):
        x, y = a.port_cell(bus, i)
        side = BUS_SIDE[bus]
        cfg = np.zeros((a.height, a.width), dtype=np.uint64)
        cfg[y, x] = make_config([copy_table(side)] * 4)
        sim = FabricSim(cfg)
        drive = np.zeros((1, a.bus_width(bus)), dtype=np.uint8)
        drive[0, i] = 1
        sim.run({bus: drive})
        state = sim.state
        assert state[:, y, x].tolist() == [1, 1, 1, 1]
        assert int(state.sum()) == 4


@pytest.mark.parametrize("bus", OUTPUT_BUSES)
def test_output_port_shows_its_register_in_the_simulator(bus: str) -> None:
    """``bus[i]`` shows register ``port_reg(bus, i)``: only that register is set."""
    a = Arch(4, 3)
    for i in range(a.bus_width(bus)):
        x, y, d = a.reg_loc(a.port_reg(bus, i))
        tables = [0, 0, 0, 0]
        tables[d] = 0xFFFF
        cfg = np.zeros((a.height, a.width), dtype=np.uint64)
        cfg[y, x] = make_config(tables)
        out = FabricSim(cfg).run(cycles=2)[bus]
        assert out[1].tolist() == [int(j == i) for j in range(a.bus_width(bus))]
