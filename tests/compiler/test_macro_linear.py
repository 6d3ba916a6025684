"""The hand-placed Linear macro, run in the numpy fabric simulator.

Every test streams >= 300 random tokens, one per cycle, with garbage on every unmapped
edge input, and checks every output word of every token at its I/O-map offset against
the numpy reference of DESIGN §5 Linear (exact rshift rounding and sat).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cells.truth import cell_next
from compiler.ir import Graph
from compiler.macros import LinearLayoutError, build_linear, cells_used
from compiler.macros.taps import csd_digits, weight_taps
from compiler.program import compile_program
from sim.check import check_program
from sim.verify_linear import verify_linear


def _check(w: np.ndarray, b: np.ndarray | None, x_bits: int = 4, shift: int = 0,
           out_bits: int | None = None, seed: int = 0) -> None:
    bs = build_linear(w, b, x_bits, shift, out_bits)
    verify_linear(bs, w, b, x_bits, shift, out_bits, tokens=300, seed=seed)


@pytest.mark.parametrize("w", list(range(-8, 8)))
def test_csd_and_taps_are_exact(w: int) -> None:
    assert sum(s << p for p, s in csd_digits(w)) == w
    assert len(csd_digits(w)) <= 2
    for x_bits in (1, 3, 4, 6):
        taps, const = weight_taps(w, x_bits, 16)
        for x in range(-(1 << (x_bits - 1)), 1 << (x_bits - 1)):
            bits = [(x >> j) & 1 for j in range(x_bits)]
            total = const + sum(((1 - bits[t.j]) if t.inverted else bits[t.j]) << t.pos
                                for t in taps)
            assert total % (1 << 16) == (w * x) % (1 << 16)


@pytest.mark.parametrize("w", [-8, -7, -6, -1, 0, 1, 3, 5, 7])
def test_single_weight(w: int) -> None:
    _check(np.array([[w]]), np.array([3]))


def test_shapes_full_precision() -> None:
    rng = np.random.default_rng(7)
    for shape in ((2, 3), (4, 4), (8, 8)):
        w = rng.integers(-8, 8, size=shape)
        w[0, 0], w[-1, -1] = -8, 0
        _check(w, rng.integers(-40, 40, size=shape[0]), seed=shape[0])


def test_shift_and_saturation() -> None:
    rng = np.random.default_rng(11)
    w = rng.integers(-8, 8, size=(4, 4))
    w[1, 2] = -8
    b = rng.integers(-30, 30, size=4)
    _check(w, b, shift=2)
    _check(w, b, shift=2, out_bits=4)
    _check(w, b, shift=0, out_bits=3)
    _check(w, b, shift=5, out_bits=2)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d_out=st.integers(1, 4), d_in=st.integers(1, 4), x_bits=st.integers(2, 5),
       shift=st.integers(0, 4), sat=st.booleans(), out_bits=st.integers(1, 6),
       seed=st.integers(0, 2**16), data=st.data())
def test_random_linear(d_out: int, d_in: int, x_bits: int, shift: int, sat: bool,
                       out_bits: int, seed: int, data: st.DataObject) -> None:
    values = st.sampled_from([-8, -7, -5, -3, -1, 0, 0, 1, 2, 3, 6, 7])
    w = np.array(data.draw(st.lists(values, min_size=d_out * d_in, max_size=d_out * d_in)))
    w = w.reshape(d_out, d_in)
    b = np.array(data.draw(st.lists(st.integers(-50, 50), min_size=d_out, max_size=d_out)))
    _check(w, b, x_bits, shift, out_bits if sat else None, seed=seed)


def test_deterministic_bytes() -> None:
    rng = np.random.default_rng(3)
    w = rng.integers(-8, 8, size=(4, 5))
    b = rng.integers(-9, 9, size=4)
    a = build_linear(w, b, 4, 1, 5).to_bytes()
    assert a == build_linear(w.copy(), b.copy(), 4, 1, 5).to_bytes()


def _role(cfg: int) -> str:
    """``idle`` (every output constant 0, the reset value), ``route`` (only constants
    and copies of an input side) or ``compute``, from :func:`cells.truth.cell_next` on
    all inputs (the rule ARCHITECTURE gives for fabric/usage.py)."""
    outs = [cell_next(cfg, ins) for ins in itertools.product((0, 1), repeat=4)]
    role = "idle"
    for d in range(4):
        col = [o[d] for o in outs]
        if len(set(col)) == 1:
            if col[0]:                     # a constant 1 drives a wire: routing
                role = "route" if role == "idle" else role
            continue
        if any(col == [ins[s] for ins in itertools.product((0, 1), repeat=4)]
               for s in range(4)):
            role = "route" if role == "idle" else role
        else:
            return "compute"
    return role


def test_stats_and_errors() -> None:
    w = np.random.default_rng(5).integers(-8, 8, size=(4, 4))
    bs = build_linear(w)
    st_ = cells_used(bs, w.size)
    assert st_.area == bs.width * bs.height
    # classify every cell by what it does under the truth model (all 16 input
    # combinations): an output is constant, a copy of one input side, or computes
    roles = [_role(int(c)) for c in bs.configs.ravel()]
    assert st_.compute == roles.count("compute") > 0
    assert st_.route_only == roles.count("route")
    assert st_.used == st_.compute + st_.route_only
    assert st_.weights == w.size
    with pytest.raises(LinearLayoutError, match="int4"):
        build_linear(np.array([[9]]))
    with pytest.raises(LinearLayoutError, match="bias"):
        build_linear(np.array([[1, 2]]), np.array([1, 2]))


@pytest.mark.parametrize("d_out,d_in,x_bits,shift,bits,seed",
                         [(4, 3, 1, 1, 3, 1), (6, 5, 4, 2, 3, 2), (3, 2, 4, 0, 4, 3),
                          (5, 4, 3, 3, 2, 4), (3, 1, 4, 0, 8, 5), (2, 2, 2, 1, 1, 6)])
def test_relu_mode_is_the_unsigned_saturation(d_out: int, d_in: int, x_bits: int,
                                              shift: int, bits: int, seed: int) -> None:
    """A Linear saturating to an unsigned word (a ReLU and a clamp) is laid out by the
    macro, and equals the reference on random tokens (negative sums included)."""
    rng = np.random.default_rng(seed)
    g = Graph()
    x = g.input("x", dim=d_in, bits=x_bits)
    g.output("y", g.linear(x, rng.integers(-8, 8, (d_out, d_in)),
                           b=rng.integers(-10, 10, d_out), shift=shift, bits=bits,
                           signed=False))
    prog = compile_program(g, "relu")
    assert prog.flow == "linear macro"
    check_program(prog, "numpy", 300, seed=seed)


def test_unsigned_words_feed_a_linear_in_a_composed_program() -> None:
    """ReLU-mode outputs (unsigned) read by the next linear as signed words one bit
    wider, their sign a constant 0."""
    g = Graph()
    x = g.input("x", dim=3, bits=1)
    h = g.linear(x, [[3, -2, 5], [-7, 4, 1], [2, 2, -3], [6, -5, 4]], b=[1, 2, -3, 4],
                 bits=3, signed=False)
    z = g.linear(h, np.random.default_rng(9).integers(-8, 8, (5, 4)), b=[0, 1, 2, 3, 4],
                 shift=2, bits=5)
    g.output("n", g.argmax(z))
    check_program(compile_program(g, "c", compose=True, time_budget=300), "numpy", 300)


@pytest.mark.parametrize("w", [-8, -7, -3, 0, 5, 7])
def test_grouped_taps_sum_to_the_product(w: int) -> None:
    """The column groups of a wide x (x_groups) together give exactly w * x."""
    from compiler.macros.linear import x_groups

    for x_bits in (5, 6, 8, 11):
        groups = x_groups(1, x_bits)
        assert [g.bits for g in groups][:-1] == [4] * (len(groups) - 1)
        assert [g.signed for g in groups] == [False] * (len(groups) - 1) + [True]
        for x in (-(1 << (x_bits - 1)), -1, 0, 1, (1 << (x_bits - 1)) - 1, 37 % (1 << 4)):
            total = 0
            for g in groups:
                taps, const = weight_taps(w, g.bits, 24, g.signed, g.first)
                bits = [(x >> (g.first + j)) & 1 for j in range(g.bits)]
                total += const + sum(((1 - bits[t.j]) if t.inverted else bits[t.j]) << t.pos
                                     for t in taps)
            assert total % (1 << 24) == (w * x) % (1 << 24), (x_bits, x)


@pytest.mark.parametrize("d_out,d_in,x_bits,shift,out_bits,seed",
                         [(2, 2, 5, 0, None, 1), (11, 5, 5, 2, 6, 2), (6, 4, 6, 3, 8, 3),
                          (8, 8, 8, 4, 8, 4), (3, 5, 7, 0, None, 5), (4, 3, 8, 6, 3, 6)])
def test_wide_x_in_column_groups(d_out: int, d_in: int, x_bits: int, shift: int,
                                 out_bits: int | None, seed: int) -> None:
    """x of 5 to 8 bits (issue 7): laid out as column groups, exact on random tokens
    (verify_linear draws x uniformly over its whole range)."""
    rng = np.random.default_rng(seed)
    w = rng.integers(-8, 8, size=(d_out, d_in))
    w[0, 0], w[-1, -1] = -8, 7
    _check(w, rng.integers(-60, 60, size=d_out), x_bits, shift, out_bits, seed=seed)


def test_an_8_bit_x_matches_the_macro_and_its_relu_mode() -> None:
    rng = np.random.default_rng(9)
    for signed, bits in ((True, 6), (False, 5)):
        g = Graph()
        x = g.input("x", dim=6, bits=8)
        g.output("y", g.linear(x, rng.integers(-8, 8, (5, 6)), b=rng.integers(-9, 9, 5),
                               shift=5, bits=bits, signed=signed))
        prog = compile_program(g, "wide")
        assert prog.flow == "linear macro"
        check_program(prog, "numpy", 300, seed=3)
