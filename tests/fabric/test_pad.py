"""A padded bitstream computes the same on a larger fabric, every output of every token."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from compiler.examples import EXAMPLES
from compiler.program import compile_program
from fabric.bitstream import Bitstream, BitstreamError
from fabric.defects import random_defects
from fabric.examples import random_tokens, ripple_adder
from fabric.pad import pad_bitstream
from sim.check import check_program
from sim.numpy_sim import FabricSim
from sim.stream import stream_tokens


@pytest.mark.parametrize("dx, dy", [(0, 0), (3, 0), (0, 5), (7, 4)])
def test_padded_adder_streams_the_same_sums(dx: int, dy: int) -> None:
    ex = ripple_adder(4)
    bs = Bitstream(ex.configs, ex.iomap)
    big = pad_bitstream(bs, bs.width + dx, bs.height + dy)
    assert big.iomap.latency == bs.iomap.latency + dy  # south_in b: dy more cycles
    toks = random_tokens(ex, 200, 5)
    got = stream_tokens(FabricSim(big.configs), big.iomap, big.width, big.height, toks, seed=9)
    assert np.array_equal(got["s"], ex.reference(toks)["s"])


@pytest.mark.parametrize("name", ["mul4x4", "running_sum", "linear4x4"])
def test_padded_programs_check_on_defect_maps(name: str) -> None:
    program = compile_program(EXAMPLES[name](), name)
    bs = program.bitstream
    big = pad_bitstream(bs, bs.width + 5, bs.height + 3)
    padded = replace(program, bitstream=big)
    check_program(padded, "numpy", 200, seed=2)
    dm = random_defects(big.height, big.width, 1, np.random.default_rng(4))
    check_program(padded, "numpy", 200, seed=3, defects=dm)


def test_padding_to_a_smaller_fabric_is_refused() -> None:
    ex = ripple_adder(4)
    with pytest.raises(BitstreamError, match="to a smaller 7x8 fabric"):
        pad_bitstream(Bitstream(ex.configs, ex.iomap), 7, 8)


def _wires() -> Bitstream:
    """3x3 fabric: row 1 carries east_in[1] west to west_out[1]; column 2 carries
    south_in[2] north to north_out[2] (3 cycles each)."""
    from cells.truth import E, N, S, W, copy_table, make_config
    from fabric.iomap import IOMap, PortBit

    tables = np.zeros((3, 3, 4), dtype=np.int64)
    tables[1, :, W] = copy_table(E)
    tables[:, 2, N] = copy_table(S)
    configs = np.array([[make_config([int(t) for t in tables[y, x]]) for x in range(3)]
                        for y in range(3)], dtype=np.uint64)
    iomap = IOMap({"a": (PortBit("east_in", 1, 0),), "b": (PortBit("south_in", 2, 0),)},
                  {"ya": (PortBit("west_out", 1, 3),), "yb": (PortBit("north_out", 2, 3),)}, 3)
    return Bitstream(configs, iomap)


@pytest.mark.parametrize("dx, dy", [(0, 0), (4, 0), (0, 2), (3, 5)])
def test_padded_wires_from_the_east_and_south(dx: int, dy: int) -> None:
    bs = _wires()
    big = pad_bitstream(bs, 3 + dx, 3 + dy)
    rng = np.random.default_rng(dx * 10 + dy)
    toks = {"a": rng.integers(0, 2, 100), "b": rng.integers(0, 2, 100)}
    for fabric in (bs, big):
        got = stream_tokens(FabricSim(fabric.configs), fabric.iomap, fabric.width,
                            fabric.height, toks, seed=1)
        assert np.array_equal(got["ya"], toks["a"]) and np.array_equal(got["yb"], toks["b"])
    assert big.iomap.latency == 3 + max(dx, dy)
