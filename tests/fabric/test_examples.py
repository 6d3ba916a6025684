"""The hand-placed example programs, in the numpy simulator (the RTL runs are in
tests/sim/test_cosim.py)."""

from __future__ import annotations

import numpy as np
import pytest

from fabric.defects import random_defects
from fabric.examples import EXAMPLES, random_tokens, ripple_adder
from fabric.geometry import FabricShape
from sim.numpy_sim import FabricSim
from sim.stream import decode_outputs, encode_tokens


@pytest.mark.parametrize("bits, shape", [(4, FabricShape(8, 8)), (4, FabricShape(5, 1)),
                                         (1, FabricShape(2, 3, 2)), (7, FabricShape(9, 4))])
def test_adder_streams_in_numpy(bits: int, shape: FabricShape) -> None:
    example = ripple_adder(bits, shape)
    assert example.iomap.latency == shape.height + bits
    n = 200
    tokens = random_tokens(example, n, bits)
    inputs = encode_tokens(example.iomap, shape.width, shape.height, tokens,
                           np.random.default_rng(1))
    want = example.reference(tokens)["s"]
    logical = FabricSim(example.configs).run(inputs)
    assert np.array_equal(decode_outputs(example.iomap, logical, n)["s"], want)
    dm = random_defects(shape.height, shape.width, shape.spares, 2)
    physical = FabricSim(example.configs, defects=dm, spares=shape.spares).run(inputs)
    assert np.array_equal(decode_outputs(example.iomap, physical, n)["s"], want)


def test_adder_refuses_a_fabric_too_narrow() -> None:
    with pytest.raises(ValueError, match="at least 5 wide"):
        ripple_adder(4, FabricShape(4, 4))
    with pytest.raises(ValueError, match="at least 1 bit"):
        ripple_adder(0)


def test_registry_builds() -> None:
    for make in EXAMPLES.values():
        example = make()
        example.iomap.validate(example.shape.width, example.shape.height)
        assert example.configs.shape == (example.shape.height, example.shape.width)
