"""compiler.macros.select: the sign-controlled word multiplexer, its IR op and match."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.ir import Graph, GraphError, reference
from compiler.macros.match import match_select
from compiler.macros.select import SelectLayoutError, select_bitstream
from compiler.program import compile_program
from fabric.defects import random_defects
from sim.check import check_program
from sim.numpy_sim import FabricSim
from sim.stream import stream_tokens


@pytest.mark.parametrize("m", [1, 2, 5, 8, 12])
def test_row_against_where(m: int) -> None:
    bs = select_bitstream(m)
    rng = np.random.default_rng(m)
    lo, hi = -(1 << (m - 1)), (1 << (m - 1))
    a, b = rng.integers(lo, hi, 300), rng.integers(lo, hi, 300)
    c = rng.integers(-1, 1, 300)
    got = stream_tokens(FabricSim(bs.configs), bs.iomap, bs.width, bs.height,
                        {"a": a, "b": b, "c": c}, seed=m)["y"]
    assert np.array_equal(got, np.where(c < 0, a, b))


def test_ir_select_reference_and_ranges() -> None:
    g = Graph()
    c, a, b = g.input("c", bits=3), g.input("a", bits=4, signed=False), g.input("b", bits=2)
    y = g.select(c, a, b)
    assert (y.lo, y.hi) == ((-2,), (15,))
    g.output("y", y)
    out = reference(g, {"c": np.array([-4, -1, 0, 3]), "a": np.array([9, 9, 9, 9]),
                        "b": np.array([-2, 1, -2, 1])})["y"][:, 0]
    assert out.tolist() == [9, 9, -2, 1]
    with pytest.raises(GraphError, match="different dims"):
        g.select(g.input("v", dim=2), a, b)


def test_general_flow_and_macro_agree_with_the_reference() -> None:
    g = Graph()
    c, a, b = g.input("c", bits=1), g.input("a", bits=3), g.input("b", bits=3)
    g.output("y", g.select(c, a, b))
    assert match_select(g) is not None
    prog = compile_program(g, "sel")
    assert prog.flow == "select row"
    bs = prog.bitstream
    check_program(prog, "numpy", 300, seed=4,
                  defects=random_defects(bs.height, bs.width, 1, np.random.default_rng(4)))
    # a wider condition is not the macro's: the general flow lowers it (one mux per bit)
    g2 = Graph()
    c2, a2, b2 = g2.input("c", bits=3), g2.input("a", bits=3), g2.input("b", bits=3)
    g2.output("y", g2.select(c2, a2, b2))
    assert match_select(g2) is None
    check_program(compile_program(g2, "sel3"), "numpy", 300, seed=5)


def test_bad_width_is_named() -> None:
    with pytest.raises(SelectLayoutError, match=">= 1"):
        select_bitstream(0)
