"""Compiled programs on the generated RTL — a 4x4 int4 constant matrix-vector product,
a 4x4-bit variable multiply and a running sum over a sequence — one new token every
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
