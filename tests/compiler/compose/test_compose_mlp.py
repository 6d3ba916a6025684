"""Issue 7's MLP with its residual, composed from blocks: bit-exact on every token."""

from __future__ import annotations

import numpy as np

from compiler.compose import compose_graph
from compiler.ir import Graph
from compiler.lower import lower
from compiler.program import Program, block_library
from fabric.defects import random_defects
from sim.check import check_program


def mlp(d: int, h: int, seed: int) -> Graph:
    """x int4[d] -> Linear (h x d, int4, shift 4, 4 bits) -> ReLU table -> Linear
    (d x h, shift 4, 8 bits) -> Add(x, .) saturated to 8 bits."""
    rng = np.random.default_rng(seed)
    g = Graph()
    x = g.input("x", dim=d, bits=4)
    a = g.linear(x, rng.integers(-8, 8, size=(h, d)), shift=4, bits=4)
    r = g.table(a, [max(0, v if v < 8 else v - 16) for v in range(16)], bits=4)
    y = g.linear(r, rng.integers(-8, 8, size=(d, h)), shift=4, bits=8)
    g.output("y", g.add(x, y, bits=8))
    return g


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
