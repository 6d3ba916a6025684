"""The structured variable-multiply macro, run in the numpy fabric simulator.

Every compiled program streams >= 300 random tokens, one per cycle, with garbage on
every unmapped edge input, and every output of every token is compared at its I/O-map
offset with the numpy reference of DESIGN §5 ``Mul`` (``sim.check.check_program``).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.errors import RouteError
from compiler.examples import mul8x8
from compiler.ir import Graph
from compiler.macros.match import match_macro, match_multiply
from compiler.macros.multiply import (
    MultiplyLayoutError,
    _fa_tables,
    _negative,
    build_multiply,
    start_constant,
)
from compiler.program import compile_program
from sim.check import check_program


def _mul_graph(na: int, nb: int, sa: bool = True, sb: bool = True, bits: int | None = None,
               shift: int = 0, signed: bool = True) -> Graph:
    g = Graph()
    a, b = g.input("a", bits=na, signed=sa), g.input("b", bits=nb, signed=sb)
    g.output("y", g.mul(a, b, shift=shift, bits=bits, signed=signed))
    return g


@pytest.mark.parametrize("na,nb,sa,sb", [(3, 3, True, True), (4, 2, True, False),
                                         (2, 4, False, True), (3, 4, False, False),
                                         (1, 3, True, True)])
def test_baugh_wooley_identity_is_exact(na: int, nb: int, sa: bool, sb: bool) -> None:
    """Complemented partial products plus the start constant equal the product, for
    every operand pair (the arithmetic the cells implement, without the fabric)."""
    m = na + nb
    c = start_constant(na, nb, sa, sb, m)
    for a in range(-(1 << (na - 1)) if sa else 0, (1 << (na - 1)) if sa else (1 << na)):
        for b in range(-(1 << (nb - 1)) if sb else 0, (1 << (nb - 1)) if sb else (1 << nb)):
            total = c
            for i, j in itertools.product(range(na), range(nb)):
                pp = ((a >> i) & 1) & ((b >> j) & 1)
                total += (pp ^ int(_negative(i, j, na, nb, sa, sb))) << (i + j)
            assert total % (1 << m) == (a * b) % (1 << m)


def test_full_adder_tables() -> None:
    s, c = _fa_tables(["acc", "carry", "a", "b"], 0, False)
    for addr in range(16):
        acc, cin, a, b = ((addr >> i) & 1 for i in range(4))
        total = acc + cin + (a & b)
        assert (s >> addr) & 1 == total & 1 and (c >> addr) & 1 == total >> 1
    s, c = _fa_tables(["carry", "a", "b"], 1, True)       # stage 0: constant accumulator
    for addr in range(8):
        cin, a, b = ((addr >> i) & 1 for i in range(3))
        total = 1 + cin + (1 - (a & b))
        assert (s >> addr) & 1 == total & 1 and (c >> addr) & 1 == total >> 1


def _ripple_array_luts(n: int, signed: bool) -> int:
    """LUT outputs of an ``n x n`` Baugh-Wooley ripple array with a ``2n``-bit product,
    counted from the structure (module docstring of compiler/macros/multiply.py).

    Stage j adds partial products a_i b_j (weights j .. j+n-1) to the accumulator; the
    carry out of a stage's top weight is the accumulator bit one weight up, which the
    next stage must cover, so stage j spans weights j .. top_{j-1} + 1. Unsigned: stage
    0 spans 0 .. n-1, so every stage has n cells. Signed x signed: the start constant
    is -sum of the complemented weights = -2 (2^(2n-2) - 2^(n-1)) = 2^n + 2^(2n-1)
    (mod 2^2n); 2^(2n-1) flips the top output bit, 2^n makes stage 0 span 0 .. n, so
    every stage has n + 1 cells. Each cell is a full adder (sum and carry LUT) except
    a cell at weight 2n-1, whose carry is outside the product: the last stage
    (j = n-1) reaches weight 2n-1 only in the signed array (n-1 + n); unsigned, its
    top cell is at weight 2n-2 and its carry is product bit 2n-1.
    """
    if signed:
        return 2 * n * (n + 1) - 1
    return 2 * n * n


@pytest.mark.parametrize("n", [2, 3, 4, 5])
@pytest.mark.parametrize("signed", [True, False])
def test_array_size_follows_the_baugh_wooley_structure(n: int, signed: bool) -> None:
    lay = build_multiply(n, n, 2 * n, a_signed=signed, b_signed=signed)
    p = lay.placement.packed
    assert len(p.clusters) == (n * (n + 1) if signed else n * n)
    assert lay.report.lut_outputs == _ripple_array_luts(n, signed)


def test_mul8x8_compiles_with_the_macro_and_streams_exactly() -> None:
    prog = compile_program(mul8x8(), "mul8x8")
    assert prog.flow == "multiply macro"
    check_program(prog, "numpy", 320, seed=3)
    u = prog.usage
    assert prog.report.lut_outputs == _ripple_array_luts(8, True)
    assert u.compute + u.route_only < 700
    assert prog.bitstream.iomap.latency < 80


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(na=st.integers(1, 5), nb=st.integers(1, 5), sa=st.booleans(), sb=st.booleans(),
       extra=st.integers(0, 2), seed=st.integers(0, 1000))
def test_random_widths_stream_exactly(na: int, nb: int, sa: bool, sb: bool, extra: int,
                                      seed: int) -> None:
    """Any widths and signedness; an output wider than the product is sign-extended."""
    t = _mul_graph(na, nb, sa, sb).outputs["y"].type
    g = _mul_graph(na, nb, sa, sb, bits=t.bits + extra, signed=t.signed)
    assert match_multiply(g) is not None
    prog = compile_program(g, "mul")
    assert prog.flow == "multiply macro"
    check_program(prog, "numpy", 300, seed=seed)


def test_same_bytes_twice() -> None:
    a = compile_program(_mul_graph(4, 4), "m").bitstream.to_bytes()
    b = compile_program(_mul_graph(4, 4), "m").bitstream.to_bytes()
    assert a == b


def test_what_the_macro_does_not_take() -> None:
    assert match_multiply(_mul_graph(4, 4, shift=1)) is None          # rshift
    assert match_multiply(_mul_graph(4, 4, bits=5)) is None           # saturates
    g = Graph()
    a = g.input("a", dim=2, bits=4)
    g.output("y", g.mul(a, a))
    assert match_multiply(g) is None                                  # vectors, a*a
    g = Graph()
    a, b = g.input("a", bits=4), g.input("b", bits=4)
    g.output("y", g.add(g.mul(a, b), a))
    assert match_macro(g) is None                                     # more than a mul
    prog = compile_program(_mul_graph(3, 3), "m", macros=False)
    assert prog.flow == "general"


def test_bad_arguments_name_the_field() -> None:
    with pytest.raises(MultiplyLayoutError, match="a_bits"):
        build_multiply(0, 4, 8)
    with pytest.raises(MultiplyLayoutError, match="col_step"):
        build_multiply(4, 4, 8, spacings=((1, 2),))
    # (2, 2) has too few east/south registers for this dataflow (README): 60 router
    # iterations leave about 100 shared, and the error says which spacings were tried
    with pytest.raises(RouteError, match=r"did not route at spacings \[\(2, 2\)\]"):
        build_multiply(8, 8, 16, spacings=((2, 2),))
