"""compiler.macros.table: the gather layout of an elementwise table, and its match."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.ir import Graph
from compiler.macros.match import match_table
from compiler.macros.table import TableLayoutError, table_bitstream
from compiler.program import compile_program
from fabric.defects import random_defects
from sim.check import check_program
from sim.numpy_sim import FabricSim
from sim.stream import stream_tokens


@pytest.mark.parametrize("b", [1, 2, 3, 4])
def test_every_width_against_the_table(b: int) -> None:
    for m in (1, 2, 3, 5, 8):
        rng = np.random.default_rng(10 * b + m)
        table = rng.integers(0, 1 << m, 1 << b)
        bs = table_bitstream(table.tolist(), b, m, signed_out=False)
        x = rng.integers(0, 1 << b, 200)
        got = stream_tokens(FabricSim(bs.configs), bs.iomap, bs.width, bs.height,
                            {"x": x}, seed=b)["y"]
        assert np.array_equal(got, table[x]), (b, m)


@pytest.mark.parametrize("signed_in", [False, True])
def test_signed_relu_and_exp_tables_compile_to_the_macro(signed_in: bool) -> None:
    g = Graph()
    x = g.input("x", bits=4, signed=signed_in)
    vals = [v - 16 if signed_in and v >= 8 else v for v in range(16)]
    g.output("r", g.table(x, [max(0, v) for v in vals], bits=4 if signed_in else 5))
    prog = compile_program(g, "relu")
    assert prog.flow == "table gather"
    check_program(prog, "numpy", 300, seed=1)
    bs = prog.bitstream
    check_program(prog, "numpy", 300, seed=2,
                  defects=random_defects(bs.height, bs.width, 1, np.random.default_rng(2)))
    g2 = Graph()
    x2 = g2.input("x", bits=3)
    g2.output("e", g2.table(x2, [int(round(2 ** (v / 2))) - 5 for v in range(-4, 4)], bits=6))
    check_program(compile_program(g2, "exp"), "numpy", 300, seed=3)


def test_wide_or_vector_tables_are_not_matched() -> None:
    g = Graph()
    x = g.input("x", bits=5)
    g.output("y", g.table(x, list(range(32)), bits=6))
    assert match_table(g) is None
    g = Graph()
    x = g.input("x", dim=2, bits=3)
    g.output("y", g.table(x, list(range(8)), bits=4))
    assert match_table(g) is None


def test_bad_arguments_are_named() -> None:
    with pytest.raises(TableLayoutError, match="5 bits"):
        table_bitstream(list(range(32)), 5, 4)
    with pytest.raises(TableLayoutError, match="needs 8"):
        table_bitstream(list(range(7)), 3, 4)
