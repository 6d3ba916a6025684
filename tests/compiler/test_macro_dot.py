"""The dot-product array (compiler.macros.multiply.build_dot), its match, and its use
in composed programs.

Every program streams tokens one per cycle through the numpy fabric simulator and each
output is compared at its I/O-map offset with the IR reference (``Program.expected``),
which computes the dot product independently of the array.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.ir import Graph, WordType, type_of_range
from compiler.macros.match import match_dot
from compiler.macros.multiply import MultiplyLayoutError, build_dot, dot_range
from compiler.program import compile_program
from fabric.defects import random_defects
from sim.check import check_program
from sim.numpy_sim import FabricSim
from sim.stream import stream_tokens


def _dot_graph(n: int, na: int, nb: int, sa: bool, sb: bool, bits: int | None = None,
               shift: int = 0) -> Graph:
    g = Graph()
    a = g.input("a", dim=n, bits=na, signed=sa)
    b = g.input("b", dim=n, bits=nb, signed=sb)
    t = type_of_range(*dot_range(n, na, nb, sa, sb))
    g.output("y", g.dot(a, b, shift=shift, bits=t.bits if bits is None else bits,
                        signed=t.signed))
    return g


def _edge_tokens(n: int, na: int, nb: int, sa: bool, sb: bool, count: int,
                 seed: int) -> dict[str, np.ndarray]:
    """Random tokens, then every operand at its extremes in every combination that
    reaches the two ends of the range (all products at one corner), back to back."""
    rng = np.random.default_rng(seed)
    ta, tb = WordType(na, sa), WordType(nb, sb)
    (alo, ahi), (blo, bhi) = (ta.lo, ta.hi), (tb.lo, tb.hi)
    toks = {f"a[{p}]": rng.integers(alo, ahi + 1, count) for p in range(n)}
    toks |= {f"b[{p}]": rng.integers(blo, bhi + 1, count) for p in range(n)}
    corners = [(x, y) for x in (alo, ahi) for y in (blo, bhi)] * 3
    for p in range(n):
        toks[f"a[{p}]"] = np.concatenate([toks[f"a[{p}]"], [c[0] for c in corners]])
        toks[f"b[{p}]"] = np.concatenate([toks[f"b[{p}]"], [c[1] for c in corners]])
    return {w: v.astype(np.int64) for w, v in toks.items()}


def _stream(prog, toks: dict[str, np.ndarray]) -> None:
    bs = prog.bitstream
    sim = FabricSim(bs.configs)
    # the simulator reads two's complement words; the reference takes signed values
    raw = {w: v & ((1 << len(bs.iomap.inputs[w])) - 1) for w, v in toks.items()}
    prog.check(stream_tokens(sim, bs.iomap, bs.width, bs.height, raw, seed=5), raw)


@pytest.mark.parametrize("n,na,nb,sa,sb", [(2, 4, 4, True, True), (3, 4, 4, True, True),
                                           (2, 3, 4, False, True), (2, 4, 3, True, False),
                                           (4, 2, 2, False, False), (2, 5, 3, True, True)])
def test_dot_streams_exactly_at_the_ends_of_its_range(n: int, na: int, nb: int, sa: bool,
                                                       sb: bool) -> None:
    """Every corner of the operand types on every product (the most negative and the
    largest sums, back to back), after random tokens."""
    g = _dot_graph(n, na, nb, sa, sb)
    prog = compile_program(g, "dot")
    assert prog.flow == "dot macro"
    toks = _edge_tokens(n, na, nb, sa, sb, 200, seed=n * 7 + na)
    lo, hi = dot_range(n, na, nb, sa, sb)
    sums = sum(toks[f"a[{p}]"] * toks[f"b[{p}]"] for p in range(n))
    assert sums.min() == lo and sums.max() == hi     # both ends are streamed
    _stream(prog, toks)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 4), na=st.integers(1, 5), nb=st.integers(1, 4), sa=st.booleans(),
       sb=st.booleans(), extra=st.integers(0, 2), seed=st.integers(0, 1000))
def test_random_shapes_stream_exactly_on_defects(n: int, na: int, nb: int, sa: bool,
                                                 sb: bool, extra: int, seed: int) -> None:
    """Any shape; an output wider than the range repeats the sign; on a random defect
    map with garbage on the defective cells."""
    t = type_of_range(*dot_range(n, na, nb, sa, sb))
    g = _dot_graph(n, na, nb, sa, sb, bits=t.bits + extra)
    prog = compile_program(g, "dot")
    assert prog.flow == "dot macro"
    bs = prog.bitstream
    rng = np.random.default_rng(seed)
    check_program(prog, "numpy", 300, seed=seed,
                  defects=random_defects(bs.height, bs.width, 1, rng))


def test_what_the_macro_does_not_take() -> None:
    assert match_dot(_dot_graph(2, 4, 4, True, True)) is not None
    assert match_dot(_dot_graph(2, 4, 4, True, True, shift=1)) is None        # rshift
    assert match_dot(_dot_graph(2, 4, 4, True, True, bits=6)) is None         # saturates
    g = Graph()
    a = g.input("a", dim=2, bits=4)
    g.output("y", g.dot(a, a))
    assert match_dot(g) is None                                             # a . a
    g = Graph()
    a, b = g.input("a", bits=4), g.input("b", bits=4)
    g.output("y", g.dot(a, b))
    assert match_dot(g) is None               # one product: the decomposer's multiply


def test_bad_arguments_name_the_field() -> None:
    with pytest.raises(MultiplyLayoutError, match="n \\(products\\)"):
        build_dot(0, 4, 4, 9)
    with pytest.raises(MultiplyLayoutError, match="b_bits"):
        build_dot(2, 4, 0, 9)
    with pytest.raises(MultiplyLayoutError, match=r"range \[-112, 128\]"):
        build_dot(2, 4, 4, 8)


def test_same_bytes_twice() -> None:
    assert build_dot(3, 4, 4, 9).bitstream.to_bytes() == \
        build_dot(3, 4, 4, 9).bitstream.to_bytes()
