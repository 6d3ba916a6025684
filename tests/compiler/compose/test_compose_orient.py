"""The flow floorplan: blocks turned to face their producers, and reordered layers."""

from __future__ import annotations

import numpy as np

from compiler.compose.orient import flow_floorplan
from compiler.compose.phase import legalise_phases
from compiler.compose.split import split_graph
from compiler.compose.stitch import _drop_unread, _options
from compiler.compose.variants import reversed_inputs
from compiler.ir import Graph, reference
from compiler.lower import lower
from compiler.program import Program, block_library
from fabric.arch import BUS_SIDE, W
from fabric.defects import random_defects
from sim.check import check_program

LIB = block_library()


def _two_layers(seed: int = 5) -> Graph:
    rng = np.random.default_rng(seed)
    g = Graph()
    x = g.input("x", dim=4, bits=4)
    h = g.linear(x, rng.integers(-8, 8, size=(6, 4)), shift=3, bits=4)
    g.output("y", g.linear(h, rng.integers(-8, 8, size=(3, 6)), shift=3, bits=8))
    return g


def _split(g: Graph):
    sp = split_graph(legalise_phases(g)[0])
    blocks = [LIB.get(i.graph, i.name) for i in sp.instances]
    return _drop_unread(sp, blocks)


def test_reversed_inputs_compute_the_same_layer() -> None:
    sp, _blocks = _split(_two_layers())
    inst = sp.instances[1]
    rev = reversed_inputs(inst)
    assert rev is not None
    rng = np.random.default_rng(1)
    xs = rng.integers(-8, 8, size=(50, 6))
    got = reference(rev.graph, {"i0": xs[:, ::-1]})["y"]
    want = reference(inst.graph, {"i0": xs})["y"]
    assert np.array_equal(got, want)
    # element k of the reversed layer reads what element 5-k read
    assert rev.bindings["i0[0]"] == inst.bindings["i0[5]"]
    assert reversed_inputs(sp.instances[0]) is not None
    g = Graph()
    a = g.input("a", bits=4)
    g.output("y", g.add(a, a, bits=None))
    assert reversed_inputs(split_graph(g).instances[0]) is None


def test_consumer_layer_is_turned_to_face_its_producer() -> None:
    sp, blocks = _split(_two_layers())
    lay = flow_floorplan(sp, _options(sp, blocks, LIB, None), 3)
    (x1, y1), (x2, y2) = lay.floorplan.pos
    b1, b2 = lay.blocks
    # the producer sends its outputs east (the macro's own side); the consumer takes
    # every input on its west side, east of the producer
    assert {BUS_SIDE[pb.port] for bits in b2.bitstream.iomap.inputs.values()
            for pb in bits} == {W}
    assert x2 > x1 + b1.width


def test_two_layers_compose_bit_exact_with_defects() -> None:
    from compiler.compose import compose_graph

    g = _two_layers(7)
    res = compose_graph(g, LIB)
    prog = Program("composed", res.bitstream, lower(g).netlist, g, None, 0.0, 0, "composed")
    check_program(prog, tokens=300, seed=2)
    bs = res.bitstream
    check_program(prog, tokens=300, seed=3,
                  defects=random_defects(bs.height, bs.width, 1, np.random.default_rng(3)))
