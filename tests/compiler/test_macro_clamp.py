"""compiler.macros.clamp: saturation as one or two columns, and its match."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.ir import Graph
from compiler.macros.clamp import ClampLayoutError, clamp_bitstream, clamp_is_wiring
from compiler.macros.match import match_clamp
from compiler.program import compile_program
from fabric.defects import random_defects
from sim.check import check_program
from sim.numpy_sim import FabricSim
from sim.stream import stream_tokens


def _values(n: int, signed: bool) -> np.ndarray:
    lo, hi = (-(1 << (n - 1)), (1 << (n - 1)) - 1) if signed else (0, (1 << n) - 1)
    every = np.arange(lo, hi + 1)
    # every value, then the extremes back to back (saturation at both ends in a row)
    return np.concatenate([every, np.tile([lo, hi, lo, lo, hi, 0], 20)])


@pytest.mark.parametrize("in_signed", [False, True])
@pytest.mark.parametrize("out_signed", [False, True])
def test_every_width_against_clip(in_signed: bool, out_signed: bool) -> None:
    done = 0
    for n in range(1, 9):
        for m in range(1, 10):
            if clamp_is_wiring(n, in_signed, m, out_signed):
                continue
            bs = clamp_bitstream(n, m, in_signed=in_signed, out_signed=out_signed)
            x = _values(n, in_signed)
            got = stream_tokens(FabricSim(bs.configs), bs.iomap, bs.width, bs.height,
                                {"x": x}, seed=n * 16 + m)["y"]
            lo = -(1 << (m - 1)) if out_signed else 0
            hi = (1 << (m - 1)) - 1 if out_signed else (1 << m) - 1
            assert np.array_equal(got, np.clip(x, lo, hi)), (n, m)
            done += 1
    assert done >= 20


def test_size_is_two_cells_per_bit_for_a_signed_word() -> None:
    bs = clamp_bitstream(9, 8)          # the saturation after an 8-bit + 8-bit add
    assert (bs.width, bs.height) == (2, 8)
    assert np.count_nonzero(bs.configs) == 16
    assert clamp_bitstream(8, 4, in_signed=False, out_signed=False).width == 1


def test_a_sat_graph_compiles_to_the_columns_and_runs_on_defects() -> None:
    g = Graph()
    x = g.input("x", bits=7)
    g.output("y", g.sat(x, 4, signed=False))
    assert match_clamp(g) is not None
    prog = compile_program(g, "clamp")
    assert prog.flow == "clamp columns"
    bs = prog.bitstream
    check_program(prog, "numpy", 300, seed=1,
                  defects=random_defects(bs.height, bs.width, 1, np.random.default_rng(1)))


def test_nothing_to_clamp_is_refused_and_not_matched() -> None:
    with pytest.raises(ClampLayoutError, match="nothing to clamp"):
        clamp_bitstream(4, 5, in_signed=True, out_signed=True)
    with pytest.raises(ClampLayoutError, match=">= 1"):
        clamp_bitstream(0, 3)
    g = Graph()
    x = g.input("x", bits=4)
    g.output("y", g.wrap(x, 3))
    assert match_clamp(g) is None
