"""A turned or mirrored program computes the same words at the same offsets."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cells.truth import E, N, S, W
from compiler.examples import EXAMPLES
from compiler.program import compile_program
from fabric.bitstream import Bitstream
from fabric.defects import random_defects
from fabric.dihedral import SYMMETRIES, map_side, transform, transform_cell
from fabric.examples import random_tokens, ripple_adder
from sim.check import check_program
from sim.numpy_sim import FabricSim
from sim.stream import stream_tokens


@pytest.mark.parametrize("k", SYMMETRIES)
def test_turned_adder_streams_the_same_sums(k: int) -> None:
    ex = ripple_adder(4)
    bs = transform(Bitstream(ex.configs, ex.iomap), k)
    toks = random_tokens(ex, 150, 3)
    got = stream_tokens(FabricSim(bs.configs), bs.iomap, bs.width, bs.height, toks, seed=k)
    assert np.array_equal(got["s"], ex.reference(toks)["s"])
    assert bs.iomap.latency == ex.iomap.latency


@pytest.mark.parametrize("k", [1, 2, 5, 7])
@pytest.mark.parametrize("name", ["mul4x4", "linear4x4"])
def test_turned_programs_check_on_defect_maps(name: str, k: int) -> None:
    program = compile_program(EXAMPLES[name](), name)
    turned = replace(program, bitstream=transform(program.bitstream, k))
    check_program(turned, "numpy", 150, seed=k)
    bs = turned.bitstream
    dm = random_defects(bs.height, bs.width, 1, np.random.default_rng(k))
    check_program(turned, "numpy", 150, seed=k + 1, defects=dm)


def test_symmetries_are_the_eight_of_the_square() -> None:
    # the side maps are eight distinct permutations, each preserving opposite sides
    maps = {tuple(map_side(k, s) for s in (N, E, S, W)) for k in SYMMETRIES}
    assert len(maps) == 8
    for m in maps:
        assert {m[N], m[S]} in ({N, S}, {E, W})
    # a clockwise quarter turn moves the north-west corner to the north-east
    assert transform_cell(1, 5, 3, 0, 0) == (2, 0)
    assert map_side(1, N) == E and map_side(4, E) == W


@pytest.mark.parametrize("k", SYMMETRIES)
def test_inverse_gives_the_bytes_back(k: int) -> None:
    program = compile_program(EXAMPLES["mul4x4"](), "mul4x4")
    bs = program.bitstream
    # a mirror undoes itself; a turn by r quarter turns is undone by 4 - r more
    inverse = k if k >= 4 else (4 - k) % 4
    back = transform(transform(bs, k), inverse)
    assert back.to_bytes() == bs.to_bytes()
