"""Compiled programs on the generated RTL — a 4x4 int4 constant matrix-vector product,
a 4x4-bit variable multiply, a running sum over a sequence, and a program of three
blocks stitched by composition — one new token every
cycle through cocotb + Verilator, every output checked against the numpy reference of
DESIGN §5 at cycle t + offset, on a chip whose defective cells drive fresh garbage every
cycle."""

from __future__ import annotations

import re

import numpy as np
import pytest

from compiler.examples import EXAMPLES
from compiler.program import compile_program
from fabric.defects import random_defects
from sim.check import run_program

pytestmark = pytest.mark.rtl


@pytest.mark.parametrize("name", ["linear4x4", "mul4x4", "running_sum"])
def test_compiled_program_streams_on_verilator_with_defects(name, rtl_build_dir) -> None:
    """linear4x4 is laid out by the linear macro, mul4x4 by the multiply macro,
    running_sum (delays of both parities, gated by ``first``) by general place and
    route."""
    program = compile_program(EXAMPLES[name](), name, seed=1)
    bs = program.bitstream
    defects = random_defects(bs.height, bs.width, 1, np.random.default_rng(3))
    assert defects.any()
    got, tokens = run_program(program, "verilator", 300, 3, defects, 1, rtl_build_dir)
    program.check(got, tokens)
    # The check must be able to fail: one flipped output bit is caught.
    word = sorted(got)[0]
    broken = dict(got)
    broken[word] = got[word] ^ 1
    with pytest.raises(AssertionError, match=re.escape(f"output {word!r}")):
        program.check(broken, tokens)


def test_composed_program_streams_on_verilator_with_defects(rtl_build_dir) -> None:
    """Three blocks stitched on one fabric (compiler.compose): a ripple adder, a table
    from the general flow and a ripple subtractor, on the sliced view (co-simulated
    equal to the tiles elsewhere), with garbage on the defective cells."""
    from compiler.ir import Graph

    g = Graph()
    a, b, c = g.input("a", bits=4), g.input("b", bits=4), g.input("c", bits=3, signed=False)
    t = g.table(c, [(5 * v) % 8 - 4 for v in range(8)], bits=4)
    g.output("y", g.sub(g.add(a, b, bits=None), t, bits=7))
    program = compile_program(g, "composed3", compose=True)
    assert program.flow == "composed"
    bs = program.bitstream
    defects = random_defects(bs.height, bs.width, 1, np.random.default_rng(4))
    assert defects.any()
    got, tokens = run_program(program, "verilator", 300, 4, defects, 1, rtl_build_dir,
                              style="sliced")
    program.check(got, tokens)
    broken = {w: v ^ 2 for w, v in got.items()}
    with pytest.raises(AssertionError, match="output 'y'"):
        program.check(broken, tokens)
