"""Placement and schedule obey the timing laws (DESIGN §3)."""

from __future__ import annotations

import numpy as np
import pytest
from lg_backend_gen import random_netlist

from compiler.errors import FitError
from compiler.pack import pack
from compiler.place_greedy import place
from compiler.place_layered import place_layered
from fabric.arch import BUS_SIDE, Arch


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_schedule_is_feasible_with_parity(seed: int) -> None:
    nl = random_netlist(np.random.default_rng(seed), n_luts=8)
    pl = place(nl, (24, 24), seed=0)
    p = pl.packed
    cells = set()
    for c in p.clusters:
        cell = pl.cell[c.index]
        assert cell not in cells
        cells.add(cell)
        for d, k in c.inputs:
            src, is_port, ts = pl.driver_loc(d)
            hops = pl.time[c.index] - ts + k
            need = Arch.min_hops(src, is_port, cell, False)
            assert hops >= need and (hops - need) % 2 == 0
    assert min(pl.in_time[d] for d in pl.in_port if p.sinks.get(d)) == 0
    assert all(t >= 0 for t in pl.out_time)
    for i, o in enumerate(p.outputs):
        if o.ref is not None:
            src, is_port, ts = pl.driver_loc(o.ref[0])
            oc = pl.arch.port_cell(*pl.out_port[i])
            hops = pl.out_time[i] + 1 - ts + o.ref[1]
            assert hops >= Arch.min_hops(src, is_port, oc, True)


def test_same_seed_same_placement() -> None:
    nl = random_netlist(np.random.default_rng(4), n_luts=8)
    a, b = place(nl, (20, 20), seed=3), place(nl, (20, 20), seed=3)
    assert a.cell == b.cell and a.time == b.time and a.in_port == b.in_port


def test_full_adder_shares_a_cell() -> None:
    from compiler.netlist import Netlist
    nl = Netlist()
    a, b, c = nl.input("a", 0), nl.input("b", 0), nl.input("c", 0)
    nl.output("s", 0, nl.lut([a, b, c], 0b10010110))
    nl.output("s", 1, nl.lut([a, b, c], 0b11101000))
    assert len(pack(nl).clusters) == 1


def test_too_small_fabric() -> None:
    nl = random_netlist(np.random.default_rng(1), n_luts=20)
    with pytest.raises(FitError, match="needs at least"):
        place(nl, (2, 2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_layered_schedule_gives_every_input_its_own_side(seed: int) -> None:
    """Each cluster input arrives on a distinct side, over a route at least as long
    as the side's detour needs and of the right parity (DESIGN §1, §3)."""
    nl = random_netlist(np.random.default_rng(seed), n_luts=8)
    pl = place_layered(pack(nl), None, seed=0)
    p = pl.packed
    assert len(set(pl.cell)) == len(pl.cell)
    for c in p.clusters:
        _, sides = pl.plan(c.index, pl.in_time)
        assert len(set(sides)) == len(sides)
        for (d, k), s in zip(c.inputs, sides, strict=True):
            src, is_port, ts = pl.driver_loc(d)
            port_side = -1
            if is_port:
                port_side = BUS_SIDE[pl.in_port[d][0]]
            need = pl.arch.side_hops(src, port_side, pl.cell[c.index], s)
            hops = pl.time[c.index] - ts + k
            assert need is not None and hops >= need and (hops - need) % 2 == 0


@pytest.mark.parametrize("seed", [0, 1])
def test_split_feeds_gives_readers_their_own_input_feeds(seed: int) -> None:
    """With feeds every input driver has one port, feeds are named ``x@TAG`` of a token
    word, no relay reads a token input and every port bit is used once."""
    from fabric.iomap import base_word

    nl = random_netlist(np.random.default_rng(seed), n_luts=12)
    base = pack(nl)
    pl = place_layered(base, None, seed=0, feeds=True)
    p = pl.packed
    words = {w for w, _, _ in base.inputs}
    assert {base_word(w) for w, _, _ in p.inputs} == words
    assert len(p.inputs) >= len(base.inputs)
    ports = [pl.in_port[d] for _, _, d in p.inputs]
    assert len(set(ports)) == len(ports)
    ins = {d for _, _, d in p.inputs}
    for r in p.relays:
        assert all(d not in ins for d, _ in p.luts[r].inputs)
