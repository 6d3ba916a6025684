"""Token <-> port-bit encoding of sim.stream, against a port-level delay line."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fabric.iomap import IOMap, PortBit
from sim.stream import StreamError, encode_tokens, stream_tokens


class WestToEastWire:
    """A fake fabric: ``east_out[t][y] = west_in[t - delay][y]`` (0 before)."""

    def __init__(self, height: int, delay: int) -> None:
        self.height, self.delay = height, delay

    def run(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        west = inputs["west_in"]
        east = np.zeros_like(west)
        east[self.delay:] = west[:len(west) - self.delay]
        zeros = np.zeros((len(west), 1), dtype=np.uint8)
        return {"east_out": east, "west_out": np.zeros_like(west),
                "north_out": zeros, "south_out": zeros}


@settings(max_examples=40, deadline=None)
@given(bits=st.integers(1, 8), delay=st.integers(0, 5), signed=st.booleans(),
       skew=st.lists(st.integers(0, 6), min_size=8, max_size=8), seed=st.integers(0, 99))
def test_round_trip_through_a_wire(bits, delay, signed, skew, seed) -> None:
    ins = tuple(PortBit("west_in", b, skew[b]) for b in range(bits))
    outs = tuple(PortBit("east_out", b, skew[b] + delay) for b in range(bits))
    iomap = IOMap({"a": ins}, {"y": outs}, max(p.offset for p in outs),
                  frozenset({"y"}) if signed else frozenset())
    rng = np.random.default_rng(seed)
    lo, hi = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)
    values = rng.integers(lo, hi, size=50)
    got = stream_tokens(WestToEastWire(8, delay), iomap, 1, 8, {"a": values}, seed=seed)
    assert np.array_equal(got["y"], values)


def test_unmapped_inputs_are_garbage() -> None:
    iomap = IOMap({"a": (PortBit("west_in", 0, 0),)}, {}, 0)
    inputs = encode_tokens(iomap, 4, 4, {"a": np.zeros(200, dtype=np.int64)},
                           np.random.default_rng(1))
    assert inputs["west_in"][:200, 0].sum() == 0
    for port in ("east_in", "north_in", "south_in"):
        assert 0 < inputs[port].mean() < 1
    assert 0 < inputs["west_in"][:, 1:].mean() < 1


def test_word_mismatch_is_named() -> None:
    iomap = IOMap({"a": (PortBit("west_in", 0, 0),)}, {}, 0)
    with pytest.raises(StreamError, match=r"missing \['a'\], unknown \['b'\]"):
        encode_tokens(iomap, 1, 1, {"b": np.zeros(3)}, np.random.default_rng(0))
