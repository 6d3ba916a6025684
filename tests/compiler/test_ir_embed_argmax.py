"""Embed and Argmax (DESIGN §5) in the IR: reference semantics, errors, lowering."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.ir import Graph, GraphError, reference
from compiler.program import compile_program
from sim.check import check_program


def test_embed_reads_rows_and_zeros_beyond_the_vocabulary() -> None:
    g = Graph()
    ids = g.input("id", bits=2, signed=False)
    e = g.embed(ids, [[1, -2], [3, 4], [-5, 6]], bits=4)
    assert (e.dim, e.lo, e.hi) == (2, (-5, -2), (3, 6))     # row 3 (zeros) is reachable
    g.output("e", e)
    out = reference(g, {"id": np.array([0, 1, 2, 3])})["e"]
    assert out.tolist() == [[1, -2], [3, 4], [-5, 6], [0, 0]]


def test_argmax_picks_the_lowest_index_on_ties() -> None:
    g = Graph()
    x = g.input("x", dim=4, bits=3)
    a = g.argmax(x)
    assert (a.dim, a.type.bits, a.type.signed, a.hi) == (1, 2, False, (3,))
    g.output("a", a)
    xs = np.array([[1, 3, 3, 0], [-4, -4, -4, -4], [0, 1, 2, 3], [3, -1, 3, 3]])
    assert reference(g, {"x": xs})["a"][:, 0].tolist() == [1, 0, 3, 0]


def test_bad_embed_and_argmax_are_named() -> None:
    g = Graph()
    ids = g.input("id", bits=2, signed=False)
    with pytest.raises(GraphError, match="5 rows, but a 2-bit id"):
        g.embed(ids, np.zeros((5, 2), dtype=int), bits=4)
    with pytest.raises(GraphError, match="row 1 entry 0 = 9 does not fit"):
        g.embed(ids, [[0], [9]], bits=4)
    with pytest.raises(GraphError, match="shape"):
        g.embed(ids, [1, 2], bits=4)
    with pytest.raises(GraphError, match="one word"):
        g.embed(g.input("v", dim=2), [[1]], bits=4)


@pytest.mark.parametrize("which", ["embed", "argmax"])
def test_general_flow_lowers_them_exactly(which: str) -> None:
    g = Graph()
    if which == "embed":             # 5-bit ids: wider than the row gather takes
        ids = g.input("id", bits=5, signed=False)
        g.output("e", g.embed(ids, np.arange(-14, 14).reshape(14, 2) // 4, bits=3))
    else:
        g.output("a", g.argmax(g.input("x", dim=3, bits=2)))
    prog = compile_program(g, which, macros=False)   # argmax has a macro of its own
    assert prog.flow == "general"
    check_program(prog, "numpy", 300, seed=2)


def test_an_embedding_of_few_rows_is_a_row_gather() -> None:
    g = Graph()
    ids = g.input("id", bits=4, signed=False)
    g.output("e", g.embed(ids, np.random.default_rng(1).integers(-128, 128, (16, 8)),
                          bits=8))                  # 64 bits a row: one gather per bit
    prog = compile_program(g, "rows")
    assert prog.flow == "row gather"
    check_program(prog, "numpy", 300, seed=3)
