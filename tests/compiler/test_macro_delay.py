"""compiler.macros.delay: the one-token delay row gated by ``first``, and its match."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.ir import Graph, reference
from compiler.macros.delay import DelayLayoutError, delay_bitstream
from compiler.macros.match import match_delay
from compiler.program import compile_program
from fabric.defects import random_defects
from sim.check import check_program
from sim.numpy_sim import FabricSim
from sim.stream import stream_tokens


@pytest.mark.parametrize("m", [1, 4, 8, 16])
def test_row_against_the_reference(m: int) -> None:
    g = Graph()
    x = g.input("x", bits=m)
    g.output("y", g.delay(x, 1))
    rng = np.random.default_rng(m)
    xs = rng.integers(-(1 << (m - 1)), 1 << (m - 1), 400)
    first = (rng.random(400) < 0.08).astype(np.int64)
    first[0] = 1
    first[200:202] = 1                       # two restarts in a row
    want = reference(g, {"x": xs, "first": first})["y"][:, 0]
    bs = delay_bitstream(m)
    got = stream_tokens(FabricSim(bs.configs), bs.iomap, bs.width, bs.height,
                        {"x": xs, "first": first}, seed=m)["y"]
    assert np.array_equal(got, want)


def test_delay_one_compiles_to_the_row_and_runs_on_defects() -> None:
    g = Graph()
    x = g.input("x", bits=5, signed=False)
    g.output("y", g.delay(x, 1))
    assert match_delay(g) is not None
    prog = compile_program(g, "d1")
    assert prog.flow == "delay row" and prog.usage.used == 5
    bs = prog.bitstream
    check_program(prog, "numpy", 320, seed=3,
                  defects=random_defects(bs.height, bs.width, 1, np.random.default_rng(3)))
    g2 = Graph()
    x2 = g2.input("x", bits=5)
    g2.output("y", g2.delay(x2, 2))             # a chain of rows, only when composed
    assert match_delay(g2) is None


def test_bad_width_is_named() -> None:
    with pytest.raises(DelayLayoutError, match=">= 1"):
        delay_bitstream(0)


def test_a_vector_delay_is_one_row() -> None:
    """A one-token delay of a vector (words side by side in one row), matched and
    exact with restarts; in a composed program a short vector's delay is one block."""
    from compiler.compose.split import split_graph

    g = Graph()
    g.output("y", g.delay(g.input("x", dim=3, bits=2), 1))
    prog = compile_program(g, "vd")
    assert prog.flow == "delay row" and prog.bitstream.width == 6
    check_program(prog, "numpy", 300, seed=4)
    g2 = Graph()
    g2.output("y", g2.delay(g2.input("x", dim=5, bits=1), 3))
    assert sum(i.name.endswith("delay") for i in split_graph(g2).instances) == 3
    check_program(compile_program(g2, "vd3", compose=True, time_budget=120), "numpy", 300)
