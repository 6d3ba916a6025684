"""compiler.macros.argmax: the argmax chain, against numpy's argmax (first index of the
maximum), and its match and place in composition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.ir import Graph
from compiler.lower import word_name
from compiler.macros.argmax import ArgmaxLayoutError, argmax_bitstream
from compiler.macros.match import match_argmax
from compiler.program import compile_program
from fabric.defects import random_defects
from sim.check import check_program
from sim.numpy_sim import FabricSim
from sim.stream import stream_tokens


def _tie_heavy(rng: np.random.Generator, n: int, bits: int, signed: bool,
               tokens: int) -> np.ndarray:
    """Words drawn from a few values of the type (its extremes among them), so that
    most tokens have a tie for the maximum somewhere."""
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    pool = np.unique(np.concatenate([[lo, hi, (lo + hi) // 2],
                                     rng.integers(lo, hi + 1, 3)]))
    x = rng.choice(pool, size=(tokens, n))
    x[: tokens // 2] = rng.integers(lo, hi + 1, size=(tokens // 2, n))   # and uniform
    return x


def _run(n: int, bits: int, signed: bool, x: np.ndarray, seed: int) -> np.ndarray:
    bs = argmax_bitstream(n, bits, signed)
    words = {word_name("x", j, n): x[:, j] for j in range(n)}
    return stream_tokens(FabricSim(bs.configs), bs.iomap, bs.width, bs.height, words,
                         seed=seed)["y"]


@pytest.mark.parametrize("n,bits,signed", [(2, 1, True), (2, 1, False), (3, 4, True),
                                           (5, 3, False), (8, 6, True), (32, 6, True),
                                           (17, 8, False), (4, 16, True)])
def test_the_chain_is_numpys_argmax_with_the_lowest_index_on_ties(n: int, bits: int,
                                                                  signed: bool) -> None:
    rng = np.random.default_rng(n * 100 + bits)
    x = _tie_heavy(rng, n, bits, signed, 300)
    got = _run(n, bits, signed, x, seed=n)
    want = np.argmax(x, axis=1)
    ties = int(np.sum((x == x.max(axis=1, keepdims=True)).sum(axis=1) > 1))
    assert ties > 30, "the inputs must exercise ties"
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, (f"token {bad[0]}: {x[bad[0]].tolist()} -> {got[bad[0]]}, "
                           f"want {want[bad[0]]}")


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 12), bits=st.integers(1, 7), signed=st.booleans(),
       seed=st.integers(0, 2**16))
def test_random_shapes(n: int, bits: int, signed: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = _tie_heavy(rng, n, bits, signed, 120)
    assert np.array_equal(_run(n, bits, signed, x, seed), np.argmax(x, axis=1))


def test_a_graph_argmax_compiles_to_the_chain_also_on_a_defect_map() -> None:
    g = Graph()
    g.output("i", g.argmax(g.input("x", dim=6, bits=5)))
    prog = compile_program(g, "argmax6")
    assert prog.flow == "argmax chain"
    check_program(prog, "numpy", 300, seed=1)
    bs = prog.bitstream
    check_program(prog, "numpy", 300, seed=2,
                  defects=random_defects(bs.height, bs.width, 1, np.random.default_rng(3)))


def test_what_it_does_not_take_is_refused_or_not_matched() -> None:
    with pytest.raises(ArgmaxLayoutError, match="at least 2"):
        argmax_bitstream(1, 4, True)
    with pytest.raises(ArgmaxLayoutError, match="17-bit"):
        argmax_bitstream(4, 17, True)
    g = Graph()
    g.output("i", g.argmax(g.input("x", dim=3, bits=17)))
    assert match_argmax(g) is None
    g = Graph()
    x = g.input("x", dim=3, bits=4)
    g.output("i", g.argmax(g.add(x, x)))
    assert match_argmax(g) is None           # not an argmax of a token input alone

