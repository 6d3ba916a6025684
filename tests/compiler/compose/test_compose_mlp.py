"""Issue 7's MLP with its residual, composed from blocks: bit-exact on every token."""

from __future__ import annotations

import numpy as np

from compiler.compose import compose_graph
from compiler.examples import mlp
from compiler.lower import lower
from compiler.program import Program, block_library
from fabric.defects import random_defects
from sim.check import check_program


def test_mlp_with_residual_is_bit_exact_with_and_without_defects() -> None:
    g = mlp(4, 8, seed=7)
    res = compose_graph(g, block_library(), time_budget=120.0)
    flows = {b.flow for b in res.blocks}
    # every op is a block of its own kind: no general place and route
    assert flows == {"linear macro", "table gather", "ripple adder"}, flows
    prog = Program("mlp", res.bitstream, lower(g).netlist, g, None, 0.0, 0, "composed")
    check_program(prog, tokens=320, seed=1)
    bs = res.bitstream
    for s in (2, 3):
        dm = random_defects(bs.height, bs.width, 1, np.random.default_rng(s))
        check_program(prog, tokens=320, seed=s, defects=dm)
