"""compiler.macros.adder: the one-row ripple adder/subtractor, and its match."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.ir import Graph
from compiler.macros.adder import AdderLayoutError, adder_bitstream
from compiler.macros.match import match_adder
from compiler.program import compile_program
from sim.check import check_program
from sim.numpy_sim import FabricSim
from sim.stream import stream_tokens


def _wrap(v: np.ndarray, m: int) -> np.ndarray:
    v = v % (1 << m)
    return v - ((v >> (m - 1)) & 1) * (1 << m)


@pytest.mark.parametrize("sub", [False, True])
@pytest.mark.parametrize("signed", [False, True])
def test_every_width_against_integer_arithmetic(sub: bool, signed: bool) -> None:
    for n in range(1, 6):
        for m in range(1, 9):
            bs = adder_bitstream(n, m, sub=sub, a_signed=signed, b_signed=signed)
            rng = np.random.default_rng(10 * n + m)
            a, b = rng.integers(0, 1 << n, 150), rng.integers(0, 1 << n, 150)
            got = stream_tokens(FabricSim(bs.configs), bs.iomap, bs.width, bs.height,
                                {"a": a, "b": b}, seed=n)["y"]
            sa = a - ((a >> (n - 1)) & 1) * (1 << n) if signed else a
            sb = b - ((b >> (n - 1)) & 1) * (1 << n) if signed else b
            want = _wrap(sa - sb if sub else sa + sb, m)
            assert np.array_equal(got, want), (n, m)


def test_adder8_is_nine_cells_and_exact() -> None:
    g = Graph()
    a, b = g.input("a", bits=8), g.input("b", bits=8)
    g.output("y", g.add(a, b, bits=None))
    prog = compile_program(g)
    assert prog.flow == "ripple adder"
    assert prog.usage.used == 9
    check_program(prog, tokens=300)


def test_saturating_results_are_not_matched() -> None:
    g = Graph()
    a, b = g.input("a", bits=4), g.input("b", bits=4)
    g.output("y", g.add(a, b, bits=4))            # 7 + 7 clamps: not a modular sum
    assert match_adder(g) is None
    g = Graph()
    a, b = g.input("a", bits=4), g.input("b", bits=4)
    g.output("y", g.add(a, b, bits=4, mode="wrap"))
    assert match_adder(g) is not None


def test_mixed_signedness_wider_output_is_refused() -> None:
    with pytest.raises(AdderLayoutError, match="mixed signedness"):
        adder_bitstream(4, 6, a_signed=True, b_signed=False)
    g = Graph()
    a, b = g.input("a", bits=4), g.input("b", bits=4, signed=False)
    g.output("y", g.add(a, b, bits=None))
    assert match_adder(g) is None


@pytest.mark.parametrize("sub", [False, True])
@pytest.mark.parametrize("signed", [False, True])
def test_incrementer_every_width_against_integer_arithmetic(sub: bool, signed: bool) -> None:
    from compiler.macros.adder import incrementer_bitstream

    for n in range(1, 6):
        for m in range(1, 8):
            bs = incrementer_bitstream(n, m, min(3, max(m, n)), sub=sub, a_signed=signed)
            rng = np.random.default_rng(10 * n + m)
            lo = -(1 << (n - 1)) if signed else 0
            a = np.concatenate([np.arange(lo, lo + (1 << n)), rng.integers(lo, lo + (1 << n),
                                                                           100)])
            c = rng.integers(0, 2, len(a))
            got = stream_tokens(FabricSim(bs.configs), bs.iomap, bs.width, bs.height,
                                {"a": a, "c": c}, seed=n)["y"]
            assert np.array_equal(got, _wrap(a - c if sub else a + c, m)), (n, m)


def test_rounding_step_of_rshift_is_matched() -> None:
    from compiler.macros.match import match_incrementer

    g = Graph()
    a, c = g.input("a", bits=5), g.input("c", bits=1, signed=False)
    g.output("y", g.add(c, a, bits=None))         # either operand may be the bit
    m = match_incrementer(g)
    assert m is not None and (m.a_name, m.c_name, m.n, m.m) == ("a", "c", 5, 6)
    prog = compile_program(g)
    assert prog.flow == "ripple incrementer"
    check_program(prog, tokens=300)
    g = Graph()
    a, c = g.input("a", bits=5), g.input("c", bits=1, signed=False)
    g.output("y", g.sub(c, a, bits=None))         # c - a is not a ± bit
    assert match_incrementer(g) is None
